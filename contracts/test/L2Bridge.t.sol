// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {L2Bridge} from "../src/l2/L2Bridge.sol";
import {PredeployTest} from "./util/Predeploys.sol";

contract L2BridgeTest is PredeployTest {
    L2Bridge internal bridge;

    function setUp() public {
        bridge = placeBridge();
    }

    function test_withdraw_emitsAndKeepsTheValue() public {
        address sender = address(0xA11CE);
        address receiver = address(0xB0B);
        vm.deal(sender, 5 ether);

        vm.expectEmit(true, true, false, true, L2_BRIDGE);
        emit L2Bridge.WithdrawalInitiated(sender, receiver, 2 ether);
        vm.prank(sender);
        bridge.withdraw{value: 2 ether}(receiver);

        // The node burns the value after the transaction; the contract itself just holds it.
        assertEq(L2_BRIDGE.balance, 2 ether, "bridge balance");
        assertEq(sender.balance, 3 ether, "sender balance");
    }

    function testFuzz_withdraw_anySenderAnyReceiverAnyPositiveValue(address sender, address receiver, uint256 value)
        public
    {
        vm.assume(receiver != address(0));
        vm.assume(sender != L2_BRIDGE && sender != address(vm));
        value = bound(value, 1, 1e30);
        vm.deal(sender, value);
        uint256 before = L2_BRIDGE.balance;

        vm.expectEmit(true, true, false, true, L2_BRIDGE);
        emit L2Bridge.WithdrawalInitiated(sender, receiver, value);
        vm.prank(sender);
        bridge.withdraw{value: value}(receiver);

        assertEq(L2_BRIDGE.balance, before + value, "bridge balance");
    }

    function test_withdraw_zeroValueReverts() public {
        vm.expectRevert(L2Bridge.ZeroWithdrawal.selector);
        bridge.withdraw(address(0xB0B));
    }

    function test_withdraw_zeroReceiverReverts() public {
        vm.deal(address(this), 1 ether);
        vm.expectRevert(L2Bridge.ZeroReceiver.selector);
        bridge.withdraw{value: 1 ether}(address(0));
    }

    function test_withdraw_zeroValueIsCheckedBeforeReceiver() public {
        vm.expectRevert(L2Bridge.ZeroWithdrawal.selector);
        bridge.withdraw(address(0));
    }

    /// @dev The bridge is a genesis predeploy without storage: a withdrawal writes no slot.
    function testFuzz_withdraw_writesNoStorage(address receiver, uint256 value) public {
        vm.assume(receiver != address(0));
        value = bound(value, 1, 1e30);
        vm.deal(address(this), value);

        vm.record();
        bridge.withdraw{value: value}(receiver);
        (, bytes32[] memory writes) = vm.accesses(L2_BRIDGE);
        assertEq(writes.length, 0, "storage writes");
    }

    /// @dev No receive or fallback: plain transfers and unknown calls revert.
    function testFuzz_plainTransferReverts(uint256 value) public {
        value = bound(value, 0, 1e30);
        vm.deal(address(this), value);
        (bool ok,) = L2_BRIDGE.call{value: value}("");
        assertFalse(ok, "plain transfer accepted");
        assertEq(L2_BRIDGE.balance, 0, "bridge balance");
    }

    function testFuzz_unknownSelectorReverts(bytes calldata data) public {
        vm.assume(data.length < 4 || bytes4(data[0:4]) != L2Bridge.withdraw.selector);
        vm.deal(address(this), 1 ether);
        (bool ok,) = L2_BRIDGE.call{value: 1 ether}(data);
        assertFalse(ok, "unknown call accepted");
    }
}
