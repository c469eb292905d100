// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {ISequencerRegistry} from "../src/l1/ISequencerRegistry.sol";
import {SequencerRegistry} from "../src/l1/SequencerRegistry.sol";
import {Test} from "./util/Test.sol";

/// @notice A sequencer that is a contract: it may refuse its bond back, or try to withdraw it
///         a second time from inside the payment.
contract SequencerContract {
    SequencerRegistry internal immutable registry;
    /// @notice Refuse ETH (the bond payment fails).
    bool public refuse;
    /// @notice On receiving ETH, call `withdrawBond` again.
    bool public reenter;
    /// @notice Whether the reentrant `withdrawBond` went through (it must not).
    bool public reentrantWithdrawSucceeded;
    /// @notice The reentrant call's revert data.
    bytes public reentrantError;

    constructor(SequencerRegistry registry_) {
        registry = registry_;
    }

    function setRefuse(bool refuse_) external {
        refuse = refuse_;
    }

    function setReenter(bool reenter_) external {
        reenter = reenter_;
    }

    function register() external payable {
        registry.register{value: msg.value}();
    }

    function requestExit() external {
        registry.requestExit();
    }

    function withdrawBond() external {
        registry.withdrawBond();
    }

    receive() external payable {
        if (refuse) revert("no thanks");
        if (reenter) {
            reenter = false;
            try registry.withdrawBond() {
                reentrantWithdrawSucceeded = true;
            } catch (bytes memory err) {
                reentrantError = err;
            }
        }
    }
}

/// @notice SequencerRegistry: bonded registration (bond, cap, one entry per address), the epoch
///         clock, the round-robin schedule and its two-epoch lead time, exits and bond
///         withdrawals, `mayCommit` (leader and fallback) and `nextTurn`; fuzzed sequences of
///         registrations, exits, withdrawals and time check that the leader is always active and
///         that the schedule of the current and the next epoch never changes.
contract SequencerRegistryTest is Test {

    uint256 internal constant MIN_BOND = 1 ether;
    uint256 internal constant EXIT_DELAY = 7 days;
    uint256 internal constant EPOCH = 10; // L1 blocks
    uint256 internal constant FALLBACK = 1 hours;
    uint256 internal constant CAP = 5;
    uint256 internal constant GENESIS = 1000;
    uint256 internal constant NEVER = type(uint256).max;

    address internal constant A = address(0x5EA1);
    address internal constant B = address(0x5EB2);
    address internal constant C = address(0x5EC3);
    address internal constant D = address(0x5ED4);
    address internal constant OUTSIDER = address(0x0BAD);

    SequencerRegistry internal registry;

    /// @dev Fuzz books: the schedule hash of each epoch once it became current or next.
    mapping(uint256 epoch => bytes32) internal fixedSchedule;

    function setUp() public {
        vm.roll(GENESIS);
        vm.warp(1_700_000_000);
        registry = new SequencerRegistry(MIN_BOND, EXIT_DELAY, EPOCH, FALLBACK, CAP);
    }

    // --- helpers -----------------------------------------------------------------------------

    /// @dev Rolls to the first L1 block of `epoch`.
    function toEpoch(uint256 epoch) internal {
        vm.roll(registry.epochStartBlock(epoch));
    }

    /// @dev Rolls to the last L1 block of `epoch`.
    function toEpochEnd(uint256 epoch) internal {
        vm.roll(registry.epochStartBlock(epoch + 1) - 1);
    }

    function register(address s) internal {
        register(s, MIN_BOND);
    }

    function register(address s, uint256 bond) internal {
        vm.deal(s, s.balance + bond);
        vm.prank(s);
        registry.register{value: bond}();
    }

    function requestExit(address s) internal {
        vm.prank(s);
        registry.requestExit();
    }

    function withdraw(address s) internal {
        vm.prank(s);
        registry.withdrawBond();
    }

    function list(address a) internal pure returns (address[] memory l) {
        l = new address[](1);
        l[0] = a;
    }

    function list(address a, address b) internal pure returns (address[] memory l) {
        l = new address[](2);
        l[0] = a;
        l[1] = b;
    }

    function list(address a, address b, address c) internal pure returns (address[] memory l) {
        l = new address[](3);
        l[0] = a;
        l[1] = b;
        l[2] = c;
    }

    function assertList(address[] memory actual, address[] memory expected, string memory message) internal pure {
        assertEq(actual.length, expected.length, string.concat(message, ": length"));
        for (uint256 i = 0; i < actual.length; ++i) {
            assertEq(actual[i], expected[i], message);
        }
    }

    function contains(address[] memory l, address a) internal pure returns (bool) {
        for (uint256 i = 0; i < l.length; ++i) {
            if (l[i] == a) return true;
        }
        return false;
    }

    /// @dev A, B and C registered in epoch 0, so active from epoch 2 in that order.
    function registerThree() internal {
        register(A);
        register(B);
        register(C);
    }

    /// @dev The first epoch from the current one that `s` leads, by asking `leaderOf` epoch by
    ///      epoch. Every activeFrom/activeUntil is at most currentEpoch() + 2, so the schedule is
    ///      constant (period at most CAP) from there: the window below is enough.
    function bruteNextTurn(address s) internal view returns (uint256) {
        uint256 cur = registry.currentEpoch();
        for (uint256 e = cur; e <= cur + 3 + 2 * CAP; ++e) {
            if (registry.leaderOf(e) == s) return e;
        }
        return NEVER;
    }

    function actor(uint256 seed) internal pure returns (address) {
        return address(uint160(0x5E0000 + seed % 7)); // 7 actors for a cap of 5
    }

    /// @dev One random action: register (sometimes below the bond), exit, withdraw, or let L1
    ///      blocks or time pass. Refused actions are fine: the properties must hold either way.
    function randomStep(uint256 r) internal {
        uint256 kind = r % 8;
        address s = actor(r >> 8);
        uint256 arg = r >> 16;
        if (kind <= 1) {
            uint256 bond = MIN_BOND - 1 + arg % 3;
            vm.deal(s, s.balance + bond);
            vm.prank(s);
            (bool ok,) = address(registry).call{value: bond}(abi.encodeCall(ISequencerRegistry.register, ()));
            ok;
        } else if (kind == 2) {
            vm.prank(s);
            (bool ok,) = address(registry).call(abi.encodeCall(ISequencerRegistry.requestExit, ()));
            ok;
        } else if (kind == 3) {
            vm.prank(s);
            (bool ok,) = address(registry).call(abi.encodeCall(ISequencerRegistry.withdrawBond, ()));
            ok;
        } else if (kind <= 5) {
            vm.roll(block.number + arg % (3 * EPOCH));
        } else {
            vm.warp(block.timestamp + arg % (2 * EXIT_DELAY));
        }
    }

    function scheduleHash(uint256 epoch) internal view returns (bytes32) {
        return keccak256(abi.encode(registry.activeSequencers(epoch)));
    }

    /// @dev Records the schedules of the current and the next epoch the first time they are
    ///      seen as such, and checks every later look against the record.
    function checkFixed() internal {
        uint256 cur = registry.currentEpoch();
        for (uint256 e = cur; e <= cur + 1; ++e) {
            bytes32 h = scheduleHash(e);
            if (fixedSchedule[e] == bytes32(0)) fixedSchedule[e] = h;
            else assertEq(h, fixedSchedule[e], string.concat("schedule of epoch ", vm.toString(e), " changed"));
        }
    }

    // --- deployment --------------------------------------------------------------------------

    function test_constructor_setsParameters() public view {
        assertEq(registry.minBond(), MIN_BOND);
        assertEq(registry.exitDelay(), EXIT_DELAY);
        assertEq(registry.epochLength(), EPOCH);
        assertEq(registry.fallbackAfter(), FALLBACK);
        assertEq(registry.maxSequencers(), CAP);
        assertEq(registry.genesisBlock(), GENESIS);
        assertEq(registry.currentEpoch(), 0);
        assertEq(registry.sequencerCount(), 0);
        assertEq(registry.currentLeader(), address(0));
    }

    function test_constructor_refusesBadArguments() public {
        vm.expectRevert(abi.encodeWithSelector(ISequencerRegistry.InvalidParameter.selector, "minBond", 0));
        new SequencerRegistry(0, EXIT_DELAY, EPOCH, FALLBACK, CAP);
        vm.expectRevert(abi.encodeWithSelector(ISequencerRegistry.InvalidParameter.selector, "epochLength", 0));
        new SequencerRegistry(MIN_BOND, EXIT_DELAY, 0, FALLBACK, CAP);
        vm.expectRevert(abi.encodeWithSelector(ISequencerRegistry.InvalidParameter.selector, "maxSequencers", 0));
        new SequencerRegistry(MIN_BOND, EXIT_DELAY, EPOCH, FALLBACK, 0);
        uint256 tooMany = registry.MAX_SEQUENCERS_LIMIT() + 1;
        vm.expectRevert(abi.encodeWithSelector(ISequencerRegistry.InvalidParameter.selector, "maxSequencers", tooMany));
        new SequencerRegistry(MIN_BOND, EXIT_DELAY, EPOCH, FALLBACK, tooMany);
        // Zero exit delay and zero fallback are allowed.
        new SequencerRegistry(MIN_BOND, 0, 1, 0, 1);
    }

    // --- epochs ------------------------------------------------------------------------------

    function test_epochs_countFromTheGenesisBlock() public {
        assertEq(registry.epochOf(GENESIS), 0);
        assertEq(registry.epochOf(GENESIS + EPOCH - 1), 0);
        assertEq(registry.epochOf(GENESIS + EPOCH), 1);
        assertEq(registry.epochOf(GENESIS + 7 * EPOCH + 3), 7);
        assertEq(registry.epochStartBlock(0), GENESIS);
        assertEq(registry.epochStartBlock(7), GENESIS + 7 * EPOCH);
        vm.expectRevert(abi.encodeWithSelector(ISequencerRegistry.BlockBeforeGenesis.selector, GENESIS - 1, GENESIS));
        registry.epochOf(GENESIS - 1);

        vm.roll(GENESIS + EPOCH - 1);
        assertEq(registry.currentEpoch(), 0);
        vm.roll(GENESIS + EPOCH);
        assertEq(registry.currentEpoch(), 1);
        toEpoch(42);
        assertEq(registry.currentEpoch(), 42);
        assertEq(block.number, GENESIS + 42 * EPOCH);
    }

    // --- register ----------------------------------------------------------------------------

    function test_register_recordsTheSequencer() public {
        toEpoch(3);
        vm.deal(A, 2 ether);
        vm.expectEmit(true, true, true, true, address(registry));
        emit ISequencerRegistry.Registered(A, 1.5 ether, 5);
        vm.prank(A);
        registry.register{value: 1.5 ether}();

        assertTrue(registry.isRegistered(A), "registered");
        assertFalse(registry.isRegistered(B), "B not registered");
        assertEq(address(registry).balance, 1.5 ether, "bond held");
        assertEq(registry.sequencerCount(), 1);
        assertList(registry.sequencers(), list(A), "sequencers");
        ISequencerRegistry.SequencerInfo memory info = registry.sequencerInfo(A);
        assertTrue(info.registered);
        assertFalse(info.exiting);
        assertFalse(info.withdrawable);
        assertEq(info.bond, 1.5 ether);
        assertEq(info.activeFrom, 5);
        assertEq(info.activeUntil, NEVER);
        assertEq(info.exitRequestedAt, 0);
        assertEq(info.unlocksAt, NEVER);

        ISequencerRegistry.SequencerInfo memory none = registry.sequencerInfo(B);
        assertFalse(none.registered);
        assertEq(none.bond, 0);
        assertEq(none.activeUntil, 0);
    }

    function testFuzz_register_belowMinBondReverts(uint256 bond) public {
        bond = bound(bond, 0, MIN_BOND - 1);
        vm.deal(A, bond);
        vm.expectRevert(abi.encodeWithSelector(ISequencerRegistry.BondTooSmall.selector, MIN_BOND, bond));
        vm.prank(A);
        registry.register{value: bond}();
        assertFalse(registry.isRegistered(A));
    }

    function test_register_twiceReverts() public {
        register(A);
        vm.deal(A, MIN_BOND);
        vm.expectRevert(abi.encodeWithSelector(ISequencerRegistry.AlreadyRegistered.selector, A));
        vm.prank(A);
        registry.register{value: MIN_BOND}();

        // Still refused while exiting, until the bond is withdrawn.
        requestExit(A);
        vm.expectRevert(abi.encodeWithSelector(ISequencerRegistry.AlreadyRegistered.selector, A));
        vm.prank(A);
        registry.register{value: MIN_BOND}();
    }

    function test_register_upToTheCap() public {
        for (uint256 i = 0; i < CAP; ++i) {
            register(actor(i));
        }
        assertEq(registry.sequencerCount(), CAP);
        vm.deal(D, MIN_BOND);
        vm.expectRevert(abi.encodeWithSelector(ISequencerRegistry.RegistryFull.selector, CAP));
        vm.prank(D);
        registry.register{value: MIN_BOND}();

        // An exiting sequencer holds its slot until it withdraws.
        address first = actor(0);
        requestExit(first);
        vm.expectRevert(abi.encodeWithSelector(ISequencerRegistry.RegistryFull.selector, CAP));
        vm.prank(D);
        registry.register{value: MIN_BOND}();
        toEpoch(2);
        vm.warp(block.timestamp + EXIT_DELAY);
        withdraw(first);
        register(D);
        assertEq(registry.sequencerCount(), CAP);
    }

    function test_register_activeTwoEpochsLater() public {
        toEpochEnd(4); // the last block of epoch 4: still scheduled from epoch 6
        register(A);
        assertEq(registry.sequencerInfo(A).activeFrom, 6);
        assertEq(registry.activeSequencers(4).length, 0);
        assertEq(registry.activeSequencers(5).length, 0);
        assertList(registry.activeSequencers(6), list(A), "epoch 6");
        assertEq(registry.currentLeader(), address(0));

        toEpoch(5);
        assertEq(registry.currentLeader(), address(0), "epoch 5: not yet");
        toEpochEnd(5);
        assertEq(registry.currentLeader(), address(0), "last block of epoch 5: not yet");
        toEpoch(6);
        assertEq(registry.currentLeader(), A, "epoch 6: leads");
        assertTrue(registry.mayCommit(A, block.timestamp));
    }

    function test_register_againAfterWithdrawingIsANewEntryAtTheEnd() public {
        registerThree();
        toEpoch(3);
        requestExit(A); // active until 5
        toEpoch(5);
        vm.warp(block.timestamp + EXIT_DELAY);
        withdraw(A);
        assertFalse(registry.isRegistered(A));
        register(A); // in epoch 5: active from 7, after B and C
        assertList(registry.sequencers(), list(B, C, A), "order");
        assertList(registry.activeSequencers(6), list(B, C), "epoch 6");
        assertList(registry.activeSequencers(7), list(B, C, A), "epoch 7");
        assertEq(registry.sequencerInfo(A).activeFrom, 7);
    }

    // --- the schedule ------------------------------------------------------------------------

    function test_leaderOf_zeroWithNobodyActive() public {
        assertEq(registry.leaderOf(0), address(0));
        assertEq(registry.leaderOf(123), address(0));
        register(A);
        assertEq(registry.leaderOf(0), address(0), "registered, not yet active");
        assertEq(registry.leaderOf(1), address(0), "registered, not yet active");
        assertEq(registry.leaderOf(2), A);
        toEpoch(1);
        requestExit(A); // active until 3
        assertEq(registry.leaderOf(2), A);
        assertEq(registry.leaderOf(3), address(0), "exited");
        assertEq(registry.leaderOf(1000), address(0), "exited");
        toEpoch(3);
        assertEq(registry.currentLeader(), address(0));
        assertFalse(registry.mayCommit(A, 0), "nobody may commit");
        assertFalse(registry.mayCommit(address(0), 0), "not even address(0)");
    }

    function test_leaderOf_roundRobinOverThree() public {
        registerThree();
        address[] memory order = list(A, B, C);
        for (uint256 e = 2; e < 12; ++e) {
            assertEq(registry.leaderOf(e), order[e % 3], "leaderOf");
            assertList(registry.activeSequencers(e), order, "active");
        }
        for (uint256 e = 2; e < 8; ++e) {
            toEpoch(e);
            assertEq(registry.currentEpoch(), e);
            assertEq(registry.currentLeader(), order[e % 3], "currentLeader");
            toEpochEnd(e);
            assertEq(registry.currentLeader(), order[e % 3], "currentLeader, last block");
        }
    }

    function test_register_lateDoesNotChangeTheCurrentOrNextLeader() public {
        register(A);
        register(B);
        toEpoch(5);
        address current = registry.leaderOf(5);
        address next = registry.leaderOf(6);
        assertEq(current, B); // [A, B], 5 % 2 = 1
        assertEq(next, A);

        toEpochEnd(5);
        register(C);
        register(D);
        assertEq(registry.leaderOf(5), current, "current leader changed");
        assertEq(registry.leaderOf(6), next, "next leader changed");
        assertList(registry.activeSequencers(5), list(A, B), "epoch 5");
        assertList(registry.activeSequencers(6), list(A, B), "epoch 6");
        assertEq(registry.activeSequencers(7).length, 4, "epoch 7 has all four");
        assertEq(registry.leaderOf(7), D); // [A, B, C, D], 7 % 4 = 3
    }

    // --- exit --------------------------------------------------------------------------------

    function test_requestExit_scheduledUntilActiveUntilThenExcluded() public {
        registerThree();
        toEpoch(4);
        uint256 t = block.timestamp;
        vm.expectEmit(true, true, true, true, address(registry));
        emit ISequencerRegistry.ExitRequested(A, 6, t + EXIT_DELAY);
        requestExit(A);

        ISequencerRegistry.SequencerInfo memory info = registry.sequencerInfo(A);
        assertTrue(info.exiting);
        assertEq(info.activeFrom, 2);
        assertEq(info.activeUntil, 6);
        assertEq(info.exitRequestedAt, t);
        assertEq(info.unlocksAt, t + EXIT_DELAY);
        assertTrue(registry.isRegistered(A), "registered until it withdraws");

        assertList(registry.activeSequencers(4), list(A, B, C), "epoch 4 unchanged");
        assertList(registry.activeSequencers(5), list(A, B, C), "epoch 5 unchanged");
        assertList(registry.activeSequencers(6), list(B, C), "epoch 6 without A");
        assertList(registry.activeSequencers(60), list(B, C), "later without A");
        assertEq(registry.leaderOf(6), B); // [B, C], 6 % 2 = 0

        toEpochEnd(5);
        assertEq(registry.currentLeader(), C); // [A, B, C], 5 % 3 = 2
        assertTrue(registry.mayCommit(A, 0), "A still commits (fallback) in its last epoch");
        assertTrue(contains(registry.activeSequencers(registry.currentEpoch()), A), "A active in epoch 5");
        toEpoch(6);
        assertFalse(contains(registry.activeSequencers(registry.currentEpoch()), A), "A out from epoch 6");
        vm.warp(block.timestamp + FALLBACK);
        assertFalse(registry.mayCommit(A, 0), "A no longer commits, not even in the fallback");
    }

    function test_requestExit_refusals() public {
        vm.expectRevert(abi.encodeWithSelector(ISequencerRegistry.NotRegistered.selector, A));
        requestExit(A);
        register(A);
        requestExit(A);
        vm.expectRevert(abi.encodeWithSelector(ISequencerRegistry.AlreadyExiting.selector, A));
        requestExit(A);
    }

    function test_requestExit_inTheRegistrationEpochIsNeverScheduled() public {
        toEpoch(3);
        register(A);
        requestExit(A);
        ISequencerRegistry.SequencerInfo memory info = registry.sequencerInfo(A);
        assertEq(info.activeFrom, 5);
        assertEq(info.activeUntil, 5);
        for (uint256 e = 3; e < 10; ++e) {
            assertEq(registry.leaderOf(e), address(0));
        }
        assertEq(registry.nextTurn(A), NEVER);
    }

    // --- withdrawBond ------------------------------------------------------------------------

    function test_withdrawBond_lockedUntilTheDelayAndActiveUntil_thenPaidOnce() public {
        register(A, 2 ether);
        toEpoch(3);
        uint256 t = block.timestamp;
        requestExit(A); // activeUntil 5, unlocks at t + EXIT_DELAY
        bytes memory locked = abi.encodeWithSelector(ISequencerRegistry.BondLocked.selector, t + EXIT_DELAY, 5);

        vm.expectRevert(locked);
        withdraw(A); // neither
        vm.warp(t + EXIT_DELAY);
        toEpochEnd(4);
        vm.expectRevert(locked);
        withdraw(A); // delay passed, still scheduled in epoch 4 (not yet at activeUntil)
        vm.warp(t + EXIT_DELAY - 1);
        toEpoch(5);
        vm.expectRevert(locked);
        withdraw(A); // at activeUntil, one second before the delay ends
        assertFalse(registry.sequencerInfo(A).withdrawable);

        vm.warp(t + EXIT_DELAY);
        assertTrue(registry.sequencerInfo(A).withdrawable);
        uint256 before = A.balance;
        vm.expectEmit(true, true, true, true, address(registry));
        emit ISequencerRegistry.BondWithdrawn(A, 2 ether);
        withdraw(A);
        assertEq(A.balance, before + 2 ether, "bond returned");
        assertEq(address(registry).balance, 0);
        assertFalse(registry.isRegistered(A));
        assertEq(registry.sequencerCount(), 0);

        vm.expectRevert(abi.encodeWithSelector(ISequencerRegistry.NotRegistered.selector, A));
        withdraw(A);
        assertEq(A.balance, before + 2 ether, "paid exactly once");
    }

    function test_withdrawBond_refusals() public {
        vm.expectRevert(abi.encodeWithSelector(ISequencerRegistry.NotRegistered.selector, A));
        withdraw(A);
        register(A);
        toEpoch(50);
        vm.warp(block.timestamp + 10 * EXIT_DELAY);
        vm.expectRevert(abi.encodeWithSelector(ISequencerRegistry.NotExiting.selector, A));
        withdraw(A);
    }

    function test_withdrawBond_failingTransferReverts() public {
        SequencerContract s = new SequencerContract(registry);
        s.register{value: MIN_BOND}();
        s.requestExit();
        toEpoch(2);
        vm.warp(block.timestamp + EXIT_DELAY);
        s.setRefuse(true);
        vm.expectRevert(abi.encodeWithSelector(ISequencerRegistry.TransferFailed.selector, address(s), MIN_BOND));
        s.withdrawBond();
        assertTrue(registry.isRegistered(address(s)), "nothing changed");
        assertEq(address(registry).balance, MIN_BOND);

        s.setRefuse(false);
        s.withdrawBond();
        assertEq(address(s).balance, MIN_BOND);
        assertFalse(registry.isRegistered(address(s)));
    }

    function test_withdrawBond_reentrancyPaysOnce() public {
        register(B); // another bond in the registry, which a second payment would take
        SequencerContract s = new SequencerContract(registry);
        s.register{value: MIN_BOND}();
        s.requestExit();
        toEpoch(2);
        vm.warp(block.timestamp + EXIT_DELAY);
        s.setReenter(true);
        s.withdrawBond();
        assertFalse(s.reentrantWithdrawSucceeded(), "reentrant withdrawal went through");
        assertEq(
            s.reentrantError(), abi.encodeWithSelector(ISequencerRegistry.NotRegistered.selector, address(s))
        );
        assertEq(address(s).balance, MIN_BOND, "paid once");
        assertEq(address(registry).balance, MIN_BOND, "B's bond stays");
    }

    function test_withdrawBond_keepsTheOthersSchedule() public {
        registerThree();
        register(D); // [A, B, C, D] from epoch 2
        toEpoch(3);
        requestExit(B); // active until 5
        toEpoch(5);
        vm.warp(block.timestamp + EXIT_DELAY);
        bytes32[4] memory before;
        for (uint256 i = 0; i < 4; ++i) {
            before[i] = scheduleHash(5 + i);
        }
        withdraw(B);
        for (uint256 i = 0; i < 4; ++i) {
            assertEq(scheduleHash(5 + i), before[i], "a present or future schedule changed");
        }
        assertList(registry.activeSequencers(5), list(A, C, D), "epoch 5");
        assertList(registry.sequencers(), list(A, C, D), "order kept");
    }

    // --- mayCommit ---------------------------------------------------------------------------

    function test_mayCommit_leaderOnlyUntilTheFallback() public {
        registerThree();
        toEpoch(4); // [A, B, C], leader B
        register(D); // registered, active from 6
        uint256 last = block.timestamp;
        assertEq(registry.currentLeader(), B);
        assertTrue(registry.mayCommit(B, last), "leader");
        assertFalse(registry.mayCommit(A, last), "registered non-leader");
        assertFalse(registry.mayCommit(C, last), "registered non-leader");
        assertFalse(registry.mayCommit(D, last), "registered, not yet active");
        assertFalse(registry.mayCommit(OUTSIDER, last), "unregistered");
        assertFalse(registry.mayCommit(address(0), last), "zero address");

        vm.warp(last + FALLBACK - 1);
        assertFalse(registry.mayCommit(A, last), "one second before the fallback");
        assertTrue(registry.mayCommit(B, last), "leader");

        vm.warp(last + FALLBACK);
        assertTrue(registry.mayCommit(A, last), "fallback: active non-leader");
        assertTrue(registry.mayCommit(C, last), "fallback: active non-leader");
        assertTrue(registry.mayCommit(B, last), "leader");
        assertFalse(registry.mayCommit(D, last), "fallback: not yet active");
        assertFalse(registry.mayCommit(OUTSIDER, last), "fallback: unregistered");
        assertFalse(registry.mayCommit(address(0), last), "fallback: zero address");

        // A commit time in the future never opens the fallback; a commit resets it.
        assertFalse(registry.mayCommit(A, block.timestamp + 1), "future last commit");
        assertFalse(registry.mayCommit(A, block.timestamp), "just committed");
        assertTrue(registry.mayCommit(B, block.timestamp + 1), "the leader regardless");
    }

    function test_mayCommit_fallbackExcludesExitedSequencers() public {
        registerThree();
        toEpoch(3);
        requestExit(C); // active until 5
        toEpoch(5); // [A, B], leader B
        vm.warp(block.timestamp + FALLBACK);
        assertTrue(registry.mayCommit(A, 0), "active non-leader");
        assertFalse(registry.mayCommit(C, 0), "exited");
    }

    function testFuzz_mayCommit_fallbackTime(uint256 last, uint256 elapsed) public {
        registerThree();
        toEpoch(3); // leader A
        last = bound(last, 0, block.timestamp);
        elapsed = bound(elapsed, 0, 10 * FALLBACK);
        vm.warp(last + elapsed);
        assertTrue(registry.mayCommit(A, last), "leader");
        assertEq(registry.mayCommit(B, last), elapsed >= FALLBACK, "non-leader iff fallback");
        assertFalse(registry.mayCommit(OUTSIDER, last), "outsider");
    }

    function test_mayCommit_gasIsBoundedAtAFullRegistry() public {
        SequencerRegistry big = new SequencerRegistry(MIN_BOND, EXIT_DELAY, EPOCH, FALLBACK, 64);
        for (uint256 i = 0; i < 64; ++i) {
            address s = address(uint160(0x5F0000 + i));
            vm.deal(s, MIN_BOND);
            vm.prank(s);
            big.register{value: MIN_BOND}();
        }
        vm.roll(big.epochStartBlock(3));
        address last = address(uint160(0x5F0000 + 63));
        vm.cool(address(big)); // cold storage, as in the proposer's transaction
        uint256 g = gasleft();
        bool ok = big.mayCommit(last, 0); // the fallback path: the whole list is scanned
        g -= gasleft();
        assertTrue(ok);
        // About 2,700 gas per sequencer, cold (one storage word each).
        assertLe(g, 64 * 2_900, "mayCommit gas with 64 sequencers");
        vm.cool(address(big));
        g = gasleft();
        big.leaderOf(big.currentEpoch());
        g -= gasleft();
        assertLe(g, 64 * 2_900, "leaderOf gas with 64 sequencers");
    }

    // --- nextTurn ----------------------------------------------------------------------------

    function test_nextTurn() public {
        assertEq(registry.nextTurn(A), NEVER, "unregistered");
        registerThree();
        // Epochs 0 and 1: nobody; from 2: [A, B, C].
        assertEq(registry.nextTurn(A), 3);
        assertEq(registry.nextTurn(B), 4);
        assertEq(registry.nextTurn(C), 2);
        toEpoch(3);
        assertEq(registry.nextTurn(A), 3, "leads now");
        assertEq(registry.nextTurn(B), 4);
        assertEq(registry.nextTurn(C), 5);
        requestExit(A); // active until 5
        register(D); // active from 5: [B, C, D]
        assertEq(registry.nextTurn(A), 3);
        toEpoch(4);
        assertEq(registry.nextTurn(A), NEVER, "leads no epoch it is still in"); // 4: B
        assertEq(registry.nextTurn(B), 4);
        // From epoch 5: [B, C, D]; 5 -> D, 6 -> B, 7 -> C.
        assertEq(registry.nextTurn(C), 7);
        assertEq(registry.nextTurn(D), 5);
        assertEq(registry.nextTurn(OUTSIDER), NEVER);
    }

    function testFuzz_nextTurn_isTheFirstEpochLed(uint256 seed) public {
        for (uint256 i = 0; i < 24; ++i) {
            randomStep(uint256(keccak256(abi.encode(seed, i))));
            for (uint256 k = 0; k < 7; ++k) {
                address s = actor(k);
                uint256 turn = registry.nextTurn(s);
                assertEq(turn, bruteNextTurn(s), "nextTurn");
                if (turn != NEVER) {
                    assertEq(registry.leaderOf(turn), s, "leads its turn");
                    assertTrue(registry.isRegistered(s), "a turn for an unregistered address");
                }
            }
        }
    }

    // --- fuzzed sequences --------------------------------------------------------------------

    function testFuzz_leaderIsAlwaysActive(uint256 seed) public {
        for (uint256 i = 0; i < 32; ++i) {
            randomStep(uint256(keccak256(abi.encode(seed, i))));
            uint256 cur = registry.currentEpoch();
            uint256 from = cur > 2 ? cur - 2 : 0;
            for (uint256 e = from; e <= cur + 4; ++e) {
                address[] memory active = registry.activeSequencers(e);
                address leader = registry.leaderOf(e);
                if (active.length == 0) {
                    assertEq(leader, address(0), "a leader with nobody active");
                } else {
                    assertEq(leader, active[e % active.length], "leader is not active[e % n]");
                    assertTrue(contains(active, leader), "leader not active");
                    assertTrue(registry.isRegistered(leader), "leader not registered");
                }
            }
            assertEq(registry.currentLeader(), registry.leaderOf(cur));
            assertLe(registry.sequencerCount(), CAP, "over the cap");
        }
    }

    function testFuzz_scheduleOfCurrentAndNextEpochNeverChanges(uint256 seed) public {
        checkFixed();
        for (uint256 i = 0; i < 32; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            uint256 cur = registry.currentEpoch();
            address leader0 = registry.leaderOf(cur);
            address leader1 = registry.leaderOf(cur + 1);
            randomStep(r);
            if (registry.currentEpoch() == cur) {
                assertEq(registry.leaderOf(cur), leader0, "current leader changed");
                assertEq(registry.leaderOf(cur + 1), leader1, "next leader changed");
            }
            checkFixed();
        }
    }
}
