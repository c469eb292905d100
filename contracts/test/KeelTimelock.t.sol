// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

import {OnChainProposer} from "../src/l1/OnChainProposer.sol";
import {KeelTimelock} from "../src/l1/governance/KeelTimelock.sol";
import {L1Fixture} from "./util/L1Fixture.sol";

/// @notice KeelTimelock: every change waits at least the exit window; only the owner schedules,
///         anyone executes a ready operation, the council (and the owner) may cancel, and the
///         delay never drops below the exit window.
contract KeelTimelockTest is L1Fixture {
    address internal constant NEW_SEQUENCER = address(0x5E92);

    bytes32 internal PROPOSER_ROLE;
    bytes32 internal EXECUTOR_ROLE;
    bytes32 internal CANCELLER_ROLE;
    bytes32 internal ADMIN_ROLE;

    bytes internal setSequencerCall;

    function setUp() public {
        deployL1();
        PROPOSER_ROLE = timelock.PROPOSER_ROLE();
        EXECUTOR_ROLE = timelock.EXECUTOR_ROLE();
        CANCELLER_ROLE = timelock.CANCELLER_ROLE();
        ADMIN_ROLE = timelock.DEFAULT_ADMIN_ROLE();
        setSequencerCall = abi.encodeCall(OnChainProposer.setSequencer, (NEW_SEQUENCER));
    }

    function schedule(bytes memory data, bytes32 salt, uint256 delay) internal returns (bytes32 id) {
        vm.prank(OWNER);
        timelock.schedule(address(proposer), 0, data, bytes32(0), salt, delay);
        id = timelock.hashOperation(address(proposer), 0, data, bytes32(0), salt);
    }

    function scheduleSelf(bytes memory data, bytes32 salt) internal returns (bytes32 id) {
        uint256 delay = timelock.getMinDelay();
        vm.prank(OWNER);
        timelock.schedule(address(timelock), 0, data, bytes32(0), salt, delay);
        id = timelock.hashOperation(address(timelock), 0, data, bytes32(0), salt);
    }

    function expectNotReady(bytes32 id) internal {
        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockUnexpectedOperationState.selector,
                id,
                bytes32(uint256(1) << uint8(TimelockController.OperationState.Ready))
            )
        );
    }

    // --- deployment --------------------------------------------------------------------------

    function test_constructor_rolesAndDelay() public view {
        assertEq(timelock.getMinDelay(), EXIT_WINDOW, "delay = exit window");
        assertEq(timelock.exitWindow(), EXIT_WINDOW, "exitWindow");
        assertTrue(timelock.hasRole(PROPOSER_ROLE, OWNER), "owner proposes");
        assertTrue(timelock.hasRole(CANCELLER_ROLE, OWNER), "owner cancels");
        assertTrue(timelock.hasRole(CANCELLER_ROLE, COUNCIL), "council cancels");
        assertFalse(timelock.hasRole(PROPOSER_ROLE, COUNCIL), "council does not propose");
        assertTrue(timelock.hasRole(EXECUTOR_ROLE, address(0)), "anyone executes");
        assertTrue(timelock.hasRole(ADMIN_ROLE, address(timelock)), "self-administered");
        assertFalse(timelock.hasRole(ADMIN_ROLE, OWNER), "owner is not admin");
        assertFalse(timelock.hasRole(ADMIN_ROLE, address(this)), "deployer is not admin");
        assertEq(bridge.owner(), address(timelock));
        assertEq(proposer.owner(), address(timelock));
        assertEq(devVerifier.owner(), address(timelock));
    }

    function test_constructor_zeroOwnerReverts() public {
        vm.expectRevert(KeelTimelock.ZeroOwner.selector);
        new KeelTimelock(EXIT_WINDOW, address(0), COUNCIL);
    }

    function test_constructor_noCouncilNoExtraCanceller() public {
        KeelTimelock t = new KeelTimelock(EXIT_WINDOW, OWNER, address(0));
        assertFalse(t.hasRole(CANCELLER_ROLE, address(0)), "nobody-as-canceller");
        assertTrue(t.hasRole(CANCELLER_ROLE, OWNER));
    }

    // --- schedule ----------------------------------------------------------------------------

    function testFuzz_schedule_shorterThanTheExitWindowReverts(uint256 delay) public {
        delay = bound(delay, 0, EXIT_WINDOW - 1);
        vm.prank(OWNER);
        vm.expectRevert(
            abi.encodeWithSelector(TimelockController.TimelockInsufficientDelay.selector, delay, EXIT_WINDOW)
        );
        timelock.schedule(address(proposer), 0, setSequencerCall, bytes32(0), bytes32(0), delay);
    }

    function testFuzz_schedule_onlyTheOwner(address caller) public {
        vm.assume(caller != OWNER);
        vm.prank(caller);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, PROPOSER_ROLE)
        );
        timelock.schedule(address(proposer), 0, setSequencerCall, bytes32(0), bytes32(0), EXIT_WINDOW);
    }

    function test_schedule_notEvenTheCouncilOrTheSequencer() public {
        address[2] memory callers = [COUNCIL, SEQUENCER];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.prank(callers[i]);
            vm.expectRevert(
                abi.encodeWithSelector(
                    IAccessControl.AccessControlUnauthorizedAccount.selector, callers[i], PROPOSER_ROLE
                )
            );
            timelock.schedule(address(proposer), 0, setSequencerCall, bytes32(0), bytes32(0), EXIT_WINDOW);
        }
    }

    // --- execute -----------------------------------------------------------------------------

    function testFuzz_execute_beforeTheDelayReverts(uint256 extra, uint256 elapsed) public {
        uint256 delay = EXIT_WINDOW + bound(extra, 0, 30 days);
        elapsed = bound(elapsed, 0, delay - 1);
        uint256 t0 = block.timestamp;
        bytes32 id = schedule(setSequencerCall, bytes32(0), delay);
        assertEq(timelock.getTimestamp(id), t0 + delay, "ready time");

        vm.warp(t0 + elapsed);
        assertFalse(timelock.isOperationReady(id));
        expectNotReady(id);
        timelock.execute(address(proposer), 0, setSequencerCall, bytes32(0), bytes32(0));
        assertEq(proposer.sequencer(), SEQUENCER, "unchanged");
    }

    function testFuzz_execute_afterTheDelayByAnyone(uint256 extra, uint256 late, address executor) public {
        vm.assume(executor != address(vm));
        uint256 delay = EXIT_WINDOW + bound(extra, 0, 30 days);
        uint256 t0 = block.timestamp;
        bytes32 id = schedule(setSequencerCall, keccak256("salt"), delay);
        vm.warp(t0 + delay + bound(late, 0, 365 days));

        vm.prank(executor);
        timelock.execute(address(proposer), 0, setSequencerCall, bytes32(0), keccak256("salt"));
        assertEq(proposer.sequencer(), NEW_SEQUENCER, "executed");
        assertTrue(timelock.isOperationDone(id), "done");

        // Once only.
        expectNotReady(id);
        timelock.execute(address(proposer), 0, setSequencerCall, bytes32(0), keccak256("salt"));
    }

    /// @dev The owner multisig holds no power of its own over the contracts: only the timelock.
    function test_ownerHasNoDirectPower() public {
        vm.startPrank(OWNER);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, OWNER));
        proposer.setSequencer(NEW_SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, OWNER));
        bridge.setSecurityCouncil(OWNER);
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, OWNER));
        devVerifier.addProver(OWNER);
        vm.stopPrank();
    }

    // --- cancel ------------------------------------------------------------------------------

    function test_cancel_byTheCouncil() public {
        bytes32 id = schedule(setSequencerCall, bytes32(0), EXIT_WINDOW);
        vm.prank(COUNCIL);
        timelock.cancel(id);
        assertFalse(timelock.isOperation(id), "cancelled");

        vm.warp(block.timestamp + EXIT_WINDOW);
        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockUnexpectedOperationState.selector,
                id,
                bytes32(uint256(1) << uint8(TimelockController.OperationState.Ready))
            )
        );
        timelock.execute(address(proposer), 0, setSequencerCall, bytes32(0), bytes32(0));
        assertEq(proposer.sequencer(), SEQUENCER, "unchanged");
    }

    /// @dev A ready operation can still be cancelled, until someone executes it.
    function test_cancel_readyOperationByTheOwner() public {
        bytes32 id = schedule(setSequencerCall, bytes32(0), EXIT_WINDOW);
        vm.warp(block.timestamp + EXIT_WINDOW);
        assertTrue(timelock.isOperationReady(id));
        vm.prank(OWNER);
        timelock.cancel(id);
        assertFalse(timelock.isOperation(id));
    }

    function testFuzz_cancel_onlyCancellers(address caller) public {
        vm.assume(caller != COUNCIL && caller != OWNER);
        bytes32 id = schedule(setSequencerCall, bytes32(0), EXIT_WINDOW);
        vm.prank(caller);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, CANCELLER_ROLE)
        );
        timelock.cancel(id);
        assertTrue(timelock.isOperationPending(id));
    }

    // --- updateDelay -------------------------------------------------------------------------

    function testFuzz_updateDelay_belowTheExitWindowRevertsThroughTheTimelock(uint256 newDelay) public {
        newDelay = bound(newDelay, 0, EXIT_WINDOW - 1);
        bytes memory data = abi.encodeCall(TimelockController.updateDelay, (newDelay));
        scheduleSelf(data, bytes32(0));
        vm.warp(block.timestamp + EXIT_WINDOW);
        vm.expectRevert(abi.encodeWithSelector(KeelTimelock.DelayBelowExitWindow.selector, newDelay, EXIT_WINDOW));
        timelock.execute(address(timelock), 0, data, bytes32(0), bytes32(0));
        assertEq(timelock.getMinDelay(), EXIT_WINDOW, "unchanged");
    }

    function testFuzz_updateDelay_directCallsRevert(address caller, uint256 newDelay) public {
        vm.assume(caller != address(timelock));
        vm.prank(caller);
        if (newDelay < EXIT_WINDOW) {
            vm.expectRevert(
                abi.encodeWithSelector(KeelTimelock.DelayBelowExitWindow.selector, newDelay, EXIT_WINDOW)
            );
        } else {
            vm.expectRevert(abi.encodeWithSelector(TimelockController.TimelockUnauthorizedCaller.selector, caller));
        }
        timelock.updateDelay(newDelay);
    }

    function test_updateDelay_longerThenBackToTheExitWindow() public {
        bytes memory longer = abi.encodeCall(TimelockController.updateDelay, (EXIT_WINDOW * 2));
        scheduleSelf(longer, bytes32(0));
        vm.warp(block.timestamp + EXIT_WINDOW);
        timelock.execute(address(timelock), 0, longer, bytes32(0), bytes32(0));
        assertEq(timelock.getMinDelay(), EXIT_WINDOW * 2);

        // The longer delay now applies to every schedule.
        vm.prank(OWNER);
        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockInsufficientDelay.selector, EXIT_WINDOW, EXIT_WINDOW * 2
            )
        );
        timelock.schedule(address(proposer), 0, setSequencerCall, bytes32(0), bytes32(0), EXIT_WINDOW);

        bytes memory back = abi.encodeCall(TimelockController.updateDelay, (EXIT_WINDOW));
        scheduleSelf(back, bytes32(0));
        vm.warp(block.timestamp + EXIT_WINDOW * 2);
        timelock.execute(address(timelock), 0, back, bytes32(0), bytes32(0));
        assertEq(timelock.getMinDelay(), EXIT_WINDOW);
    }

    /// @dev Roles change only through the timelock too: granting the council the proposer role
    ///      waits out the delay.
    function test_roles_changeOnlyThroughTheTimelock() public {
        vm.prank(OWNER);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, OWNER, ADMIN_ROLE)
        );
        timelock.grantRole(PROPOSER_ROLE, COUNCIL);

        bytes memory grant = abi.encodeCall(IAccessControl.grantRole, (PROPOSER_ROLE, COUNCIL));
        scheduleSelf(grant, bytes32(0));
        vm.warp(block.timestamp + EXIT_WINDOW - 1);
        assertFalse(timelock.hasRole(PROPOSER_ROLE, COUNCIL));
        vm.warp(block.timestamp + 1);
        timelock.execute(address(timelock), 0, grant, bytes32(0), bytes32(0));
        assertTrue(timelock.hasRole(PROPOSER_ROLE, COUNCIL));
    }
}
