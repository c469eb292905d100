// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {CommonBridge} from "../src/l1/CommonBridge.sol";
import {OnChainProposer} from "../src/l1/OnChainProposer.sol";
import {SequencerRegistry} from "../src/l1/SequencerRegistry.sol";
import {AcceptAllVerifier, L1Fixture} from "./util/L1Fixture.sol";

/// @notice OnChainProposer with based sequencing: with no sequencer registry only the fixed
///         `sequencer` commits; the owner (the timelock) sets or clears the registry; with one
///         set, `commitBatch`/`commitBatches` take the current epoch's leader, or any active
///         sequencer once `fallbackAfter` seconds passed since `lastCommitAt`, and nobody else.
contract BasedCommitTest is L1Fixture {
    uint256 internal constant GENESIS = 1000; // L1 block of the registry's deployment
    uint256 internal constant T0 = 1_700_000_000; // unix seconds at deployment
    uint256 internal constant SLOT = 12; // seconds per L1 block
    uint256 internal constant MIN_BOND = 1 ether;
    uint256 internal constant EXIT_DELAY = 7 days;
    uint256 internal constant EPOCH = 10; // L1 blocks
    uint256 internal constant FALLBACK = 1 hours;
    uint256 internal constant CAP = 5;

    address internal constant A = address(0x5EA1);
    address internal constant B = address(0x5EB2);
    address internal constant C = address(0x5EC3);
    address internal constant D = address(0x5ED4);
    address internal constant OUTSIDER = address(0x0BAD);

    SequencerRegistry internal registry;

    function setUp() public {
        vm.roll(GENESIS);
        vm.warp(T0);
        deployL1();
        registry = new SequencerRegistry(MIN_BOND, EXIT_DELAY, EPOCH, FALLBACK, CAP);
        vm.label(address(registry), "registry");
        // Registered in epoch 0: scheduled from epoch 2 as [A, B, C], so the leader of epoch e
        // is [A, B, C][e % 3] (epoch 2: C, 3: A, 4: B, ...).
        register(A);
        register(B);
        register(C);
    }

    // --- helpers -----------------------------------------------------------------------------

    function register(address s) internal {
        vm.deal(s, s.balance + MIN_BOND);
        vm.prank(s);
        registry.register{value: MIN_BOND}();
    }

    /// @dev Rolls to L1 block `n` (not before the current one), the clock moving `SLOT`
    ///      seconds per block.
    function toBlock(uint256 n) internal {
        uint256 from = block.number;
        vm.roll(n);
        vm.warp(block.timestamp + (n - from) * SLOT);
    }

    /// @dev Rolls to the first L1 block of `epoch`.
    function toEpoch(uint256 epoch) internal {
        toBlock(registry.epochStartBlock(epoch));
    }

    /// @dev The leader of `epoch` while exactly A, B and C are active.
    function leaderOf(uint256 epoch) internal pure returns (address) {
        return epoch % 3 == 0 ? A : epoch % 3 == 1 ? B : C;
    }

    /// @dev Sets the registry as the owner does (the timelock's own call, without its wait:
    ///      the full timelock path is `test_setSequencerRegistry_throughTheTimelock`).
    function setRegistry(address r) internal {
        vm.prank(address(timelock));
        proposer.setSequencerRegistry(r);
    }

    function noBlobs() internal pure returns (OnChainProposer.BlobOpening[] memory) {
        return new OnChainProposer.BlobOpening[](0);
    }

    /// @dev The header of the next batch (ten blocks, `depositCount` queued deposits).
    function nextHeader(uint256 depositCount) internal view returns (OnChainProposer.BatchHeader memory) {
        return headerFor(lastBlockOf(proposer.lastCommittedBatch()) + 10, keccak256(abi.encode("w", block.number)), depositCount);
    }

    /// @dev `who` commits the next batch with `commitBatch`; checks it landed.
    function commitAs(address who) internal returns (uint256 batchNumber) {
        return commitAs(who, 0);
    }

    function commitAs(address who, uint256 depositCount) internal returns (uint256 batchNumber) {
        batchNumber = proposer.lastCommittedBatch() + 1;
        OnChainProposer.BatchHeader memory h = nextHeader(depositCount);
        vm.prank(who);
        proposer.commitBatch(batchNumber, h, noBlobs());
        assertEq(proposer.lastCommittedBatch(), batchNumber, "committed");
        assertEq(proposer.lastCommitAt(), block.timestamp, "lastCommitAt = this commit's time");
    }

    /// @dev `who` commits the next `n` batches with one `commitBatches`.
    function commitManyAs(address who, uint256 n) internal returns (uint256 firstBatch) {
        firstBatch = proposer.lastCommittedBatch() + 1;
        uint256 prevLast = lastBlockOf(firstBatch - 1);
        OnChainProposer.BatchHeader[] memory headers = new OnChainProposer.BatchHeader[](n);
        for (uint256 i = 0; i < n; ++i) {
            headers[i] = headerFor(prevLast + 10 * (i + 1), keccak256(abi.encode("w", i)), 0);
        }
        OnChainProposer.BlobOpening[][] memory openings = new OnChainProposer.BlobOpening[][](n);
        vm.prank(who);
        proposer.commitBatches(firstBatch, headers, openings);
        assertEq(proposer.lastCommittedBatch(), firstBatch + n - 1, "committed");
    }

    /// @dev `who` may not commit the next batch, neither with `commitBatch` nor with
    ///      `commitBatches`: both revert `NotSequencer(who)` and nothing changes.
    function assertRefused(address who, string memory what) internal {
        uint256 batchNumber = proposer.lastCommittedBatch() + 1;
        uint256 lastCommitAt = proposer.lastCommitAt();
        OnChainProposer.BatchHeader memory h = nextHeader(0);
        OnChainProposer.BatchHeader[] memory headers = new OnChainProposer.BatchHeader[](1);
        headers[0] = h;
        OnChainProposer.BlobOpening[][] memory openings = new OnChainProposer.BlobOpening[][](1);

        vm.prank(who);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.NotSequencer.selector, who));
        proposer.commitBatch(batchNumber, h, noBlobs());
        vm.prank(who);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.NotSequencer.selector, who));
        proposer.commitBatches(batchNumber, headers, openings);

        assertEq(proposer.lastCommittedBatch(), batchNumber - 1, what);
        assertEq(proposer.lastCommitAt(), lastCommitAt, "lastCommitAt unchanged by a refused commit");
    }

    // --- lastCommitAt ------------------------------------------------------------------------

    function test_lastCommitAt_setAtDeployment() public {
        assertEq(proposer.lastCommitAt(), T0, "fixture proposer");
        vm.warp(T0 + 1234);
        CommonBridge b = new CommonBridge(address(timelock), COUNCIL, INCLUSION_PERIOD, MAX_PAUSE);
        OnChainProposer p = newProposer(address(timelock), SEQUENCER, address(b), CHAIN_SPEC_HASH, one(address(devVerifier)), true);
        assertEq(p.lastCommitAt(), T0 + 1234, "a later deployment");
        assertEq(p.sequencerRegistry(), address(0), "no registry by default");
    }

    function test_lastCommitAt_updatedByCommitBatchAndCommitBatches() public {
        vm.warp(T0 + 100);
        commitAs(SEQUENCER);
        assertEq(proposer.lastCommitAt(), T0 + 100, "commitBatch");

        vm.warp(T0 + 500);
        assertRefused(OUTSIDER, "outsider");
        assertEq(proposer.lastCommitAt(), T0 + 100, "a refused commit");

        commitManyAs(SEQUENCER, 3);
        assertEq(proposer.lastCommitAt(), T0 + 500, "commitBatches");
        assertEq(proposer.lastCommittedBatch(), 4);

        // Verification is not a commit.
        vm.warp(T0 + 900);
        verifyNext();
        assertEq(proposer.lastCommitAt(), T0 + 500, "verifyBatch leaves it");
    }

    // --- no registry: the fixed sequencer ----------------------------------------------------

    function test_noRegistry_onlyTheSequencerCommits() public {
        assertEq(proposer.sequencerRegistry(), address(0));
        toEpoch(2); // C leads the registry's schedule, which the proposer does not ask
        assertRefused(C, "the registry's leader");
        assertRefused(A, "a registered sequencer");
        assertRefused(OUTSIDER, "an outsider");
        vm.warp(block.timestamp + 10 * FALLBACK); // no fallback either
        assertRefused(A, "a registered sequencer after a long silence");
        commitAs(SEQUENCER);
        commitManyAs(SEQUENCER, 2);
        assertEq(proposer.lastCommittedBatch(), 3);
    }

    // --- setSequencerRegistry ----------------------------------------------------------------

    /// @dev Only the owner, the timelock: the owner multisig, the sequencer, the council or a
    ///      registered sequencer calling directly get Ownable's error; a scheduled call after the
    ///      exit window goes through.
    function test_setSequencerRegistry_throughTheTimelock() public {
        address[5] memory callers = [OWNER, SEQUENCER, COUNCIL, A, OUTSIDER];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.prank(callers[i]);
            vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, callers[i]));
            proposer.setSequencerRegistry(address(registry));
        }
        assertEq(proposer.sequencerRegistry(), address(0));

        toEpoch(2);
        viaTimelock(address(proposer), abi.encodeCall(OnChainProposer.setSequencerRegistry, (address(registry))));
        assertEq(proposer.sequencerRegistry(), address(registry));
        assertEq(proposer.sequencer(), SEQUENCER, "the fixed sequencer is kept (for a switch back)");

        // The exit window (7 days) passed without a commit: the fallback is open at once, so any
        // active sequencer may commit the first based batch; the leader's turn resumes after it.
        assertRefused(SEQUENCER, "the fixed sequencer");
        assertRefused(OUTSIDER, "an outsider");
        assertEq(registry.currentLeader(), C);
        commitAs(A);
        assertRefused(B, "a non-leader once the fallback closed");
        commitAs(C);
    }

    function testFuzz_setSequencerRegistry_onlyTheOwner(address caller) public {
        vm.assume(caller != address(timelock));
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, caller));
        proposer.setSequencerRegistry(address(registry));
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, caller));
        proposer.setSequencerRegistry(address(0));
        assertEq(proposer.sequencerRegistry(), address(0));
    }

    function test_setSequencerRegistry_refusesAnAddressWithoutCode() public {
        address[3] memory codeless = [SEQUENCER, A, address(0xDEAD)];
        for (uint256 i = 0; i < codeless.length; ++i) {
            vm.prank(address(timelock));
            vm.expectRevert(abi.encodeWithSelector(OnChainProposer.RegistryHasNoCode.selector, codeless[i]));
            proposer.setSequencerRegistry(codeless[i]);
        }
        assertEq(proposer.sequencerRegistry(), address(0));

        // The same through the timelock: its execution reverts with the proposer's error.
        bytes memory data = abi.encodeCall(OnChainProposer.setSequencerRegistry, (address(0xDEAD)));
        vm.prank(OWNER);
        timelock.schedule(address(proposer), 0, data, bytes32(0), bytes32(uint256(0xBAD)), EXIT_WINDOW);
        vm.warp(block.timestamp + EXIT_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.RegistryHasNoCode.selector, address(0xDEAD)));
        timelock.execute(address(proposer), 0, data, bytes32(0), bytes32(uint256(0xBAD)));
        assertEq(proposer.sequencerRegistry(), address(0));
    }

    function testFuzz_setSequencerRegistry_refusesAnyAddressWithoutCode(address r) public {
        vm.assume(r != address(0) && r.code.length == 0);
        vm.prank(address(timelock));
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.RegistryHasNoCode.selector, r));
        proposer.setSequencerRegistry(r);
    }

    function test_setSequencerRegistry_emitsTheChange() public {
        vm.expectEmit(true, true, true, true, address(proposer));
        emit OnChainProposer.SequencerRegistryChanged(address(0), address(registry));
        setRegistry(address(registry));

        SequencerRegistry other = new SequencerRegistry(MIN_BOND, EXIT_DELAY, EPOCH, FALLBACK, CAP);
        vm.expectEmit(true, true, true, true, address(proposer));
        emit OnChainProposer.SequencerRegistryChanged(address(registry), address(other));
        setRegistry(address(other));
        assertEq(proposer.sequencerRegistry(), address(other));

        vm.expectEmit(true, true, true, true, address(proposer));
        emit OnChainProposer.SequencerRegistryChanged(address(other), address(0));
        setRegistry(address(0));
        assertEq(proposer.sequencerRegistry(), address(0));
    }

    // --- setInitialSequencerRegistry ---------------------------------------------------------

    /// @dev The deployer sets the registry (from the fixture, the test contract, which called
    ///      `new`), as `keel deploy` does right after deploying.
    function setInitialRegistry(address r) internal {
        proposer.setInitialSequencerRegistry(r);
    }

    /// @dev `deployer()` is whoever called `new`: the test contract for the fixture's proposer
    ///      (not the owner, not the sequencer), the pranked account for another.
    function test_setInitialSequencerRegistry_deployerIsTheDeployingAccount() public {
        assertEq(proposer.deployer(), address(this), "the fixture's proposer: the test contract");
        assertTrue(proposer.deployer() != proposer.owner(), "not the owner");
        assertTrue(proposer.deployer() != SEQUENCER, "not the sequencer");

        address eoa = address(0xDE9107);
        vm.prank(eoa);
        OnChainProposer p =
            newProposer(address(timelock), SEQUENCER, address(bridge), CHAIN_SPEC_HASH, one(address(devVerifier)), true);
        assertEq(p.deployer(), eoa, "an account's deployment");
        assertEq(p.owner(), address(timelock), "the owner is the constructor's, not the deployer");

        vm.prank(SEQUENCER);
        OnChainProposer q =
            newProposer(address(timelock), SEQUENCER, address(bridge), CHAIN_SPEC_HASH, one(address(devVerifier)), true);
        assertEq(q.deployer(), SEQUENCER, "the sequencer's own deployment");
    }

    /// @dev The deployer sets the registry before any commit: based from batch 1 on, no
    ///      timelock wait. The leader commits; the fixed sequencer is refused until it registers
    ///      and leads; the owner keeps its power over the registry.
    function test_setInitialSequencerRegistry_theDeployerMakesItBasedFromTheStart() public {
        vm.expectEmit(true, true, true, true, address(proposer));
        emit OnChainProposer.SequencerRegistryChanged(address(0), address(registry));
        setInitialRegistry(address(registry));
        assertEq(proposer.sequencerRegistry(), address(registry));
        assertEq(proposer.sequencer(), SEQUENCER, "the fixed sequencer is kept");
        assertEq(proposer.owner(), address(timelock), "the owner is unchanged");
        assertEq(proposer.lastCommitAt(), T0, "lastCommitAt is still the deployment's");

        // Nobody active yet (the schedule starts at epoch 2): everyone refused.
        assertRefused(SEQUENCER, "the fixed sequencer, before any leader");
        assertRefused(A, "registered, not yet active");

        toEpoch(2); // leader C, the fallback closed (240 s since the deployment)
        assertEq(registry.currentLeader(), C);
        assertRefused(SEQUENCER, "the fixed sequencer");
        assertRefused(A, "a registered non-leader");
        assertRefused(OUTSIDER, "an outsider");
        assertRefused(address(this), "the deployer");
        assertRefused(address(timelock), "the owner");
        assertEq(commitAs(C), 1, "the leader commits batch 1");
        commitManyAs(C, 2);
        assertEq(proposer.lastCommittedBatch(), 3);

        // The fixed sequencer commits only as a registered leader.
        register(SEQUENCER); // active from epoch 4: [A, B, C, SEQUENCER]
        toEpoch(3);
        assertRefused(SEQUENCER, "registered, not yet active");
        commitAs(A);
        toEpoch(7); // 7 % 4 = 3
        assertEq(registry.currentLeader(), SEQUENCER);
        assertRefused(A, "a non-leader");
        commitAs(SEQUENCER);
        verifyNext();

        // The owner still governs the registry: the timelock switches back to the sequencer.
        viaTimelock(address(proposer), abi.encodeCall(OnChainProposer.setSequencerRegistry, (address(0))));
        assertEq(proposer.sequencerRegistry(), address(0));
        assertRefused(C, "the registry's leader, after the switch back");
        commitAs(SEQUENCER);
    }

    /// @dev Nobody but the deployer: the owner multisig, the timelock (the owner), the
    ///      sequencer, the council, a registered sequencer, an outsider get NotDeployer.
    function test_setInitialSequencerRegistry_onlyTheDeployer() public {
        address[6] memory callers = [OWNER, address(timelock), SEQUENCER, COUNCIL, A, OUTSIDER];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.prank(callers[i]);
            vm.expectRevert(abi.encodeWithSelector(OnChainProposer.NotDeployer.selector, callers[i]));
            proposer.setInitialSequencerRegistry(address(registry));
        }
        assertEq(proposer.sequencerRegistry(), address(0));

        // Not through the timelock either: its execution reverts with the proposer's error.
        bytes memory data = abi.encodeCall(OnChainProposer.setInitialSequencerRegistry, (address(registry)));
        vm.prank(OWNER);
        timelock.schedule(address(proposer), 0, data, bytes32(0), bytes32(uint256(0x1417)), EXIT_WINDOW);
        vm.warp(block.timestamp + EXIT_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.NotDeployer.selector, address(timelock)));
        timelock.execute(address(proposer), 0, data, bytes32(0), bytes32(uint256(0x1417)));
        assertEq(proposer.sequencerRegistry(), address(0));

        // The refusals used nothing up: the deployer still may.
        setInitialRegistry(address(registry));
        assertEq(proposer.sequencerRegistry(), address(registry));
    }

    /// @dev A proposer deployed by another account: the test contract (now not the deployer)
    ///      and the sequencer are refused, that account sets it.
    function test_setInitialSequencerRegistry_onlyTheDeployerOfThatProposer() public {
        address eoa = address(0xDE9107);
        vm.prank(eoa);
        OnChainProposer p =
            newProposer(address(timelock), SEQUENCER, address(bridge), CHAIN_SPEC_HASH, one(address(devVerifier)), true);

        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.NotDeployer.selector, address(this)));
        p.setInitialSequencerRegistry(address(registry));
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.NotDeployer.selector, SEQUENCER));
        p.setInitialSequencerRegistry(address(registry));
        assertEq(p.sequencerRegistry(), address(0));

        vm.prank(eoa);
        p.setInitialSequencerRegistry(address(registry));
        assertEq(p.sequencerRegistry(), address(registry));
    }

    /// @dev Any caller but the deployer gets NotDeployer, whatever the argument (the caller is
    ///      checked first).
    function testFuzz_setInitialSequencerRegistry_onlyTheDeployer(address caller, address r) public {
        vm.assume(caller != address(this));
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.NotDeployer.selector, caller));
        proposer.setInitialSequencerRegistry(address(registry));
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.NotDeployer.selector, caller));
        proposer.setInitialSequencerRegistry(r);
        assertEq(proposer.sequencerRegistry(), address(0));
    }

    /// @dev Once only: a second call gets AlreadyStarted, whatever the argument, also after the
    ///      owner replaced the registry.
    function test_setInitialSequencerRegistry_onlyOnce() public {
        setInitialRegistry(address(registry));
        SequencerRegistry other = new SequencerRegistry(MIN_BOND, EXIT_DELAY, EPOCH, FALLBACK, CAP);

        vm.expectRevert(OnChainProposer.AlreadyStarted.selector);
        setInitialRegistry(address(registry));
        vm.expectRevert(OnChainProposer.AlreadyStarted.selector);
        setInitialRegistry(address(other));
        vm.expectRevert(OnChainProposer.AlreadyStarted.selector);
        setInitialRegistry(address(0));
        vm.expectRevert(OnChainProposer.AlreadyStarted.selector);
        setInitialRegistry(address(0xDEAD));
        assertEq(proposer.sequencerRegistry(), address(registry));

        setRegistry(address(other));
        vm.expectRevert(OnChainProposer.AlreadyStarted.selector);
        setInitialRegistry(address(registry));
        assertEq(proposer.sequencerRegistry(), address(other));
    }

    /// @dev After the first commit (by the fixed sequencer, no registry) it is too late, and
    ///      the fixed sequencer goes on committing.
    function test_setInitialSequencerRegistry_notAfterACommit() public {
        commitAs(SEQUENCER);
        vm.expectRevert(OnChainProposer.AlreadyStarted.selector);
        setInitialRegistry(address(registry));
        assertEq(proposer.sequencerRegistry(), address(0));

        // Verified or not, and also through commitBatches.
        verifyNext();
        commitManyAs(SEQUENCER, 2);
        vm.expectRevert(OnChainProposer.AlreadyStarted.selector);
        setInitialRegistry(address(registry));
        assertEq(proposer.sequencerRegistry(), address(0));
        commitAs(SEQUENCER);
    }

    /// @dev After batches were committed and the council reverted back to genesis
    ///      (lastCommittedBatch is 0 again, reverts is not), it is still too late.
    function test_setInitialSequencerRegistry_notAfterARevertToGenesis() public {
        commitAs(SEQUENCER);
        commitAs(SEQUENCER);
        vm.prank(COUNCIL);
        proposer.revertBatches(0);
        (uint256 committed, uint256 verified, uint256 revertCount) = proposer.progress();
        assertEq(committed, 0, "back to genesis");
        assertEq(verified, 0);
        assertEq(revertCount, 1);

        vm.expectRevert(OnChainProposer.AlreadyStarted.selector);
        setInitialRegistry(address(registry));
        assertEq(proposer.sequencerRegistry(), address(0));
        assertRefused(C, "the registry's leader");
        commitAs(SEQUENCER); // the fixed sequencer re-forms batch 1
    }

    function test_setInitialSequencerRegistry_refusesZero() public {
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.ZeroAddress.selector, "registry"));
        setInitialRegistry(address(0));
        assertEq(proposer.sequencerRegistry(), address(0));
        setInitialRegistry(address(registry)); // not used up
        assertEq(proposer.sequencerRegistry(), address(registry));
    }

    function test_setInitialSequencerRegistry_refusesAnAddressWithoutCode() public {
        address[4] memory codeless = [SEQUENCER, A, OWNER, address(0xDEAD)];
        for (uint256 i = 0; i < codeless.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(OnChainProposer.RegistryHasNoCode.selector, codeless[i]));
            setInitialRegistry(codeless[i]);
        }
        assertEq(proposer.sequencerRegistry(), address(0));
        setInitialRegistry(address(registry)); // not used up
        assertEq(proposer.sequencerRegistry(), address(registry));
    }

    function testFuzz_setInitialSequencerRegistry_refusesAnyAddressWithoutCode(address r) public {
        vm.assume(r != address(0) && r.code.length == 0);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.RegistryHasNoCode.selector, r));
        setInitialRegistry(r);
        assertEq(proposer.sequencerRegistry(), address(0));
    }

    // --- based commits -----------------------------------------------------------------------

    function test_registry_onlyTheEpochsLeaderCommits() public {
        setRegistry(address(registry));
        toEpoch(2);
        assertEq(registry.currentLeader(), C);

        assertRefused(A, "a registered non-leader");
        assertRefused(B, "a registered non-leader");
        assertRefused(OUTSIDER, "an unregistered account");
        assertRefused(SEQUENCER, "the old fixed sequencer");
        assertRefused(address(timelock), "the owner");

        uint256 batch = commitAs(C);
        assertEq(batch, 1);
        commitManyAs(C, 2);
        assertEq(proposer.lastCommittedBatch(), 3);
        assertEq(proposer.lastCommitAt(), block.timestamp);
        assertRefused(A, "still a non-leader");
    }

    /// @dev Epoch by epoch the turn goes round [A, B, C]: consecutive batches, each committed
    ///      by its epoch's leader (with the deposit queue consumed as usual), the others refused.
    function test_registry_eachSequencerCommitsInTurn() public {
        setRegistry(address(registry));
        address[3] memory all = [A, B, C];
        for (uint256 epoch = 2; epoch < 11; ++epoch) {
            toEpoch(epoch);
            address leader = leaderOf(epoch);
            assertEq(registry.currentLeader(), leader, "the registry agrees");
            for (uint256 i = 0; i < 3; ++i) {
                if (all[i] != leader) assertRefused(all[i], "a non-leader");
            }
            depositFrom(address(0xF00D), address(0xB0B), 1 ether);
            uint256 batch = commitAs(leader, 1);
            assertEq(batch, 2 * (epoch - 2) + 1, "consecutive batches");
            // The leader holds the whole epoch: still its turn at the epoch's last block.
            toBlock(registry.epochStartBlock(epoch + 1) - 1);
            for (uint256 i = 0; i < 3; ++i) {
                if (all[i] != leader) assertRefused(all[i], "a non-leader at the epoch's end");
            }
            assertEq(commitAs(leader), batch + 1, "consecutive batches");
        }
        assertEq(proposer.lastCommittedBatch(), 18);
        assertEq(bridge.consumedDeposits(), 9, "every deposit consumed");
        // The chain stays provable as usual.
        for (uint256 i = 0; i < 18; ++i) {
            verifyNext();
        }
        assertEq(proposer.lastVerifiedBatch(), 18);
    }

    /// @dev In any epoch and at any block of it, exactly the leader commits (while the fallback
    ///      is closed).
    function testFuzz_registry_onlyTheLeaderOfAnyEpoch(uint256 epochSeed, uint256 offset, address other) public {
        setRegistry(address(registry));
        uint256 epoch = bound(epochSeed, 2, 10_000);
        vm.roll(registry.epochStartBlock(epoch) + bound(offset, 0, EPOCH - 1));
        vm.warp(T0 + FALLBACK - 1); // the fallback stays closed whatever the block
        address leader = leaderOf(epoch);
        assertEq(registry.currentLeader(), leader);
        vm.assume(other != leader);
        assertRefused(other, "anyone but the leader");
        commitAs(leader);
    }

    /// @dev The old fixed sequencer commits only as the leader, once it registered and its turn
    ///      comes.
    function test_registry_theFixedSequencerCommitsOnlyAsTheLeader() public {
        setRegistry(address(registry));
        toEpoch(2);
        assertRefused(SEQUENCER, "unregistered");
        register(SEQUENCER); // active from epoch 4: [A, B, C, SEQUENCER]
        commitAs(C);
        toEpoch(3);
        assertRefused(SEQUENCER, "registered, not yet active");
        commitAs(A);
        toEpoch(7); // 7 % 4 = 3
        assertEq(registry.currentLeader(), SEQUENCER);
        commitAs(SEQUENCER);
        assertRefused(A, "a non-leader");
        toEpoch(8); // 8 % 4 = 0
        assertEq(registry.currentLeader(), A);
        assertRefused(SEQUENCER, "not its turn");
        commitAs(A);
    }

    /// @dev A registry with nobody active yet (registered in epoch 0, active from epoch 2)
    ///      refuses everyone, even after a long silence, until the first epoch with a leader.
    function test_registry_noActiveSequencerRefusesEveryone() public {
        setRegistry(address(registry));
        assertEq(registry.currentLeader(), address(0));
        assertRefused(SEQUENCER, "the fixed sequencer");
        assertRefused(A, "registered, not yet active");
        assertRefused(address(0), "the zero address");
        vm.warp(block.timestamp + 10 * FALLBACK);
        assertRefused(A, "registered, not yet active, after a long silence");
        toEpoch(2);
        commitAs(A); // the fallback is open: any active sequencer
        commitAs(C); // the leader
    }

    // --- the fallback ------------------------------------------------------------------------

    /// @dev `fallbackAfter` seconds after the last commit any active sequencer may commit; its
    ///      commit updates lastCommitAt, which closes the fallback again.
    function test_fallback_opensAfterSilenceAndClosesOnTheNextCommit() public {
        setRegistry(address(registry));
        toEpoch(2); // leader C
        register(D); // active from epoch 4
        commitAs(C);
        uint256 last = block.timestamp;
        assertEq(proposer.lastCommitAt(), last);

        vm.warp(last + FALLBACK - 1);
        assertRefused(A, "one second before the fallback");
        assertRefused(B, "one second before the fallback");

        vm.warp(last + FALLBACK);
        assertRefused(OUTSIDER, "fallback: an unregistered account");
        assertRefused(SEQUENCER, "fallback: the old fixed sequencer");
        assertRefused(D, "fallback: registered, not yet active");
        commitAs(A); // a registered non-leader
        assertEq(proposer.lastCommitAt(), last + FALLBACK, "lastCommitAt updated");

        // That commit closed the fallback again.
        assertRefused(B, "the fallback closed");
        assertRefused(A, "the fallback closed, for the one who used it too");
        vm.warp(last + 2 * FALLBACK - 1);
        assertRefused(B, "one second before the next fallback");
        commitAs(C); // the leader at any time

        // After another silence, commitBatches in the fallback, then closed once more.
        vm.warp(block.timestamp + FALLBACK);
        commitManyAs(B, 2);
        assertEq(proposer.lastCommitAt(), block.timestamp, "updated by commitBatches");
        assertRefused(A, "closed after commitBatches");
        assertEq(proposer.lastCommittedBatch(), 5);
    }

    /// @dev A leader commit resets the silence too: the fallback counts from the last commit,
    ///      whoever made it.
    function test_fallback_countsFromTheLastCommitOfAnyone() public {
        setRegistry(address(registry));
        toEpoch(2);
        uint256 t = block.timestamp;
        vm.warp(t + FALLBACK - 10);
        commitAs(C);
        vm.warp(t + FALLBACK);
        assertRefused(A, "the leader committed ten seconds before");
        vm.warp(t + 2 * FALLBACK - 10);
        commitAs(B);
    }

    // --- switching back ----------------------------------------------------------------------

    function test_switchBack_restoresTheFixedSequencer() public {
        setRegistry(address(registry));
        toEpoch(2);
        commitAs(C);
        assertRefused(SEQUENCER, "under the registry");

        viaTimelock(address(proposer), abi.encodeCall(OnChainProposer.setSequencerRegistry, (address(0))));
        assertEq(proposer.sequencerRegistry(), address(0));
        assertEq(registry.currentLeader(), C);
        // The exit window passed without commits, yet neither the leader nor the fallback counts.
        assertRefused(C, "the registry's leader");
        assertRefused(A, "a registered sequencer");
        commitAs(SEQUENCER);
        commitManyAs(SEQUENCER, 2);
        assertEq(proposer.lastCommittedBatch(), 4);
        verifyNext();
    }

    // --- rollup mode -------------------------------------------------------------------------

    /// @dev A rollup proposer checks the committer before the blobs: a non-leader gets
    ///      NotSequencer, the leader gets as far as the blob rules.
    function test_rollup_committerCheckedBeforeBlobs() public {
        AcceptAllVerifier acceptAll = new AcceptAllVerifier();
        CommonBridge b = new CommonBridge(address(timelock), COUNCIL, INCLUSION_PERIOD, MAX_PAUSE);
        OnChainProposer p =
            newProposer(address(timelock), SEQUENCER, address(b), CHAIN_SPEC_HASH, one(address(acceptAll)), false);
        b.setProposer(address(p));
        vm.prank(address(timelock));
        p.setSequencerRegistry(address(registry));
        toEpoch(2); // leader C

        OnChainProposer.BatchHeader memory h = headerFor(10, 0, 0);
        h.depositsRollingHash = 0;
        vm.prank(A);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.NotSequencer.selector, A));
        p.commitBatch(1, h, noBlobs());
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(OnChainProposer.NotSequencer.selector, SEQUENCER));
        p.commitBatch(1, h, noBlobs());
        vm.prank(C);
        vm.expectRevert(OnChainProposer.NoBlobs.selector);
        p.commitBatch(1, h, noBlobs());
        assertEq(p.lastCommittedBatch(), 0);
    }
}
