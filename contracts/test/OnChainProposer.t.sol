// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {CommonBridge} from "../src/l1/CommonBridge.sol";
import {DevVerifier} from "../src/l1/DevVerifier.sol";
import {OnChainProposer} from "../src/l1/OnChainProposer.sol";
import {ProverKeys} from "../src/l1/ProverKeys.sol";
import {AcceptAllVerifier, L1Fixture, RejectAllVerifier, WithdrawalTree} from "./util/L1Fixture.sol";

/// @notice OnChainProposer: ordered commits (deposit queue, commitment, blob rules), ordered
///         verification against every configured verifier, the owner's (timelock's) changes, and
///         reverts of unverified batches (owner or security council).
contract OnChainProposerTest is L1Fixture {
    AcceptAllVerifier internal acceptAll;
    RejectAllVerifier internal rejectAll;

    function setUp() public {
        deployL1();
        acceptAll = new AcceptAllVerifier();
        rejectAll = new RejectAllVerifier();
    }

    // --- helpers -----------------------------------------------------------------------------

    function noBlobs() internal pure returns (OnChainProposer.BlobOpening[] memory) {
        return new OnChainProposer.BlobOpening[](0);
    }

    function commitAs(address caller, uint256 batchNumber, OnChainProposer.BatchHeader memory h) internal {
        vm.prank(caller);
        proposer.commitBatch(batchNumber, h, noBlobs());
    }

    /// @dev The commitment as the contract's notes define it.
    function expectedCommitment(
        uint256 batchNumber,
        uint256 firstBlock,
        uint256 lastBlock,
        bytes32 parentBlockHash,
        bytes32 preStateRoot,
        OnChainProposer.BatchHeader memory h
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                batchNumber,
                CHAIN_SPEC_HASH,
                firstBlock,
                lastBlock - firstBlock + 1,
                parentBlockHash,
                preStateRoot,
                h.newStateRoot,
                h.lastBlockHash,
                h.lastBlockTimestamp,
                h.withdrawalsRoot,
                h.depositsRollingHash,
                bytes32(0)
            )
        );
    }

    /// @dev The public getter's tuple as the struct.
    function stored(uint256 batchNumber) internal view returns (OnChainProposer.BatchCommitment memory) {
        (bool ok, bytes memory data) =
            address(proposer).staticcall(abi.encodeWithSelector(proposer.batches.selector, batchNumber));
        assertTrue(ok, "batches()");
        // Ten static words: the same encoding as the (static) struct.
        return abi.decode(data, (OnChainProposer.BatchCommitment));
    }

    function rollupProposer() internal returns (OnChainProposer p, CommonBridge b) {
        b = new CommonBridge(address(timelock), COUNCIL, INCLUSION_PERIOD, MAX_PAUSE);
        p = newProposer(address(timelock), SEQUENCER, address(b), CHAIN_SPEC_HASH, one(address(acceptAll)), false);
        b.setProposer(address(p));
    }

    // --- deployment --------------------------------------------------------------------------

    function test_constructor_genesisIsCommittedAndVerified() public view {
        OnChainProposer.BatchCommitment memory g = stored(0);
        assertEq(uint256(g.firstBlock), 0);
        assertEq(uint256(g.lastBlock), 0);
        assertEq(g.stateRoot, GENESIS_STATE_ROOT, "genesis state root");
        assertEq(g.lastBlockHash, GENESIS_BLOCK_HASH, "genesis block hash");
        assertEq(g.withdrawalsRoot, bytes32(0));
        assertEq(g.depositsRollingHash, bytes32(0));
        assertEq(uint256(g.depositCount), 0);
        assertEq(g.blobsHash, bytes32(0));
        assertEq(g.commitment, bytes32(0));
        assertEq(proposer.lastCommittedBatch(), 0);
        assertEq(proposer.lastVerifiedBatch(), 0);
        assertTrue(proposer.isVerified(0), "genesis verified");
        assertFalse(proposer.isVerified(1), "batch 1 not verified");
        assertEq(proposer.owner(), address(timelock));
        assertEq(proposer.sequencer(), SEQUENCER);
        assertEq(proposer.bridge(), address(bridge));
        assertEq(proposer.l2ChainId(), L2_CHAIN_ID);
        assertEq(proposer.chainSpecHash(), CHAIN_SPEC_HASH);
        assertTrue(proposer.validium());
        address[] memory vs = proposer.verifiers();
        assertEq(vs.length, 1);
        assertEq(vs[0], address(devVerifier));
    }

    function test_constructor_refusesBadArguments() public {
        address[] memory vs = one(address(acceptAll));
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.ZeroAddress.selector, "sequencer"));
        newProposer(address(timelock), address(0), address(bridge), CHAIN_SPEC_HASH, vs, true);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.ZeroAddress.selector, "bridge"));
        newProposer(address(timelock), SEQUENCER, address(0), CHAIN_SPEC_HASH, vs, true);
        vm.expectRevert(OnChainProposer.NoVerifiers.selector);
        newProposer(address(timelock), SEQUENCER, address(bridge), CHAIN_SPEC_HASH, new address[](0), true);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.ZeroAddress.selector, "verifier"));
        newProposer(address(timelock), SEQUENCER, address(bridge), CHAIN_SPEC_HASH, one(address(0)), true);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.VerifierHasNoCode.selector, address(0xE0A)));
        newProposer(address(timelock), SEQUENCER, address(bridge), CHAIN_SPEC_HASH, one(address(0xE0A)), true);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.DuplicateVerifier.selector, address(acceptAll)));
        newProposer(
            address(timelock), SEQUENCER, address(bridge), CHAIN_SPEC_HASH, two(address(acceptAll), address(acceptAll)), true
        );
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableInvalidOwner.selector, address(0)));
        newProposer(address(0), SEQUENCER, address(bridge), CHAIN_SPEC_HASH, vs, true);
    }

    // --- commitBatch -------------------------------------------------------------------------

    function testFuzz_commitBatch_onlyTheSequencer(address caller) public {
        vm.assume(caller != SEQUENCER);
        OnChainProposer.BatchHeader memory h = headerFor(10, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.NotSequencer.selector, caller));
        commitAs(caller, 1, h);
    }

    function testFuzz_commitBatch_storesTheCommitment(
        uint64 blocks1,
        bytes32 stateRoot,
        bytes32 blockHash,
        bytes32 withdrawalsRoot,
        uint8 deposits
    ) public {
        uint256 n = bound(deposits, 0, 3);
        for (uint256 i = 0; i < n; ++i) {
            depositFrom(address(0xA11CE), address(0xB0B), i + 1);
        }
        uint256 last1 = bound(blocks1, 1, 1e9);
        OnChainProposer.BatchHeader memory h1 = headerFor(last1, withdrawalsRoot, n);
        h1.newStateRoot = stateRoot;
        h1.lastBlockHash = blockHash;
        bytes32 c1 = expectedCommitment(1, 1, last1, GENESIS_BLOCK_HASH, GENESIS_STATE_ROOT, h1);

        vm.expectEmit(true, true, true, true, address(proposer));
        emit OnChainProposer.BatchCommitted(1, c1, stateRoot, last1, blockHash, new bytes32[](0));
        commitAs(SEQUENCER, 1, h1);

        OnChainProposer.BatchCommitment memory b = stored(1);
        assertEq(uint256(b.firstBlock), 1, "firstBlock");
        assertEq(uint256(b.lastBlock), last1, "lastBlock");
        assertEq(b.stateRoot, stateRoot, "stateRoot");
        assertEq(b.lastBlockHash, blockHash, "lastBlockHash");
        assertEq(b.withdrawalsRoot, withdrawalsRoot, "withdrawalsRoot");
        assertEq(b.depositsRollingHash, h1.depositsRollingHash, "depositsRollingHash");
        assertEq(uint256(b.depositCount), n, "depositCount");
        assertEq(b.blobsHash, bytes32(0), "validium blobsHash");
        assertEq(b.commitment, c1, "commitment");
        assertEq(proposer.commitmentOf(1), c1);
        assertEq(proposer.withdrawalsRoot(1), withdrawalsRoot);
        assertEq(proposer.lastCommittedBatch(), 1);
        assertEq(bridge.consumedDeposits(), n, "deposits consumed");
        assertFalse(proposer.isVerified(1));
    }

    /// @dev The next batch chains onto the previous one: its parent is that batch's last block
    ///      and state, its first block the one after.
    function testFuzz_commitBatch_chainsOntoThePreviousBatch(uint64 blocks1, uint64 blocks2, bytes32 seed) public {
        uint256 last1 = bound(blocks1, 1, 1e9);
        OnChainProposer.BatchHeader memory h1 = headerFor(last1, keccak256(abi.encode(seed, "w")), 0);
        h1.newStateRoot = keccak256(abi.encode(seed, "state"));
        h1.lastBlockHash = keccak256(abi.encode(seed, "block"));
        commitAs(SEQUENCER, 1, h1);

        uint256 last2 = last1 + bound(blocks2, 1, 1e9);
        OnChainProposer.BatchHeader memory h2 = headerFor(last2, bytes32(0), 0);
        commitAs(SEQUENCER, 2, h2);
        assertEq(uint256(stored(2).firstBlock), last1 + 1, "firstBlock");
        assertEq(
            proposer.commitmentOf(2),
            expectedCommitment(2, last1 + 1, last2, h1.lastBlockHash, h1.newStateRoot, h2),
            "commitment of batch 2"
        );
    }

    /// @dev The chain spec hash is part of the commitment: the same batch under another spec
    ///      (another chain id, other fee rules) differs.
    function testFuzz_commitment_bindsTheChainSpec(bytes32 otherSpec) public {
        vm.assume(otherSpec != CHAIN_SPEC_HASH);
        CommonBridge otherBridge = new CommonBridge(address(timelock), COUNCIL, INCLUSION_PERIOD, MAX_PAUSE);
        OnChainProposer other =
            newProposer(address(timelock), SEQUENCER, address(otherBridge), otherSpec, one(address(acceptAll)), true);
        otherBridge.setProposer(address(other));
        assertEq(other.chainSpecHash(), otherSpec);
        OnChainProposer.BatchHeader memory h = headerFor(10, keccak256("w"), 0);
        commitAs(SEQUENCER, 1, h);
        vm.prank(SEQUENCER);
        other.commitBatch(1, h, noBlobs());
        assertNotEq(proposer.commitmentOf(1), other.commitmentOf(1), "commitment ignores the chain spec");
    }

    function testFuzz_commitBatch_outOfOrderReverts(uint256 batchNumber) public {
        vm.assume(batchNumber != 1);
        OnChainProposer.BatchHeader memory h = headerFor(10, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.BatchOutOfOrder.selector, 1, batchNumber));
        commitAs(SEQUENCER, batchNumber, h);

        commitAs(SEQUENCER, 1, h);
        h = headerFor(20, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.BatchOutOfOrder.selector, 2, 1));
        commitAs(SEQUENCER, 1, h);
    }

    function testFuzz_commitBatch_emptyBatchReverts(uint64 lastBlock) public {
        commitAs(SEQUENCER, 1, headerFor(100, 0, 0));
        uint256 last = bound(lastBlock, 0, 100);
        OnChainProposer.BatchHeader memory h = headerFor(last, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.EmptyBatch.selector, 100, last));
        commitAs(SEQUENCER, 2, h);
    }

    function test_commitBatch_valuesAbove64BitsRevert() public {
        OnChainProposer.BatchHeader memory h = headerFor(uint256(type(uint64).max) + 1, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.ValueTooLarge.selector, uint256(type(uint64).max) + 1));
        commitAs(SEQUENCER, 1, h);

        h = headerFor(10, 0, 0);
        h.depositCount = uint256(type(uint64).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.ValueTooLarge.selector, uint256(type(uint64).max) + 1));
        commitAs(SEQUENCER, 1, h);

        // The largest block number fits.
        commitAs(SEQUENCER, 1, headerFor(type(uint64).max, 0, 0));
    }

    function testFuzz_commitBatch_depositsMismatchReverts(bytes32 claimed) public {
        depositFrom(address(0xA11CE), address(0xB0B), 1 ether);
        depositFrom(address(0xA11CE), address(0xB0B), 2 ether);
        OnChainProposer.BatchHeader memory h = headerFor(10, 0, 2);
        vm.assume(claimed != h.depositsRollingHash);
        bytes32 actual = h.depositsRollingHash;
        h.depositsRollingHash = claimed;
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.DepositsMismatch.selector, claimed, actual));
        commitAs(SEQUENCER, 1, h);
        assertEq(bridge.consumedDeposits(), 0, "nothing consumed");
    }

    function test_commitBatch_enforcesTheQueue() public {
        uint256 t0 = block.timestamp;
        depositFrom(address(0xA11CE), address(0xB0B), 1 ether);
        OnChainProposer.BatchHeader memory h = headerFor(10, 0, 1);
        h.depositCount = 2;
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.NotEnoughDeposits.selector, 2, 1));
        commitAs(SEQUENCER, 1, h);

        // Forced inclusion: past its deadline, a batch must include the deposit.
        vm.warp(t0 + INCLUSION_PERIOD + 1);
        h = headerFor(10, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.ExpiredDepositSkipped.selector, 0, t0 + INCLUSION_PERIOD));
        commitAs(SEQUENCER, 1, h);
        h = headerFor(10, 0, 1);
        commitAs(SEQUENCER, 1, h);
        assertEq(bridge.consumedDeposits(), 1);
    }

    /// @dev A batch made before a deposit was due stays committable however late it lands (an
    ///      outage of the sequencer's L1 access), and a batch cannot claim a time L1 has not reached.
    function test_commitBatch_measuresDeadlinesInL2Time() public {
        uint256 t0 = block.timestamp;
        depositFrom(address(0xA11CE), address(0xB0B), 1 ether);
        OnChainProposer.BatchHeader memory h = headerFor(10, 0, 0);
        h.lastBlockTimestamp = t0 + INCLUSION_PERIOD; // made while the deposit could still wait
        vm.warp(t0 + 30 days);
        commitAs(SEQUENCER, 1, h);
        assertEq(stored(1).lastBlockTimestamp, t0 + INCLUSION_PERIOD, "L2 time stored");

        h = headerFor(20, 0, 0);
        h.lastBlockTimestamp = t0 + INCLUSION_PERIOD + 1; // made after it was due: must include it
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.ExpiredDepositSkipped.selector, 0, t0 + INCLUSION_PERIOD));
        commitAs(SEQUENCER, 2, h);

        h = headerFor(20, 0, 1);
        h.lastBlockTimestamp = block.timestamp + 1;
        vm.expectRevert(
            abi.encodeWithSelector(OnChainProposer.BatchFromTheFuture.selector, block.timestamp + 1, block.timestamp)
        );
        commitAs(SEQUENCER, 2, h);
        h.lastBlockTimestamp = block.timestamp;
        commitAs(SEQUENCER, 2, h);
        assertEq(bridge.consumedDeposits(), 1);
    }

    function test_commitBatch_validiumRefusesBlobs() public {
        OnChainProposer.BatchHeader memory h = headerFor(10, 0, 0);
        OnChainProposer.BlobOpening[] memory openings = new OnChainProposer.BlobOpening[](1);
        vm.prank(SEQUENCER);
        vm.expectRevert(OnChainProposer.BlobsInValidium.selector);
        proposer.commitBatch(1, h, openings);

        bytes32[] memory hashes = new bytes32[](1);
        hashes[0] = bytes32(uint256(1) << 248);
        vm.blobhashes(hashes);
        vm.prank(SEQUENCER);
        vm.expectRevert(OnChainProposer.BlobsInValidium.selector);
        proposer.commitBatch(1, h, noBlobs());
    }

    function test_commitBatch_rollupNeedsCheckedBlobs() public {
        (OnChainProposer p,) = rollupProposer();
        OnChainProposer.BatchHeader memory h = headerFor(10, 0, 0);
        h.depositsRollingHash = 0;
        vm.prank(SEQUENCER);
        vm.expectRevert(OnChainProposer.NoBlobs.selector);
        p.commitBatch(1, h, noBlobs());

        OnChainProposer.BlobOpening[] memory openings = new OnChainProposer.BlobOpening[](1);
        openings[0] = OnChainProposer.BlobOpening({z: 0, y: 0, commitment: new bytes(48), proof: new bytes(48)});
        // One opening but no blob.
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.BlobCountMismatch.selector, 1, 0));
        p.commitBatch(1, h, openings);

        // Two blobs, one opening.
        bytes32[] memory hashes = new bytes32[](2);
        hashes[0] = bytes32(uint256(1) << 248) | keccak256("blob 0") >> 8;
        hashes[1] = bytes32(uint256(1) << 248) | keccak256("blob 1") >> 8;
        vm.blobhashes(hashes);
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.BlobCountMismatch.selector, 1, 1));
        p.commitBatch(1, h, openings);

        // One blob, a malformed opening, then a well-formed one the precompile refuses.
        bytes32[] memory oneHash = new bytes32[](1);
        oneHash[0] = hashes[0];
        vm.blobhashes(oneHash);
        openings[0].commitment = new bytes(47);
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.MalformedOpening.selector, 0));
        p.commitBatch(1, h, openings);
        openings[0].commitment = new bytes(48);
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.BlobOpeningRejected.selector, 0));
        p.commitBatch(1, h, openings);
        assertEq(p.lastCommittedBatch(), 0);
    }

    // --- verifyBatch -------------------------------------------------------------------------

    function test_verifyBatch_withTheDevVerifier() public {
        uint256 batch = commitNext(keccak256("withdrawals"), 0);
        bytes32 commitment = proposer.commitmentOf(batch);
        vm.expectEmit(true, true, true, true, address(proposer));
        emit OnChainProposer.BatchVerified(batch, commitment);
        vm.prank(address(0xA7B17A7)); // anyone
        proposer.verifyBatch(batch, oneProof(devProof(PROVER_KEY, commitment)));
        assertEq(proposer.lastVerifiedBatch(), 1);
        assertTrue(proposer.isVerified(1));
        assertEq(proposer.commitmentOf(1), commitment, "verification changes nothing stored");
    }

    function testFuzz_verifyBatch_outOfOrderReverts(uint256 batchNumber) public {
        commitNext(0, 0);
        commitNext(0, 0);
        vm.assume(batchNumber != 1);
        bytes[] memory proofs = oneProof(devProof(PROVER_KEY, proposer.commitmentOf(1)));
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.VerifyOutOfOrder.selector, 1, batchNumber));
        proposer.verifyBatch(batchNumber, proofs);
        verifyNext();
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.VerifyOutOfOrder.selector, 2, 1));
        proposer.verifyBatch(1, proofs);
    }

    /// @dev Catching up on a slow L1: several batches committed, then verified, per transaction,
    ///      exactly as one at a time would.
    function testFuzz_commitAndVerifyBatches_inOneTransactionEach(uint8 count) public {
        uint256 n = bound(count, 1, 6);
        OnChainProposer.BatchHeader[] memory headers = new OnChainProposer.BatchHeader[](n);
        OnChainProposer.BlobOpening[][] memory openings = new OnChainProposer.BlobOpening[][](n);
        for (uint256 i = 0; i < n; ++i) {
            headers[i] = headerFor(10 * (i + 1), keccak256(abi.encode("withdrawals", i)), 0);
        }
        vm.prank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.NotSequencer.selector, address(0xBAD)));
        proposer.commitBatches(1, headers, openings);
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.BatchListMismatch.selector, n, n + 1));
        proposer.commitBatches(1, headers, new OnChainProposer.BlobOpening[][](n + 1));
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.BatchOutOfOrder.selector, 1, 2));
        proposer.commitBatches(2, headers, openings);

        vm.prank(SEQUENCER);
        proposer.commitBatches(1, headers, openings);
        assertEq(proposer.lastCommittedBatch(), n);
        bytes32 parentHash = GENESIS_BLOCK_HASH;
        bytes32 parentRoot = GENESIS_STATE_ROOT;
        bytes[][] memory proofs = new bytes[][](n);
        for (uint256 i = 0; i < n; ++i) {
            uint256 first = 10 * i + 1;
            bytes32 expected = expectedCommitment(i + 1, first, 10 * (i + 1), parentHash, parentRoot, headers[i]);
            assertEq(proposer.commitmentOf(i + 1), expected, "commitment of each batch");
            proofs[i] = oneProof(devProof(PROVER_KEY, expected));
            (parentHash, parentRoot) = (headers[i].lastBlockHash, headers[i].newStateRoot);
        }

        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.BatchListMismatch.selector, 0, 0));
        proposer.verifyBatches(1, new bytes[][](0));
        // One bad proof anywhere: nothing is verified.
        bytes[][] memory bad = new bytes[][](n);
        for (uint256 i = 0; i < n; ++i) {
            bad[i] = proofs[i];
        }
        bad[n - 1] = oneProof(devProof(PROVER_KEY, keccak256("other")));
        vm.expectRevert();
        proposer.verifyBatches(1, bad);
        assertEq(proposer.lastVerifiedBatch(), 0);
        vm.prank(address(0xA7B17A7)); // anyone
        proposer.verifyBatches(1, proofs);
        assertEq(proposer.lastVerifiedBatch(), n);
    }

    /// @dev The settler's transaction when both are ready: commit the next batch and verify a
    ///      proven one in one call, all or nothing, with the caller's own rights.
    function test_multicall_commitsAndVerifiesTogether() public {
        uint256 proven = commitNext(0, 0);
        bytes[] memory calls = new bytes[](2);
        calls[0] = abi.encodeCall(
            proposer.commitBatch, (proven + 1, headerFor(lastBlockOf(proven) + 10, 0, 0), noBlobs())
        );
        calls[1] =
            abi.encodeCall(proposer.verifyBatch, (proven, oneProof(devProof(PROVER_KEY, proposer.commitmentOf(proven)))));

        // msg.sender is the caller's in each call: no one else commits through it.
        vm.prank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.NotSequencer.selector, address(0xBAD)));
        proposer.multicall(calls);

        // A refused proof takes the commit with it.
        bytes[] memory badProof = new bytes[](2);
        badProof[0] = calls[0];
        badProof[1] = abi.encodeCall(proposer.verifyBatch, (proven, oneProof(devProof(PROVER_KEY, keccak256("other")))));
        vm.prank(SEQUENCER);
        vm.expectRevert();
        proposer.multicall(badProof);
        assertProgress(proven, 0, 0);

        vm.prank(SEQUENCER);
        proposer.multicall(calls);
        assertProgress(proven + 1, proven, 0);
    }

    function test_verifyBatch_uncommittedReverts() public {
        bytes[] memory proofs = oneProof(devProof(PROVER_KEY, bytes32(0)));
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.BatchNotCommitted.selector, 1));
        proposer.verifyBatch(1, proofs);
    }

    function test_verifyBatch_wrongProofCountReverts() public {
        uint256 batch = commitNext(0, 0);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.WrongProofCount.selector, 1, 0));
        proposer.verifyBatch(batch, new bytes[](0));
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.WrongProofCount.selector, 1, 2));
        proposer.verifyBatch(batch, new bytes[](2));
    }

    function testFuzz_verifyBatch_refusesOtherSignatures(uint256 keySeed, bytes32 otherCommitment) public {
        uint256 batch = commitNext(0, 0);
        bytes32 commitment = proposer.commitmentOf(batch);
        uint256 key = boundPrivateKey(keySeed);
        vm.assume(key != PROVER_KEY && otherCommitment != commitment);

        // An unregistered key, on the right commitment.
        vm.expectRevert(abi.encodeWithSelector(ProverKeys.UnknownProver.selector, vm.addr(key)));
        proposer.verifyBatch(batch, oneProof(devProof(key, commitment)));
        // The registered key, on another commitment: it recovers to some other address.
        vm.expectPartialRevert(ProverKeys.UnknownProver.selector);
        proposer.verifyBatch(batch, oneProof(devProof(PROVER_KEY, otherCommitment)));
        assertEq(proposer.lastVerifiedBatch(), 0);
    }

    function test_verifyBatch_everyVerifierMustAccept() public {
        uint256 batch = commitNext(0, 0);
        bytes memory good = devProof(PROVER_KEY, proposer.commitmentOf(batch));

        viaTimelock(
            address(proposer),
            abi.encodeCall(OnChainProposer.setVerifiers, (two(address(devVerifier), address(rejectAll))))
        );
        bytes[] memory proofs = new bytes[](2);
        proofs[0] = good;
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.VerifierRejected.selector, 1, address(rejectAll)));
        proposer.verifyBatch(batch, proofs);

        viaTimelock(
            address(proposer),
            abi.encodeCall(OnChainProposer.setVerifiers, (two(address(acceptAll), address(devVerifier))))
        );
        // Proofs go to verifiers in order: the dev proof in slot 0 leaves slot 1 empty.
        vm.expectRevert(abi.encodeWithSelector(DevVerifier.BadProofLength.selector, 0));
        proposer.verifyBatch(batch, proofs);
        proofs[1] = good;
        proofs[0] = "";
        proposer.verifyBatch(batch, proofs);
        assertTrue(proposer.isVerified(batch));
    }

    /// @dev A verifier change applies to batches committed before it.
    function test_setVerifiers_appliesToPendingBatches() public {
        uint256 batch = commitNext(0, 0);
        viaTimelock(address(proposer), abi.encodeCall(OnChainProposer.setVerifiers, (one(address(acceptAll)))));
        proposer.verifyBatch(batch, oneProof("anything"));
        assertTrue(proposer.isVerified(batch));
    }

    function testFuzz_setVerifiers_onlyTheOwner(address caller) public {
        vm.assume(caller != address(timelock));
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, caller));
        proposer.setVerifiers(one(address(acceptAll)));
    }

    function test_setVerifiers_validatesTheList() public {
        vm.startPrank(address(timelock));
        vm.expectRevert(OnChainProposer.NoVerifiers.selector);
        proposer.setVerifiers(new address[](0));
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.ZeroAddress.selector, "verifier"));
        proposer.setVerifiers(two(address(acceptAll), address(0)));
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.VerifierHasNoCode.selector, OWNER));
        proposer.setVerifiers(one(OWNER));
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.DuplicateVerifier.selector, address(acceptAll)));
        proposer.setVerifiers(two(address(acceptAll), address(acceptAll)));
        vm.stopPrank();
        assertEq(proposer.verifiers()[0], address(devVerifier), "unchanged");
    }

    // --- owner changes -----------------------------------------------------------------------

    function test_setSequencer_throughTheTimelock() public {
        address newSequencer = address(0x5E92);
        vm.prank(OWNER);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, OWNER));
        proposer.setSequencer(newSequencer);
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, SEQUENCER));
        proposer.setSequencer(newSequencer);
        vm.prank(address(timelock));
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.ZeroAddress.selector, "sequencer"));
        proposer.setSequencer(address(0));

        viaTimelock(address(proposer), abi.encodeCall(OnChainProposer.setSequencer, (newSequencer)));
        assertEq(proposer.sequencer(), newSequencer);
        OnChainProposer.BatchHeader memory h = headerFor(10, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.NotSequencer.selector, SEQUENCER));
        commitAs(SEQUENCER, 1, h);
        commitAs(newSequencer, 1, h);
    }

    function test_proverKeys_changeThroughTheTimelock() public {
        uint256 newKey = 0xBEEF;
        uint256 batch = commitNext(0, 0);
        bytes32 commitment = proposer.commitmentOf(batch);

        vm.prank(OWNER);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, OWNER));
        devVerifier.addProver(vm.addr(newKey));

        viaTimelock(address(devVerifier), abi.encodeCall(ProverKeys.addProver, (vm.addr(newKey))));
        viaTimelock(address(devVerifier), abi.encodeCall(ProverKeys.removeProver, (vm.addr(PROVER_KEY))));
        vm.expectRevert(abi.encodeWithSelector(ProverKeys.UnknownProver.selector, vm.addr(PROVER_KEY)));
        proposer.verifyBatch(batch, oneProof(devProof(PROVER_KEY, commitment)));
        proposer.verifyBatch(batch, oneProof(devProof(newKey, commitment)));
        assertTrue(proposer.isVerified(batch));
    }

    /// @dev Verifying a batch freezes it: later commits never touch it.
    function test_verifiedBatchesNeverChange() public {
        uint256 batch = commitNext(keccak256("w1"), 0);
        verifyNext();
        (,,, bytes32 sr,, bytes32 wr,,,, bytes32 c) = proposer.batches(batch);
        for (uint256 i = 0; i < 3; ++i) {
            commitNext(keccak256(abi.encode(i)), 0);
        }
        verifyNext();
        (,,, bytes32 sr2,, bytes32 wr2,,,, bytes32 c2) = proposer.batches(batch);
        assertEq(sr2, sr);
        assertEq(wr2, wr);
        assertEq(c2, c);
    }

    // --- revertBatches -----------------------------------------------------------------------

    function revertAs(address caller, uint256 keptBatch) internal {
        vm.prank(caller);
        proposer.revertBatches(keptBatch);
    }

    function assertProgress(uint256 committed, uint256 verified, uint256 revertCount) internal view {
        (uint256 c, uint256 v, uint256 r) = proposer.progress();
        assertEq(c, committed, "progress: committed");
        assertEq(v, verified, "progress: verified");
        assertEq(r, revertCount, "progress: reverts");
        assertEq(proposer.lastCommittedBatch(), committed, "lastCommittedBatch");
        assertEq(proposer.lastVerifiedBatch(), verified, "lastVerifiedBatch");
        assertEq(proposer.reverts(), revertCount, "reverts");
    }

    /// @dev Everything stored for `batchNumber` is gone.
    function assertCleared(uint256 batchNumber) internal view {
        OnChainProposer.BatchCommitment memory b = stored(batchNumber);
        assertEq(b.commitment, bytes32(0), "reverted commitment");
        assertEq(b.stateRoot, bytes32(0), "reverted stateRoot");
        assertEq(b.lastBlockHash, bytes32(0), "reverted lastBlockHash");
        assertEq(b.withdrawalsRoot, bytes32(0), "reverted withdrawalsRoot");
        assertEq(b.depositsRollingHash, bytes32(0), "reverted depositsRollingHash");
        assertEq(uint256(b.firstBlock), 0, "reverted firstBlock");
        assertEq(uint256(b.lastBlock), 0, "reverted lastBlock");
        assertEq(uint256(b.lastBlockTimestamp), 0, "reverted lastBlockTimestamp");
        assertEq(uint256(b.depositCount), 0, "reverted depositCount");
        assertEq(proposer.commitmentOf(batchNumber), bytes32(0), "commitmentOf");
        assertEq(proposer.withdrawalsRoot(batchNumber), bytes32(0), "withdrawalsRoot");
        assertFalse(proposer.isVerified(batchNumber), "isVerified");
    }

    /// @dev The rolling hash of plain deposits `first .. first + count - 1`, each made by the
    ///      EOA `sender(id)` to `to` with `amount(id)`, from the hash rules alone (not the
    ///      bridge's stored hashes).
    function depositsRolling(uint256 first, uint256 count, address to, bool numberedSenders)
        internal
        pure
        returns (bytes32 rolling)
    {
        for (uint256 id = first; id < first + count; ++id) {
            address sender = numberedSenders ? address(uint160(0xA000 + id)) : address(0xA11CE);
            uint256 amount = numberedSenders ? 1 : (id + 1) * 1 ether;
            rolling = keccak256(abi.encodePacked(rolling, messageHash(id, sender, sender, to, amount, amount, 0, "")));
        }
    }

    /// @dev The council's emergency power: no delay, no timelock.
    function test_revertBatches_theCouncilAtOnce() public {
        commitNext(0, 0);
        verifyNext();
        commitNext(0, 0);
        commitNext(0, 0);

        vm.expectEmit(true, true, true, true, address(proposer));
        emit OnChainProposer.BatchesReverted(1, 3, 1);
        revertAs(COUNCIL, 1);
        assertProgress(1, 1, 1);
        assertCleared(2);
        assertCleared(3);
        assertTrue(proposer.isVerified(1), "the verified batch stays");
    }

    /// @dev The owner is the timelock: the owner multisig itself cannot revert, only a scheduled
    ///      call after the exit window (or the timelock as msg.sender).
    function test_revertBatches_theOwnerThroughTheTimelock() public {
        commitNext(0, 0);
        commitNext(0, 0);
        vm.prank(OWNER);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.NotOwnerOrCouncil.selector, OWNER));
        proposer.revertBatches(0);

        viaTimelock(address(proposer), abi.encodeCall(OnChainProposer.revertBatches, (1)));
        assertProgress(1, 0, 1);
        assertCleared(2);

        revertAs(address(timelock), 0);
        assertProgress(0, 0, 2);
        assertCleared(1);
    }

    function testFuzz_revertBatches_onlyTheOwnerOrTheCouncil(address caller) public {
        vm.assume(caller != address(timelock) && caller != COUNCIL);
        commitNext(0, 0);
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.NotOwnerOrCouncil.selector, SEQUENCER));
        proposer.revertBatches(0);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.NotOwnerOrCouncil.selector, caller));
        proposer.revertBatches(0);
        assertProgress(1, 0, 0);
        assertNotEq(proposer.commitmentOf(1), bytes32(0), "batch 1 kept");
    }

    /// @dev The council is the bridge's, read at each call: a replaced council loses the power.
    function test_revertBatches_followsTheBridgesCouncil() public {
        address newCouncil = address(0xC0C2);
        commitNext(0, 0);
        commitNext(0, 0);
        viaTimelock(address(bridge), abi.encodeCall(CommonBridge.setSecurityCouncil, (newCouncil)));
        vm.prank(COUNCIL);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.NotOwnerOrCouncil.selector, COUNCIL));
        proposer.revertBatches(1);
        revertAs(newCouncil, 1);
        assertProgress(1, 0, 1);
    }

    /// @dev A verified batch is final, and there must be something to revert.
    function test_revertBatches_neverAVerifiedBatch() public {
        commitNext(0, 0);
        commitNext(0, 0);
        commitNext(0, 0);
        verifyNext();
        verifyNext();
        uint256[4] memory refused = [uint256(0), 1, 3, type(uint256).max];
        for (uint256 i = 0; i < refused.length; ++i) {
            vm.prank(COUNCIL);
            vm.expectRevert(abi.encodeWithSelector(OnChainProposer.CannotRevert.selector, refused[i], 2, 3));
            proposer.revertBatches(refused[i]);
        }
        vm.prank(address(timelock));
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.CannotRevert.selector, 1, 2, 3));
        proposer.revertBatches(1);
        assertProgress(3, 2, 0);

        revertAs(COUNCIL, 2);
        assertProgress(2, 2, 1);
        // Everything committed is verified: nothing left to revert.
        vm.prank(COUNCIL);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.CannotRevert.selector, 2, 2, 2));
        proposer.revertBatches(2);
        assertTrue(proposer.isVerified(2));
    }

    /// @dev Exactly `lastVerifiedBatch <= keptBatch < lastCommittedBatch` is accepted.
    function testFuzz_revertBatches_onlyCommittedUnverifiedBatches(
        uint8 committed,
        uint8 verified,
        uint256 keptSeed,
        bool anyValue
    ) public {
        uint256 c = bound(committed, 0, 5);
        uint256 v = bound(verified, 0, c);
        // Mostly near the committed range (both outcomes), sometimes any number at all.
        uint256 kept = anyValue ? keptSeed : keptSeed % (c + 2);
        for (uint256 i = 0; i < c; ++i) {
            commitNext(keccak256(abi.encode("w", i)), 0);
        }
        for (uint256 i = 0; i < v; ++i) {
            verifyNext();
        }
        if (kept >= v && kept < c) {
            revertAs(COUNCIL, kept);
            assertProgress(kept, v, 1);
            for (uint256 b = kept + 1; b <= c; ++b) {
                assertCleared(b);
            }
        } else {
            vm.prank(COUNCIL);
            vm.expectRevert(abi.encodeWithSelector(OnChainProposer.CannotRevert.selector, kept, v, c));
            proposer.revertBatches(kept);
            assertProgress(c, v, 0);
        }
    }

    /// @dev The way back from an unprovable batch: revert it, re-form it (other blocks) with the
    ///      same deposits, commit it under the same number and verify it.
    function test_revertBatches_returnsDepositsForTheReformedBatch() public {
        for (uint256 i = 0; i < 5; ++i) {
            depositFrom(address(0xA11CE), address(0xB0B), (i + 1) * 1 ether);
        }
        commitNext(keccak256("w1"), 1); // deposit 0
        verifyNext();
        commitNext(keccak256("w2"), 2); // deposits 1, 2
        commitNext(keccak256("w3"), 2); // deposits 3, 4
        OnChainProposer.BatchCommitment memory batch1 = stored(1);
        bytes32 old2 = proposer.commitmentOf(2);
        assertEq(bridge.consumedDeposits(), 5);

        vm.expectEmit(true, true, true, true, address(bridge));
        emit CommonBridge.DepositsReturned(4, 1);
        vm.expectEmit(true, true, true, true, address(proposer));
        emit OnChainProposer.BatchesReverted(1, 3, 1);
        revertAs(COUNCIL, 1);

        assertProgress(1, 1, 1);
        assertCleared(2);
        assertCleared(3);
        assertEq(bridge.consumedDeposits(), 1, "the deposits of batches 2 and 3 are back in the queue");
        assertEq(bridge.depositCount(), 5, "the queue itself is unchanged");
        assertEq(proposer.commitmentOf(1), batch1.commitment, "batch 1 kept");

        // Batch 2 again: fifteen blocks instead of ten, all four returned deposits, in order.
        OnChainProposer.BatchHeader memory h = headerFor(batch1.lastBlock + 15, keccak256("w2 again"), 4);
        bytes32 expectedRolling = depositsRolling(1, 4, address(0xB0B), false);
        assertEq(h.depositsRollingHash, expectedRolling, "rolling hash of deposits 1..4");
        vm.expectEmit(true, true, true, true, address(bridge));
        emit CommonBridge.DepositsConsumed(4, 5, expectedRolling);
        commitAs(SEQUENCER, 2, h);

        bytes32 new2 = expectedCommitment(
            2, batch1.lastBlock + 1, batch1.lastBlock + 15, batch1.lastBlockHash, batch1.stateRoot, h
        );
        assertEq(proposer.commitmentOf(2), new2, "re-formed commitment");
        assertNotEq(new2, old2, "a different batch 2");
        assertEq(stored(2).depositsRollingHash, expectedRolling, "stored rolling hash");
        assertEq(uint256(stored(2).depositCount), 4, "stored deposit count");
        assertEq(bridge.consumedDeposits(), 5);
        assertProgress(2, 1, 1);

        assertEq(verifyNext(), 2);
        assertProgress(2, 2, 1);
        assertTrue(proposer.isVerified(2));
    }

    /// @dev A returned deposit keeps its deadline: past it, the re-formed batch must include it.
    function test_revertBatches_returnedDepositsKeepTheirDeadlines() public {
        uint256 t0 = block.timestamp;
        depositFrom(address(0xA11CE), address(0xB0B), 1 ether);
        commitNext(0, 1);
        vm.warp(t0 + INCLUSION_PERIOD + 1);
        revertAs(COUNCIL, 0);
        assertEq(bridge.consumedDeposits(), 0);

        OnChainProposer.BatchHeader memory h = headerFor(10, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.ExpiredDepositSkipped.selector, 0, t0 + INCLUSION_PERIOD));
        commitAs(SEQUENCER, 1, h);
        commitAs(SEQUENCER, 1, headerFor(10, 0, 1));
        assertEq(bridge.consumedDeposits(), 1);
    }

    /// @dev A withdrawal of a reverted batch is never paid: not while reverted, nor from the
    ///      re-formed batch of the same number that leaves it out.
    function test_revertBatches_revertedWithdrawalsAreNeverPaid() public {
        depositFrom(address(0xF00D), address(0xF00D), 1 ether);
        bytes32 leaf = WithdrawalTree.leaf(keccak256("tx"), 0, address(0xAAA1), 1 ether);
        bytes32[] memory none = new bytes32[](0);
        commitNext(leaf, 1);
        revertAs(COUNCIL, 0);
        vm.expectRevert(abi.encodeWithSelector(CommonBridge.BatchNotVerified.selector, 1));
        bridge.claimWithdrawal(1, keccak256("tx"), 0, address(0xAAA1), 1 ether, 0, none);

        bytes32 other = WithdrawalTree.leaf(keccak256("other tx"), 0, address(0xAAA2), 1 ether);
        commitNext(other, 1);
        verifyNext();
        vm.expectRevert(CommonBridge.BadWithdrawalProof.selector);
        bridge.claimWithdrawal(1, keccak256("tx"), 0, address(0xAAA1), 1 ether, 0, none);
        assertFalse(bridge.claimed(leaf));
        bridge.claimWithdrawal(1, keccak256("other tx"), 0, address(0xAAA2), 1 ether, 0, none);
        assertEq(address(0xAAA1).balance, 0);
        assertEq(address(0xAAA2).balance, 1 ether);
    }

    function test_revertBatches_countsEachRevert() public {
        commitNext(0, 0);
        commitNext(0, 0);
        revertAs(COUNCIL, 0);
        assertProgress(0, 0, 1);
        commitNext(0, 0);
        vm.expectEmit(true, true, true, true, address(proposer));
        emit OnChainProposer.BatchesReverted(0, 1, 2);
        revertAs(address(timelock), 0);
        assertProgress(0, 0, 2);
        commitNext(0, 0);
        assertProgress(1, 0, 2);
    }

    /// @dev Whatever batches were committed, and whichever unverified ones are reverted, the
    ///      bridge has consumed exactly the deposits of the kept batches, and the returned ones
    ///      are the next a batch consumes, with the same rolling hash.
    function testFuzz_revertBatches_consumedDepositsOfTheKeptBatches(
        uint8 batchCount,
        uint256 depositSeed,
        uint8 verifiedSeed,
        uint256 keptSeed
    ) public {
        uint256 n = bound(batchCount, 1, 8);
        uint256[] memory counts = new uint256[](n + 1);
        uint256 total = 0;
        for (uint256 b = 1; b <= n; ++b) {
            counts[b] = (depositSeed >> (8 * b)) % 4;
            total += counts[b];
        }
        uint256 queued = total + depositSeed % 3; // some never consumed
        for (uint256 id = 0; id < queued; ++id) {
            depositFrom(address(uint160(0xA000 + id)), address(0xB0B), 1);
        }
        bytes32[] memory commitments = new bytes32[](n + 1);
        for (uint256 b = 1; b <= n; ++b) {
            commitNext(keccak256(abi.encode("w", b)), counts[b]);
            commitments[b] = proposer.commitmentOf(b);
        }
        assertEq(bridge.consumedDeposits(), total, "consumed before");
        uint256 v = bound(verifiedSeed, 0, n - 1);
        for (uint256 i = 0; i < v; ++i) {
            verifyNext();
        }
        uint256 kept = bound(keptSeed, v, n - 1);
        uint256 keptDeposits = 0;
        for (uint256 b = 1; b <= kept; ++b) {
            keptDeposits += counts[b];
        }

        vm.expectEmit(true, true, true, true, address(bridge));
        emit CommonBridge.DepositsReturned(total - keptDeposits, keptDeposits);
        vm.expectEmit(true, true, true, true, address(proposer));
        emit OnChainProposer.BatchesReverted(kept, n, 1);
        revertAs(COUNCIL, kept);

        assertEq(bridge.consumedDeposits(), keptDeposits, "consumed = deposits of the kept batches");
        assertProgress(kept, v, 1);
        for (uint256 b = 1; b <= kept; ++b) {
            assertEq(proposer.commitmentOf(b), commitments[b], "kept batch unchanged");
        }
        for (uint256 b = kept + 1; b <= n; ++b) {
            assertCleared(b);
        }

        // The next batch takes every deposit left, the returned ones first.
        uint256 left = queued - keptDeposits;
        OnChainProposer.BatchHeader memory h = headerFor(lastBlockOf(kept) + 10, 0, left);
        bytes32 expectedRolling = depositsRolling(keptDeposits, left, address(0xB0B), true);
        assertEq(h.depositsRollingHash, expectedRolling, "rolling hash of the returned deposits");
        commitAs(SEQUENCER, kept + 1, h);
        assertEq(stored(kept + 1).depositsRollingHash, expectedRolling, "stored rolling hash");
        assertEq(bridge.consumedDeposits(), queued, "all consumed again");
        assertEq(verifyNext(), v + 1);
    }
}
