// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {ISequencerRegistry} from "../../src/l1/ISequencerRegistry.sol";
import {SequencerRegistry} from "../../src/l1/SequencerRegistry.sol";
import {Test} from "../util/Test.sol";

/// @notice What the fuzzer drives on a SequencerRegistry: registrations (some below the bond,
///         some over the cap, some repeated), exit requests, bond withdrawals (early or not,
///         repeated), and the passing of L1 blocks and of time, from seven sequencers against a
///         cap of four. Around every action it checks the schedule rules (it keeps its own L1
///         block and clock, re-applied at each call, so the checks see the chain the action
///         saw) and counts violations for the invariants; it keeps its own books of bonds.
contract SequencerRegistryHandler is Test {
    uint256 internal constant ACTORS = 7;

    SequencerRegistry internal immutable registry;
    uint256 internal immutable minBond;
    uint256 internal immutable epochLength;
    uint256 internal immutable exitDelay;

    /// @notice The handler's L1 block and clock.
    uint256 public blockNow;
    uint256 public timeNow;

    /// @notice Bonds held, by the handler's books.
    uint256 public ghostBonds;
    mapping(address sequencer => uint256) public ghostBond;
    /// @notice Entries held, by the handler's books.
    uint256 public ghostCount;

    /// @notice The schedule (hash of `activeSequencers`) of each epoch since it was first seen
    ///         as the current or the next one.
    mapping(uint256 epoch => bytes32) public fixedSchedule;

    /// @notice A schedule of the current or the next epoch changed (must stay zero).
    uint256 public scheduleChanges;
    /// @notice The current or the next leader differs before and after an action taken within
    ///         one epoch (must stay zero).
    uint256 public leaderChanges;
    /// @notice A leader that is not `activeSequencers(e)[e % n]` (or nonzero with nobody
    ///         active) (must stay zero).
    uint256 public badLeaders;
    /// @notice `nextTurn` named an epoch the sequencer does not lead, or a later one than its
    ///         first (must stay zero).
    uint256 public badTurns;
    /// @notice A bond paid before it unlocked, paid a wrong amount, or paid to an unregistered
    ///         caller (must stay zero).
    uint256 public badWithdrawals;
    /// @notice A withdrawal of an unlocked bond that was refused (must stay zero).
    uint256 public refusedWithdrawals;
    /// @notice A registration accepted below the bond, over the cap or twice (must stay zero).
    uint256 public badRegistrations;
    /// @notice `mayCommit` refused the current leader (must stay zero).
    uint256 public leaderRefused;
    /// @notice The first violation seen, for the failure message.
    string public firstViolation;

    /// @notice Coverage counters.
    uint256 public registrations;
    uint256 public exits;
    uint256 public withdrawals;

    constructor(SequencerRegistry registry_) {
        registry = registry_;
        minBond = registry_.minBond();
        epochLength = registry_.epochLength();
        exitDelay = registry_.exitDelay();
        blockNow = block.number;
        timeNow = block.timestamp;
    }

    function selectors() external pure returns (bytes4[] memory s) {
        s = new bytes4[](5);
        s[0] = this.register.selector;
        s[1] = this.requestExit.selector;
        s[2] = this.withdrawBond.selector;
        s[3] = this.rollBlocks.selector;
        s[4] = this.warp.selector;
    }

    // --- helpers -----------------------------------------------------------------------------

    function _sync() internal {
        vm.roll(blockNow);
        vm.warp(timeNow);
    }

    function _actor(uint256 seed) internal pure returns (address) {
        return address(uint160(0x5E0000 + seed % ACTORS));
    }

    /// @dev For an even seed, the first actor from `seed` on that is registered and exiting
    ///      (`exiting`) or not (`!exiting`), if any; otherwise (or for an odd seed) `_actor(seed)`,
    ///      whose call may well be refused.
    function _pick(uint256 seed, bool exiting) internal view returns (address) {
        if (seed % 2 == 0) {
            for (uint256 k = 0; k < ACTORS; ++k) {
                address s = _actor(seed / 2 + k);
                ISequencerRegistry.SequencerInfo memory info = registry.sequencerInfo(s);
                if (info.registered && info.exiting == exiting) return s;
            }
        }
        return _actor(seed / 2);
    }

    function _violation(string memory what) internal {
        if (bytes(firstViolation).length == 0) firstViolation = what;
    }

    function _scheduleHash(uint256 epoch) internal view returns (bytes32) {
        return keccak256(abi.encode(registry.activeSequencers(epoch)));
    }

    /// @dev Every check that must hold at any point: the current and next schedules match their
    ///      record, every leader near now is active, `nextTurn` is right, the leader may commit.
    function _check() internal {
        uint256 cur = registry.currentEpoch();
        for (uint256 e = cur; e <= cur + 1; ++e) {
            bytes32 h = _scheduleHash(e);
            if (fixedSchedule[e] == bytes32(0)) {
                fixedSchedule[e] = h;
            } else if (fixedSchedule[e] != h) {
                ++scheduleChanges;
                _violation(string.concat("schedule of epoch ", vm.toString(e), " changed"));
            }
        }
        for (uint256 e = cur; e <= cur + 3; ++e) {
            address[] memory active = registry.activeSequencers(e);
            address leader = registry.leaderOf(e);
            address expected = active.length == 0 ? address(0) : active[e % active.length];
            if (leader != expected) {
                ++badLeaders;
                _violation(string.concat("leader of epoch ", vm.toString(e), " is not active[e % n]"));
            }
        }
        address current = registry.currentLeader();
        if (current != address(0) && !registry.mayCommit(current, timeNow)) {
            ++leaderRefused;
            _violation("mayCommit refused the current leader");
        }
        for (uint256 k = 0; k < ACTORS; ++k) {
            address s = _actor(k);
            uint256 turn = registry.nextTurn(s);
            if (turn != type(uint256).max && registry.leaderOf(turn) != s) {
                ++badTurns;
                _violation("nextTurn names an epoch the sequencer does not lead");
            }
            // Nothing earlier: every epoch from now to its turn (or over a full period) is another's.
            uint256 until = turn == type(uint256).max ? cur + 3 + 2 * registry.maxSequencers() : turn;
            for (uint256 e = cur; e < until; ++e) {
                if (registry.leaderOf(e) == s) {
                    ++badTurns;
                    _violation("nextTurn skips an earlier turn");
                    break;
                }
            }
        }
    }

    /// @dev The current and the next leader, to compare across an action within one epoch.
    function _leaders() internal view returns (uint256 epoch, address current, address next) {
        epoch = registry.currentEpoch();
        current = registry.leaderOf(epoch);
        next = registry.leaderOf(epoch + 1);
    }

    function _compareLeaders(uint256 epoch, address current, address next) internal {
        if (registry.leaderOf(epoch) != current || registry.leaderOf(epoch + 1) != next) {
            ++leaderChanges;
            _violation("an action changed the current or the next leader");
        }
    }

    // --- actions -----------------------------------------------------------------------------

    function register(uint256 actorSeed, uint256 bondSeed) external {
        _sync();
        _check();
        (uint256 epoch, address current, address next) = _leaders();
        address s = _actor(actorSeed);
        uint256 bond = minBond - 1 + bondSeed % 4; // one in four below the bond
        bool wasRegistered = registry.isRegistered(s);
        bool full = registry.sequencerCount() >= registry.maxSequencers();
        vm.deal(s, s.balance + bond);
        vm.prank(s);
        try registry.register{value: bond}() {
            if (wasRegistered || full || bond < minBond) {
                ++badRegistrations;
                _violation("a registration below the bond, over the cap or twice was accepted");
            }
            ++registrations;
            ++ghostCount;
            ghostBond[s] = bond;
            ghostBonds += bond;
        } catch {}
        _compareLeaders(epoch, current, next);
        _check();
    }

    function requestExit(uint256 actorSeed) external {
        _sync();
        _check();
        (uint256 epoch, address current, address next) = _leaders();
        vm.prank(_pick(actorSeed, false));
        try registry.requestExit() {
            ++exits;
        } catch {}
        _compareLeaders(epoch, current, next);
        _check();
    }

    function withdrawBond(uint256 actorSeed) external {
        _sync();
        _check();
        (uint256 epoch, address current, address next) = _leaders();
        address s = _pick(actorSeed, true);
        ISequencerRegistry.SequencerInfo memory info = registry.sequencerInfo(s);
        bool unlocked = info.registered && info.exiting && timeNow >= info.unlocksAt && epoch >= info.activeUntil;
        uint256 balanceBefore = s.balance;
        vm.prank(s);
        try registry.withdrawBond() {
            if (!unlocked || s.balance - balanceBefore != ghostBond[s]) {
                ++badWithdrawals;
                _violation("a bond was paid before it unlocked, or not in full");
            }
            ++withdrawals;
            --ghostCount;
            ghostBonds -= ghostBond[s];
            ghostBond[s] = 0;
        } catch {
            if (unlocked) {
                ++refusedWithdrawals;
                _violation("an unlocked bond was refused");
            }
        }
        _compareLeaders(epoch, current, next);
        _check();
    }

    /// @dev Let up to three epochs of L1 blocks pass.
    function rollBlocks(uint256 count) external {
        blockNow += count % (3 * epochLength + 1);
        _sync();
        _check();
    }

    /// @dev Let up to two exit delays of time pass.
    function warp(uint256 secs) external {
        timeNow += secs % (2 * exitDelay + 1);
        _sync();
        _check();
    }
}

/// @notice Invariants of SequencerRegistry under random registrations, exits, withdrawals and
///         time: the schedule of the current and the next epoch never changes, every leader is
///         active, bonds are held in full and paid once, only when unlocked, and the cap holds.
contract SequencerRegistryInvariantsTest is Test {
    uint256 internal constant MIN_BOND = 1 ether;
    uint256 internal constant EXIT_DELAY = 1 days;
    uint256 internal constant EPOCH = 4;
    uint256 internal constant FALLBACK = 1 hours;
    uint256 internal constant CAP = 4;

    SequencerRegistry internal registry;
    SequencerRegistryHandler internal handler;

    function setUp() public {
        vm.roll(500);
        vm.warp(1_700_000_000);
        registry = new SequencerRegistry(MIN_BOND, EXIT_DELAY, EPOCH, FALLBACK, CAP);
        handler = new SequencerRegistryHandler(registry);
        targetContract(address(handler));
        targetSelector(address(handler), handler.selectors());
    }

    /// @dev The handler compares, around every action, the schedule of the current and the next
    ///      epoch with the one first recorded for it, and the current and next leader before and
    ///      after the action.
    function invariant_currentAndNextScheduleNeverChange() public view {
        assertEq(handler.scheduleChanges(), 0, handler.firstViolation());
        assertEq(handler.leaderChanges(), 0, handler.firstViolation());
    }

    /// @dev Every leader is `activeSequencers(e)[e % n]` (zero with nobody active), the current
    ///      leader may commit, and `nextTurn` is the first epoch a sequencer leads.
    function invariant_leadersAreActiveAndTurnsRight() public view {
        assertEq(handler.badLeaders(), 0, handler.firstViolation());
        assertEq(handler.leaderRefused(), 0, handler.firstViolation());
        assertEq(handler.badTurns(), 0, handler.firstViolation());
    }

    /// @dev The registry holds exactly the bonds of the registered sequencers; a bond is paid
    ///      once, in full, only when unlocked, and never refused then; registrations respect the
    ///      bond, the cap and one entry per address.
    function invariant_bondsHeldAndPaidOnce() public view {
        assertEq(address(registry).balance, handler.ghostBonds(), "registry balance != bonds held");
        assertEq(registry.sequencerCount(), handler.ghostCount(), "entries held");
        assertLe(registry.sequencerCount(), CAP, "over the cap");
        assertEq(handler.badWithdrawals(), 0, handler.firstViolation());
        assertEq(handler.refusedWithdrawals(), 0, handler.firstViolation());
        assertEq(handler.badRegistrations(), 0, handler.firstViolation());
        address[] memory held = registry.sequencers();
        uint256 sum = 0;
        for (uint256 i = 0; i < held.length; ++i) {
            assertTrue(registry.isRegistered(held[i]), "held but not registered");
            sum += registry.sequencerInfo(held[i]).bond;
        }
        assertEq(sum, address(registry).balance, "sum of bonds != balance");
    }
}
