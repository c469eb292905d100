// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {L1FeeVault} from "../src/l2/L1FeeVault.sol";
import {L2Bridge} from "../src/l2/L2Bridge.sol";
import {PredeployTest} from "./util/Predeploys.sol";
import {Vm} from "./util/Vm.sol";

contract L1FeeVaultTest is PredeployTest {
    address internal constant RECIPIENT = address(0xFEE5);
    L1FeeVault internal vault;

    function setUp() public {
        placeBridge();
        vault = placeVault(RECIPIENT);
    }

    function test_constants() public view {
        assertEq(address(vault.BRIDGE()), L2_BRIDGE, "BRIDGE is not the L2 bridge predeploy");
        assertEq(vault.recipient(), RECIPIENT, "recipient is not slot 0");
    }

    function testFuzz_recipientIsSlotZero(address recipient) public {
        placeVault(recipient);
        assertEq(vault.recipient(), recipient);
    }

    function test_withdraw_sendsEverythingThroughTheBridge() public {
        vm.deal(L1_FEE_VAULT, 3 ether); // the node credits fees to the balance directly

        vm.expectEmit(true, true, false, true, L2_BRIDGE);
        emit L2Bridge.WithdrawalInitiated(L1_FEE_VAULT, RECIPIENT, 3 ether);
        vm.expectEmit(true, false, false, true, L1_FEE_VAULT);
        emit L1FeeVault.FeesWithdrawn(RECIPIENT, 3 ether);
        vault.withdraw();

        assertEq(L1_FEE_VAULT.balance, 0, "vault balance");
        assertEq(L2_BRIDGE.balance, 3 ether, "bridge balance");
    }

    /// @dev Anyone may trigger the withdrawal; the value always goes to `recipient`, whole.
    function testFuzz_withdraw_anyCallerPaysTheRecipient(address caller, address recipient, uint256 fees) public {
        vm.assume(recipient != address(0));
        vm.assume(caller != L1_FEE_VAULT && caller != address(vm));
        fees = bound(fees, 1, 1e30);
        placeVault(recipient);
        vm.deal(L1_FEE_VAULT, fees);
        uint256 callerBalance = caller.balance;

        vm.expectEmit(true, true, false, true, L2_BRIDGE);
        emit L2Bridge.WithdrawalInitiated(L1_FEE_VAULT, recipient, fees);
        vm.expectEmit(true, false, false, true, L1_FEE_VAULT);
        emit L1FeeVault.FeesWithdrawn(recipient, fees);
        vm.prank(caller);
        vault.withdraw();

        assertEq(L1_FEE_VAULT.balance, 0, "vault balance");
        assertEq(L2_BRIDGE.balance, fees, "bridge balance");
        if (caller != L2_BRIDGE) assertEq(caller.balance, callerBalance, "caller was paid");
        assertEq(vault.recipient(), recipient, "recipient changed");
    }

    function testFuzz_withdraw_withoutRecipientReverts(uint256 fees) public {
        fees = bound(fees, 0, 1e30);
        placeVault(address(0));
        vm.deal(L1_FEE_VAULT, fees);
        vm.expectRevert(L1FeeVault.NoRecipient.selector);
        vault.withdraw();
        assertEq(L1_FEE_VAULT.balance, fees, "fees left the vault");
    }

    function test_withdraw_emptyVaultReverts() public {
        vm.expectRevert(L1FeeVault.NothingToWithdraw.selector);
        vault.withdraw();
    }

    function test_withdraw_twiceRevertsUntilNewFees() public {
        vm.deal(L1_FEE_VAULT, 1 ether);
        vault.withdraw();
        vm.expectRevert(L1FeeVault.NothingToWithdraw.selector);
        vault.withdraw();
        vm.deal(L1_FEE_VAULT, 2 wei);
        vault.withdraw();
        assertEq(L2_BRIDGE.balance, 1 ether + 2 wei, "bridge balance");
    }
}

/// @notice Drives the vault for the invariant test: the node crediting fees (vm.deal on top of
///         the balance) and anyone calling `withdraw`.
contract VaultHandler {
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);
    address internal constant VAULT = 0x000000000000000000000000000000000000FF03;

    uint256 public credited;
    uint256 public withdrawn;
    uint256 public withdrawals;

    function credit(uint256 amount) external {
        amount = amount % 1e24;
        credited += amount;
        vm.deal(VAULT, VAULT.balance + amount);
    }

    function withdraw(address caller) external {
        uint256 balance = VAULT.balance;
        if (caller == address(vm)) caller = address(this);
        vm.prank(caller);
        try L1FeeVault(VAULT).withdraw() {
            withdrawn += balance;
            withdrawals += 1;
        } catch (bytes memory reason) {
            // Only an empty vault may refuse.
            require(balance == 0, "withdraw reverted with fees in the vault");
            require(
                keccak256(reason) == keccak256(abi.encodeWithSelector(L1FeeVault.NothingToWithdraw.selector)),
                "unexpected revert"
            );
        }
    }
}

contract L1FeeVaultInvariantTest is PredeployTest {
    address internal constant RECIPIENT = address(0xFEE5);
    VaultHandler internal handler;

    function setUp() public {
        placeBridge();
        placeVault(RECIPIENT);
        handler = new VaultHandler();
        targetContract(address(handler));
    }

    /// @dev Every credited wei is either still in the vault or went through the bridge; nothing
    ///      else moves ETH in or out.
    function invariant_feesAreConserved() public view {
        assertEq(L1_FEE_VAULT.balance + L2_BRIDGE.balance, handler.credited(), "vault + bridge != credited");
        assertEq(L2_BRIDGE.balance, handler.withdrawn(), "bridge != withdrawn");
    }

    function invariant_recipientNeverChanges() public view {
        assertEq(L1FeeVault(L1_FEE_VAULT).recipient(), RECIPIENT);
    }
}
