// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

import {DevVerifier} from "../../src/l1/DevVerifier.sol";
import {OnChainProposer} from "../../src/l1/OnChainProposer.sol";
import {ProverKeys} from "../../src/l1/ProverKeys.sol";
import {KeelTimelock} from "../../src/l1/governance/KeelTimelock.sol";
import {Test} from "../util/Test.sol";
import {AcceptAllVerifier, L1Fixture} from "../util/L1Fixture.sol";

/// @notice What the fuzzer drives: the owner schedules verifier-list changes, prover-key
///         changes and delay updates (with random extra delay, and too-short delays that must
///         be refused); anyone executes random operations at random times (ready or not); the
///         council cancels; time passes; the owner, council and sequencer try direct changes.
///         Before each action it records what it observed (the verifier list, the prover set)
///         and which operation, if any, the action executed.
contract GovernanceHandler is Test {
    uint8 internal constant SET_VERIFIERS = 1;
    uint8 internal constant ADD_PROVER = 2;
    uint8 internal constant REMOVE_PROVER = 3;
    uint8 internal constant UPDATE_DELAY = 4;

    struct Op {
        uint8 kind;
        address target;
        bytes data;
        bytes32 salt;
        /// @dev SET_VERIFIERS: keccak256(abi.encode(list)); prover ops: the prover's pool index.
        bytes32 effect;
        uint256 scheduledAt;
        uint256 delay;
        uint256 executedAt;
    }

    KeelTimelock internal immutable timelock;
    OnChainProposer internal immutable proposer;
    DevVerifier internal immutable devVerifier;
    address internal immutable owner;
    address internal immutable council;
    address internal immutable sequencer;
    uint256 public immutable exitWindow;

    address[] internal _candidates;
    address[] internal _provers;
    Op[] internal _ops;

    /// @notice The handler's clock (re-applied with vm.warp at every call).
    uint256 public now_;
    /// @notice The verifier list hash seen at the start of the last action.
    bytes32 public observedVerifiers;
    /// @notice The prover set (bit i: pool key i registered) seen at the start of the last action.
    uint256 public observedProvers;
    /// @notice The operation (index + 1) the last action executed; zero if none.
    uint256 public lastExecuted;
    /// @notice Changes the handler itself saw break the rule (must stay zero).
    uint256 public violations;
    /// @notice Schedules with less than the minimum delay that went through (must stay zero).
    uint256 public shortSchedulesAccepted;
    /// @notice Direct (not timelocked) changes that went through (must stay zero).
    uint256 public directChangesAccepted;
    /// @notice Coverage counter: operations executed.
    uint256 public executions;

    constructor(
        KeelTimelock timelock_,
        OnChainProposer proposer_,
        DevVerifier devVerifier_,
        address owner_,
        address council_,
        address sequencer_,
        address[] memory candidates,
        address[] memory provers
    ) {
        timelock = timelock_;
        proposer = proposer_;
        devVerifier = devVerifier_;
        owner = owner_;
        council = council_;
        sequencer = sequencer_;
        exitWindow = timelock_.exitWindow();
        _candidates = candidates;
        _provers = provers;
        now_ = block.timestamp;
        observedVerifiers = verifiersHash();
        observedProvers = proverBits();
    }

    // --- views -------------------------------------------------------------------------------

    function verifiersHash() public view returns (bytes32) {
        return keccak256(abi.encode(proposer.verifiers()));
    }

    function proverBits() public view returns (uint256 bits) {
        for (uint256 i = 0; i < _provers.length; ++i) {
            if (devVerifier.isProver(_provers[i])) bits |= uint256(1) << i;
        }
    }

    function op(uint256 index) external view returns (Op memory) {
        return _ops[index];
    }

    function opCount() external view returns (uint256) {
        return _ops.length;
    }

    /// @notice Whether the state now, after the last action, is explained by a timelocked
    ///         operation that waited at least the exit window (and its own delay). Returns a
    ///         reason when it is not.
    function check() public view returns (bool ok, string memory reason) {
        bytes32 vh = verifiersHash();
        uint256 pb = proverBits();
        if (vh == observedVerifiers && pb == observedProvers) return (true, "");
        if (lastExecuted == 0) return (false, "changed without a timelock execution");
        Op memory o = _ops[lastExecuted - 1];
        if (o.executedAt < o.scheduledAt + exitWindow) return (false, "executed before the exit window");
        if (o.executedAt < o.scheduledAt + o.delay) return (false, "executed before its delay");
        if (vh != observedVerifiers) {
            if (o.kind != SET_VERIFIERS || o.effect != vh) return (false, "verifier list is not the scheduled one");
            if (pb != observedProvers) return (false, "provers changed with the verifier list");
        } else {
            if (o.kind != ADD_PROVER && o.kind != REMOVE_PROVER) return (false, "prover set changed by another op");
            uint256 flipped = uint256(1) << uint256(o.effect);
            if (pb != observedProvers ^ flipped) return (false, "prover set is not the scheduled change");
            bool registered = pb & flipped != 0;
            if (registered != (o.kind == ADD_PROVER)) return (false, "prover change in the wrong direction");
        }
        return (true, "");
    }

    // --- helpers -----------------------------------------------------------------------------

    function _begin() internal {
        vm.warp(now_);
        observedVerifiers = verifiersHash();
        observedProvers = proverBits();
        lastExecuted = 0;
    }

    function _end() internal {
        (bool ok,) = check();
        if (!ok) ++violations;
    }

    function _schedule(uint8 kind, address target, bytes memory data, bytes32 effect, uint256 extra) internal {
        uint256 delay = timelock.getMinDelay() + bound(extra, 0, 3 days);
        bytes32 salt = bytes32(_ops.length + 1);
        vm.prank(owner);
        timelock.schedule(target, 0, data, bytes32(0), salt, delay);
        _ops.push(
            Op({
                kind: kind,
                target: target,
                data: data,
                salt: salt,
                effect: effect,
                scheduledAt: now_,
                delay: delay,
                executedAt: 0
            })
        );
    }

    // --- actions -----------------------------------------------------------------------------

    /// @dev Schedules a new verifier list: a non-empty ordered subset of the candidates.
    function scheduleSetVerifiers(uint8 subset, uint256 extra) external {
        _begin();
        uint256 n = _candidates.length;
        uint256 bits = uint256(subset) % (uint256(1) << n);
        if (bits == 0) bits = 1;
        uint256 count;
        for (uint256 i = 0; i < n; ++i) {
            if (bits & (uint256(1) << i) != 0) ++count;
        }
        address[] memory list = new address[](count);
        uint256 k;
        for (uint256 i = 0; i < n; ++i) {
            if (bits & (uint256(1) << i) != 0) list[k++] = _candidates[(i + subset) % n];
        }
        _schedule(
            SET_VERIFIERS,
            address(proposer),
            abi.encodeCall(OnChainProposer.setVerifiers, (list)),
            keccak256(abi.encode(list)),
            extra
        );
        _end();
    }

    /// @dev Schedules adding or removing a pool key (whichever changes it now).
    function scheduleProverChange(uint256 proverSeed, uint256 extra) external {
        _begin();
        uint256 i = proverSeed % _provers.length;
        address prover = _provers[i];
        bool add = !devVerifier.isProver(prover);
        _schedule(
            add ? ADD_PROVER : REMOVE_PROVER,
            address(devVerifier),
            add ? abi.encodeCall(ProverKeys.addProver, (prover)) : abi.encodeCall(ProverKeys.removeProver, (prover)),
            bytes32(i),
            extra
        );
        _end();
    }

    /// @dev Schedules a delay update, sometimes below the exit window (its execution must fail).
    function scheduleUpdateDelay(uint256 newDelay, uint256 extra) external {
        _begin();
        newDelay = bound(newDelay, 0, 2 * exitWindow);
        _schedule(
            UPDATE_DELAY, address(timelock), abi.encodeCall(TimelockController.updateDelay, (newDelay)), 0, extra
        );
        _end();
    }

    /// @dev A schedule with less than the minimum delay must be refused.
    function scheduleTooShort(uint256 delay, uint8 subset) external {
        _begin();
        delay = bound(delay, 0, timelock.getMinDelay() - 1);
        bytes memory data = abi.encodeCall(OnChainProposer.setVerifiers, (_one(_candidates[subset % _candidates.length])));
        vm.prank(owner);
        try timelock.schedule(address(proposer), 0, data, bytes32(0), keccak256(abi.encode("short", now_)), delay) {
            ++shortSchedulesAccepted;
        } catch {}
        _end();
    }

    /// @dev Anyone executes a random operation, ready or not.
    function execute(uint256 opSeed, address executor) external {
        _begin();
        if (_ops.length == 0) return;
        if (executor == address(vm)) executor = address(0xE1EC);
        uint256 index = opSeed % _ops.length;
        Op storage o = _ops[index];
        vm.prank(executor);
        try timelock.execute(o.target, 0, o.data, bytes32(0), o.salt) {
            o.executedAt = now_;
            lastExecuted = index + 1;
            ++executions;
        } catch {}
        _end();
    }

    function cancel(uint256 opSeed) external {
        _begin();
        if (_ops.length == 0) return;
        Op storage o = _ops[opSeed % _ops.length];
        vm.prank(council);
        try timelock.cancel(timelock.hashOperation(o.target, 0, o.data, bytes32(0), o.salt)) {} catch {}
        _end();
    }

    function warp(uint256 seconds_) external {
        now_ += bound(seconds_, 0, exitWindow + 2 days);
        _begin();
        _end();
    }

    /// @dev The owner multisig, the council or the sequencer tries to change things without
    ///      the timelock.
    function tryDirect(uint8 who, uint8 what) external {
        _begin();
        address caller = who % 3 == 0 ? owner : who % 3 == 1 ? council : sequencer;
        address prover = _provers[what % _provers.length];
        vm.startPrank(caller);
        if (what % 3 == 0) {
            try proposer.setVerifiers(_one(_candidates[what % _candidates.length])) {
                ++directChangesAccepted;
            } catch {}
        } else if (what % 3 == 1) {
            try devVerifier.addProver(prover) {
                ++directChangesAccepted;
            } catch {}
        } else {
            try devVerifier.removeProver(prover) {
                ++directChangesAccepted;
            } catch {}
        }
        vm.stopPrank();
        _end();
    }

    function _one(address a) internal pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = a;
    }

    function selectors() external pure returns (bytes4[] memory s) {
        s = new bytes4[](8);
        s[0] = this.scheduleSetVerifiers.selector;
        s[1] = this.scheduleProverChange.selector;
        s[2] = this.scheduleUpdateDelay.selector;
        s[3] = this.scheduleTooShort.selector;
        s[4] = this.execute.selector;
        s[5] = this.cancel.selector;
        s[6] = this.warp.selector;
        s[7] = this.tryDirect.selector;
    }
}

/// @notice The timelock's promise under random scheduling, execution, cancellation and time.
contract GovernanceInvariantsTest is L1Fixture {
    GovernanceHandler internal handler;

    function setUp() public {
        deployL1();
        address[] memory candidates = new address[](4);
        candidates[0] = address(devVerifier);
        for (uint256 i = 1; i < 4; ++i) {
            candidates[i] = address(new AcceptAllVerifier());
        }
        address[] memory provers = new address[](4);
        provers[0] = vm.addr(PROVER_KEY);
        for (uint256 i = 1; i < 4; ++i) {
            provers[i] = vm.addr(PROVER_KEY + i);
        }
        handler = new GovernanceHandler(
            timelock, proposer, devVerifier, OWNER, COUNCIL, SEQUENCER, candidates, provers
        );
        targetContract(address(handler));
        targetSelector(address(handler), handler.selectors());
    }

    /// @dev (d) No change of the proposer's verifier list or of the DevVerifier's prover set
    ///      takes effect before the timelock delay: whenever the verifier list (or prover set)
    ///      differs from the one the handler last observed (before the action just run), the
    ///      action executed the matching scheduled operation, at least exitWindow seconds (and
    ///      at least its own scheduled delay) after it was scheduled. The handler applies the
    ///      same check after every action, so a change at any step of a run is caught even if
    ///      forge checks invariants less often. Also: no too-short schedule and no direct change
    ///      is ever accepted, and the delay never drops below the exit window.
    function invariant_noGovernanceChangeBeforeTheDelay() public view {
        (bool ok, string memory reason) = handler.check();
        assertTrue(ok, reason);
        assertEq(handler.violations(), 0, "a change broke the timelock rule at some step");
        assertEq(handler.shortSchedulesAccepted(), 0, "a schedule shorter than the minimum delay");
        assertEq(handler.directChangesAccepted(), 0, "a change without the timelock");
        assertGe(timelock.getMinDelay(), EXIT_WINDOW, "delay below the exit window");
    }
}
