// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {CommonBridge} from "../../src/l1/CommonBridge.sol";
import {OnChainProposer} from "../../src/l1/OnChainProposer.sol";
import {Test} from "../util/Test.sol";
import {L1Fixture, WithdrawalTree} from "../util/L1Fixture.sol";

/// @notice What the fuzzer drives: deposits, L2 calls with value and plain transfers (from EOAs
///         and from contracts), batch commits (consuming the queue, forced inclusion respected,
///         random withdrawals trees), verifications, claims (good and bad proofs, repeats),
///         re-commit attempts of old batches, reverts of batches by the council or the owner
///         (accepted or not; the chain is then re-formed from the kept batch) and claims of the
///         reverted batches' withdrawals, council pauses and time. It keeps its own books
///         (ghost variables) for the invariants to compare with the contracts'.
contract BridgeHandler is Test {
    struct Withdrawal {
        bytes32 txHash;
        uint256 indexInTx;
        address receiver;
        uint256 amount;
    }

    /// @dev The withdrawals tree a reverted batch had, and its batch number.
    struct RevertedTree {
        uint256 batchNumber;
        bytes32[] leaves;
    }

    CommonBridge internal immutable bridge;
    OnChainProposer internal immutable proposer;
    address internal immutable sequencer;
    address internal immutable council;
    address internal immutable owner;
    uint256 internal immutable proverKey;

    /// @notice The handler's clock (re-applied with vm.warp at every call).
    uint256 public now_;
    /// @notice Sum of the value of every accepted deposit, call and plain transfer.
    uint256 public ghostDeposited;
    /// @notice Sum of the amounts of every accepted claim.
    uint256 public ghostClaimed;
    /// @notice Claims accepted for a leaf already paid (must stay zero).
    uint256 public doublePays;
    /// @notice Claims accepted with a wrong leaf index (must stay zero).
    uint256 public badProofsAccepted;
    /// @notice Claims accepted from a batch that was not verified (must stay zero).
    uint256 public unverifiedClaims;
    /// @notice Commits of an already committed batch number that went through (must stay zero).
    uint256 public recommitsAccepted;
    /// @notice Reverts accepted that reached a verified batch or reverted nothing (must stay zero).
    uint256 public badRevertsAccepted;
    /// @notice Reverts of committed, unverified batches that were refused (must stay zero).
    uint256 public goodRevertsRefused;
    /// @notice Claims accepted, against its old batch number, of a withdrawal of a reverted batch
    ///         that the batch now under that number does not hold (must stay zero).
    uint256 public revertedClaims;

    /// @notice Coverage counters: successful claims, commits, verifications.
    uint256 public claimsPaid;
    uint256 public commits;
    uint256 public verifications;
    /// @notice Coverage counter and books: accepted reverts (the proposer's `reverts`).
    uint256 public revertsDone;
    /// @notice The highest batch number ever committed, reverted ones included.
    uint256 public highestCommitted;

    mapping(uint256 batchNumber => Withdrawal[]) internal _withdrawals;
    mapping(uint256 batchNumber => bytes32[]) internal _leaves;
    uint256[] internal _batchesWithWithdrawals;
    /// @notice Every distinct leaf put in a committed batch.
    bytes32[] public allLeaves;
    mapping(bytes32 leaf => bool) internal _known;
    /// @notice The withdrawal of each known leaf.
    mapping(bytes32 leaf => Withdrawal) internal _withdrawalOf;
    /// @notice The withdrawals trees of reverted batches.
    RevertedTree[] internal _revertedTrees;
    /// @notice Whether the handler saw `leaf` paid.
    mapping(bytes32 leaf => bool) public paid;
    /// @notice Every receiver of a withdrawal (fresh addresses, no other income).
    address[] public receivers;
    /// @notice What the handler saw paid to `receiver`.
    mapping(address receiver => uint256) public paidTo;
    uint256 internal _nextWithdrawal;
    uint64 internal _lastBlock;

    /// @notice The stored batch recorded when it was verified.
    mapping(uint256 batchNumber => OnChainProposer.BatchCommitment) internal _recorded;
    /// @notice How many batches the handler verified (and recorded).
    uint256 public recordedCount;

    constructor(
        CommonBridge bridge_,
        OnChainProposer proposer_,
        address sequencer_,
        address council_,
        address owner_,
        uint256 proverKey_
    ) {
        bridge = bridge_;
        proposer = proposer_;
        sequencer = sequencer_;
        council = council_;
        owner = owner_;
        proverKey = proverKey_;
        now_ = block.timestamp;
    }

    // --- views for the invariants ------------------------------------------------------------

    function allLeavesLength() external view returns (uint256) {
        return allLeaves.length;
    }

    function receiversLength() external view returns (uint256) {
        return receivers.length;
    }

    function recorded(uint256 batchNumber) external view returns (OnChainProposer.BatchCommitment memory) {
        return _recorded[batchNumber];
    }

    function amountOf(bytes32 leaf) public view returns (uint256) {
        return _withdrawalOf[leaf].amount;
    }

    /// @dev The proposer's stored batch (the getter's nine static words decode as the struct).
    function stored(uint256 batchNumber) public view returns (OnChainProposer.BatchCommitment memory) {
        (bool ok, bytes memory data) =
            address(proposer).staticcall(abi.encodeWithSelector(proposer.batches.selector, batchNumber));
        require(ok, "batches()");
        return abi.decode(data, (OnChainProposer.BatchCommitment));
    }

    // --- helpers -----------------------------------------------------------------------------

    function _sync() internal {
        vm.warp(now_);
    }

    function _actor(uint256 seed) internal pure returns (address) {
        return address(uint160(0xAC7000 + seed % 8));
    }

    /// @dev Pranks the next call as `actor`, from an EOA (itself) or from a contract.
    function _prankAs(address actor, bool fromContract) internal {
        if (fromContract) vm.prank(actor, address(0x0E1));
        else vm.prank(actor, actor);
    }

    // --- actions: the queue ------------------------------------------------------------------

    function deposit(uint256 actorSeed, uint256 amount, address to, bool fromContract) external {
        _sync();
        amount = bound(amount, 0.1 ether, 10 ether);
        if (to == address(0)) to = address(0xB0B);
        address actor = _actor(actorSeed);
        vm.deal(actor, actor.balance + amount);
        _prankAs(actor, fromContract);
        try bridge.deposit{value: amount}(to) {
            ghostDeposited += amount;
        } catch {}
    }

    function sendMessage(uint256 actorSeed, uint256 mint, uint256 value, uint64 gasLimit, bool fromContract)
        external
    {
        _sync();
        mint = bound(mint, 0, 10 ether);
        gasLimit = uint64(bound(gasLimit, 21_000, 2_000_000));
        address actor = _actor(actorSeed);
        vm.deal(actor, actor.balance + mint);
        _prankAs(actor, fromContract);
        try bridge.sendMessage{value: mint}(address(0xCA11), value, gasLimit, abi.encode(actorSeed)) {
            ghostDeposited += mint;
        } catch {}
    }

    function plainTransfer(uint256 actorSeed, uint256 amount) external {
        _sync();
        amount = bound(amount, 1, 10 ether);
        address actor = _actor(actorSeed);
        vm.deal(actor, actor.balance + amount);
        vm.prank(actor, actor);
        (bool ok,) = address(bridge).call{value: amount}("");
        if (ok) ghostDeposited += amount;
    }

    // --- actions: settlement -----------------------------------------------------------------

    /// @dev Commits the next batch with up to four withdrawals (sometimes repeating a leaf of an
    ///      earlier batch), including at least every expired message.
    function commit(uint256 countSeed, uint256 withdrawalSeed) external {
        _sync();
        uint256 batchNumber = proposer.lastCommittedBatch() + 1;
        uint256 start = bridge.consumedDeposits();
        uint256 available = bridge.depositCount() - start;
        uint256 minCount = 0;
        while (minCount < available && bridge.depositDeadline(start + minCount) < block.timestamp) ++minCount;
        uint256 count = bound(countSeed, minCount, available);
        bytes32 rolling;
        for (uint256 i = start; i < start + count; ++i) {
            rolling = keccak256(abi.encodePacked(rolling, bridge.depositHash(i)));
        }

        uint256 n = withdrawalSeed % 5;
        bytes32[] memory leaves = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) {
            Withdrawal memory w;
            if (i == 0 && allLeaves.length > 0 && (withdrawalSeed >> 8) % 4 == 0) {
                // The same withdrawal again, in a later batch.
                (w, leaves[i]) = _find(allLeaves[(withdrawalSeed >> 16) % allLeaves.length]);
            } else {
                uint256 k = _nextWithdrawal++;
                w = Withdrawal({
                    txHash: keccak256(abi.encode("tx", k)),
                    indexInTx: k % 3,
                    receiver: address(uint160(uint256(keccak256(abi.encode("receiver", k))))),
                    amount: bound(uint256(keccak256(abi.encode(withdrawalSeed, i))), 1, 1 ether)
                });
                leaves[i] = WithdrawalTree.leaf(w.txHash, w.indexInTx, w.receiver, w.amount);
                _withdrawalOf[leaves[i]] = w;
                receivers.push(w.receiver);
            }
            _withdrawals[batchNumber].push(w);
            _leaves[batchNumber].push(leaves[i]);
        }
        bytes32 root = n == 0 ? bytes32(0) : WithdrawalTree.root(leaves);

        uint64 lastBlock = _lastBlock + 1 + uint64(countSeed % 5);
        OnChainProposer.BatchHeader memory h = OnChainProposer.BatchHeader({
            lastBlock: lastBlock,
            newStateRoot: keccak256(abi.encode("state", batchNumber)),
            lastBlockHash: keccak256(abi.encode("block", batchNumber)),
            lastBlockTimestamp: block.timestamp,
            withdrawalsRoot: root,
            depositsRollingHash: rolling,
            depositCount: count
        });
        vm.prank(sequencer);
        proposer.commitBatch(batchNumber, h, new OnChainProposer.BlobOpening[](0));
        _lastBlock = lastBlock;
        ++commits;
        if (batchNumber > highestCommitted) highestCommitted = batchNumber;
        if (n > 0) _batchesWithWithdrawals.push(batchNumber);
        for (uint256 i = 0; i < n; ++i) {
            if (!_known[leaves[i]]) {
                _known[leaves[i]] = true;
                allLeaves.push(leaves[i]);
            }
        }
    }

    /// @dev A known leaf's withdrawal (it may have been only in a reverted batch).
    function _find(bytes32 leaf) internal view returns (Withdrawal memory, bytes32) {
        require(_known[leaf], "unknown leaf");
        return (_withdrawalOf[leaf], leaf);
    }

    /// @dev Verifies the next committed batch (DevVerifier signature) and records what is stored.
    function verify() external {
        _sync();
        uint256 batchNumber = proposer.lastVerifiedBatch() + 1;
        if (batchNumber > proposer.lastCommittedBatch()) return;
        bytes32 commitment = proposer.commitmentOf(batchNumber);
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(proverKey, keccak256(abi.encode(keccak256("keel.dev-verifier.v1"), commitment)));
        bytes[] memory proofs = new bytes[](1);
        proofs[0] = abi.encodePacked(r, s, v);
        proposer.verifyBatch(batchNumber, proofs);
        _recorded[batchNumber] = stored(batchNumber);
        recordedCount = batchNumber;
        ++verifications;
    }

    /// @dev Tries to commit over an already committed batch number.
    function recommit(uint256 batchSeed) external {
        _sync();
        uint256 last = proposer.lastCommittedBatch();
        if (last == 0) return;
        uint256 batchNumber = 1 + batchSeed % last;
        OnChainProposer.BatchHeader memory h = OnChainProposer.BatchHeader({
            lastBlock: uint256(_lastBlock) + 1,
            newStateRoot: keccak256("evil state"),
            lastBlockHash: keccak256("evil block"),
            lastBlockTimestamp: block.timestamp,
            withdrawalsRoot: keccak256("evil withdrawals"),
            depositsRollingHash: bytes32(0),
            depositCount: 0
        });
        vm.prank(sequencer);
        try proposer.commitBatch(batchNumber, h, new OnChainProposer.BlobOpening[](0)) {
            ++recommitsAccepted;
        } catch {}
    }

    /// @dev Claims a withdrawal of some batch (verified or not, paid or not), first with a
    ///      wrong leaf index, then with the right one.
    function claim(uint256 batchSeed, uint256 leafSeed, address caller) external {
        _sync();
        uint256 nb = _batchesWithWithdrawals.length;
        if (nb == 0) return;
        uint256 batch = _batchesWithWithdrawals[batchSeed % nb];
        uint256 i = leafSeed % _leaves[batch].length;
        Withdrawal memory w = _withdrawals[batch][i];
        bytes32 leaf = _leaves[batch][i];
        bytes32[] memory proof = WithdrawalTree.proof(_leaves[batch], i);
        bool verified = proposer.isVerified(batch);

        if (proof.length > 0) {
            vm.prank(caller);
            try bridge.claimWithdrawal(batch, w.txHash, w.indexInTx, w.receiver, w.amount, i ^ 1, proof) {
                ++badProofsAccepted;
                ghostClaimed += w.amount;
                paidTo[w.receiver] += w.amount;
            } catch {}
        }

        vm.prank(caller);
        try bridge.claimWithdrawal(batch, w.txHash, w.indexInTx, w.receiver, w.amount, i, proof) {
            _recordPaid(leaf, w, verified);
        } catch {}
    }

    /// @dev Books an accepted claim of `leaf` from a batch that was (or was not) verified.
    function _recordPaid(bytes32 leaf, Withdrawal memory w, bool verified) internal {
        if (paid[leaf]) ++doublePays;
        if (!verified) ++unverifiedClaims;
        paid[leaf] = true;
        ++claimsPaid;
        ghostClaimed += w.amount;
        paidTo[w.receiver] += w.amount;
    }

    // --- actions: reverts --------------------------------------------------------------------

    /// @dev The council (at once) or the owner (the timelock, its delay not modelled) reverts to
    ///      some kept batch `0 ..= lastCommittedBatch`: it must be accepted exactly when it keeps
    ///      every verified batch and reverts at least one. Then the handler sets the reverted
    ///      batches' withdrawals aside (`claimReverted`) and the next commits re-form the chain
    ///      from the kept batch, re-including the returned messages.
    function revertBatches(uint256 keptSeed, bool asOwner) external {
        _sync();
        uint256 committed = proposer.lastCommittedBatch();
        uint256 verified = proposer.lastVerifiedBatch();
        uint256 kept = keptSeed % (committed + 1);
        bool allowed = kept >= verified && kept < committed;
        vm.prank(asOwner ? owner : council);
        try proposer.revertBatches(kept) {
            if (!allowed) ++badRevertsAccepted;
        } catch {
            if (allowed) ++goodRevertsRefused;
            return;
        }
        ++revertsDone;
        for (uint256 b = kept + 1; b <= committed; ++b) {
            if (_leaves[b].length > 0) {
                RevertedTree storage t = _revertedTrees.push();
                t.batchNumber = b;
                t.leaves = _leaves[b];
            }
            delete _leaves[b];
            delete _withdrawals[b];
        }
        while (_batchesWithWithdrawals.length > 0 && _batchesWithWithdrawals[_batchesWithWithdrawals.length - 1] > kept)
        {
            _batchesWithWithdrawals.pop();
        }
        _lastBlock = stored(kept).lastBlock;
    }

    /// @dev Claims a withdrawal of a reverted batch with its old proof, against the batch number
    ///      it had (re-committed since or not, verified or not). It may be paid only if the batch
    ///      now under that number holds the same leaf at the same place (a re-formed batch may
    ///      repeat a withdrawal), and then only once and from a verified batch, as any claim.
    function claimReverted(uint256 treeSeed, uint256 leafSeed, address caller) external {
        _sync();
        uint256 nt = _revertedTrees.length;
        if (nt == 0) return;
        RevertedTree storage t = _revertedTrees[treeSeed % nt];
        uint256 batch = t.batchNumber;
        uint256 i = leafSeed % t.leaves.length;
        bytes32 leaf = t.leaves[i];
        Withdrawal memory w = _withdrawalOf[leaf];
        bytes32[] memory proof = WithdrawalTree.proof(t.leaves, i);
        bool verified = proposer.isVerified(batch);
        bool heldNow = i < _leaves[batch].length && _leaves[batch][i] == leaf;

        vm.prank(caller);
        try bridge.claimWithdrawal(batch, w.txHash, w.indexInTx, w.receiver, w.amount, i, proof) {
            if (!heldNow) ++revertedClaims;
            _recordPaid(leaf, w, verified);
        } catch {}
    }

    // --- actions: pause and time -------------------------------------------------------------

    function pauseAction(uint8 kind) external {
        _sync();
        kind %= 3;
        if (kind == 0) {
            vm.prank(council);
            try bridge.pause() {} catch {}
        } else if (kind == 1) {
            vm.prank(council);
            try bridge.unpause() {} catch {}
        } else {
            vm.prank(owner);
            bridge.rearmPause();
        }
    }

    function warp(uint256 seconds_) external {
        now_ += bound(seconds_, 0, 2 days);
        _sync();
    }

    function selectors() external pure returns (bytes4[] memory s) {
        s = new bytes4[](11);
        s[0] = this.deposit.selector;
        s[1] = this.sendMessage.selector;
        s[2] = this.plainTransfer.selector;
        s[3] = this.commit.selector;
        s[4] = this.verify.selector;
        s[5] = this.recommit.selector;
        s[6] = this.claim.selector;
        s[7] = this.pauseAction.selector;
        s[8] = this.warp.selector;
        s[9] = this.revertBatches.selector;
        s[10] = this.claimReverted.selector;
    }
}

/// @notice Invariants of the bridge and the proposer under interleaved deposits, calls,
///         commits, verifications, reverts of unverified batches, claims and pauses.
contract BridgeInvariantsTest is L1Fixture {
    BridgeHandler internal handler;

    function setUp() public {
        deployL1();
        handler = new BridgeHandler(bridge, proposer, SEQUENCER, COUNCIL, address(timelock), PROVER_KEY);
        targetContract(address(handler));
        targetSelector(address(handler), handler.selectors());
    }

    /// @dev (a) The bridge holds exactly what came in minus what was paid out:
    ///      balance == totalDeposited − totalClaimed, and both totals match the handler's books
    ///      (every accepted deposit, call with value and plain transfer; every accepted claim).
    function invariant_balanceIsDepositsMinusClaims() public view {
        assertEq(address(bridge).balance, bridge.totalDeposited() - bridge.totalClaimed(), "balance");
        assertEq(bridge.totalDeposited(), handler.ghostDeposited(), "totalDeposited vs handler");
        assertEq(bridge.totalClaimed(), handler.ghostClaimed(), "totalClaimed vs handler");
    }

    /// @dev (b) No withdrawal leaf is paid twice, none with a wrong proof and none from an
    ///      unverified batch; the bridge's `claimed` set is exactly the leaves the handler saw
    ///      paid, each receiver got exactly what its paid leaves say, and the paid leaves add up
    ///      to totalClaimed.
    function invariant_noWithdrawalPaidTwice() public view {
        assertEq(handler.doublePays(), 0, "a leaf was paid twice");
        assertEq(handler.badProofsAccepted(), 0, "a wrong proof was accepted");
        assertEq(handler.unverifiedClaims(), 0, "a claim from an unverified batch");
        uint256 sum;
        uint256 n = handler.allLeavesLength();
        for (uint256 i = 0; i < n; ++i) {
            bytes32 leaf = handler.allLeaves(i);
            bool isPaid = handler.paid(leaf);
            assertEq(bridge.claimed(leaf), isPaid, "claimed vs handler");
            if (isPaid) sum += handler.amountOf(leaf);
        }
        assertEq(sum, bridge.totalClaimed(), "paid leaves vs totalClaimed");
        uint256 r = handler.receiversLength();
        for (uint256 i = 0; i < r; ++i) {
            address receiver = handler.receivers(i);
            assertEq(receiver.balance, handler.paidTo(receiver), "receiver balance");
        }
    }

    /// @dev (c) Verification freezes a batch: the roots, block range, deposits and commitment
    ///      stored when it was verified never change afterwards; the verified count is the
    ///      handler's, and no old batch number could be committed again.
    function invariant_verifiedBatchesNeverChange() public view {
        uint256 verified = proposer.lastVerifiedBatch();
        assertEq(verified, handler.recordedCount(), "lastVerifiedBatch");
        assertEq(handler.recommitsAccepted(), 0, "an old batch number was committed again");
        for (uint256 b = 1; b <= verified; ++b) {
            OnChainProposer.BatchCommitment memory was = handler.recorded(b);
            OnChainProposer.BatchCommitment memory is_ = handler.stored(b);
            assertEq(is_.commitment, was.commitment, "commitment");
            assertEq(is_.stateRoot, was.stateRoot, "stateRoot");
            assertEq(is_.lastBlockHash, was.lastBlockHash, "lastBlockHash");
            assertEq(is_.withdrawalsRoot, was.withdrawalsRoot, "withdrawalsRoot");
            assertEq(is_.depositsRollingHash, was.depositsRollingHash, "depositsRollingHash");
            assertEq(is_.blobsHash, was.blobsHash, "blobsHash");
            assertEq(uint256(is_.firstBlock), uint256(was.firstBlock), "firstBlock");
            assertEq(uint256(is_.lastBlock), uint256(was.lastBlock), "lastBlock");
            assertEq(uint256(is_.depositCount), uint256(was.depositCount), "depositCount");
            assertEq(proposer.commitmentOf(b), was.commitment, "commitmentOf");
            assertTrue(proposer.isVerified(b), "isVerified");
        }
    }

    /// @dev (d) Reverts: a revert is accepted exactly when it keeps every verified batch and
    ///      reverts at least one; a reverted batch's withdrawal is never paid from its old batch
    ///      number unless the batch now there holds it; the bridge has consumed exactly the
    ///      messages of the committed batches (reverted ones gave theirs back); every reverted
    ///      batch number above the committed ones is empty; the revert count is the handler's.
    function invariant_revertsKeepTheBooks() public view {
        assertEq(handler.badRevertsAccepted(), 0, "a revert reached a verified batch or reverted nothing");
        assertEq(handler.goodRevertsRefused(), 0, "a revert of unverified batches was refused");
        assertEq(handler.revertedClaims(), 0, "a withdrawal of a reverted batch was paid");
        assertEq(proposer.reverts(), handler.revertsDone(), "reverts");
        uint256 committed = proposer.lastCommittedBatch();
        uint256 sum;
        for (uint256 b = 1; b <= committed; ++b) {
            sum += handler.stored(b).depositCount;
        }
        assertEq(bridge.consumedDeposits(), sum, "consumed messages vs committed batches");
        uint256 highest = handler.highestCommitted();
        for (uint256 b = committed + 1; b <= highest; ++b) {
            assertEq(proposer.commitmentOf(b), bytes32(0), "a reverted batch left a commitment");
            assertEq(uint256(handler.stored(b).depositCount), 0, "a reverted batch left its messages");
        }
    }
}
