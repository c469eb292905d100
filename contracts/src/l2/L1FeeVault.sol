// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {L2Bridge} from "./L2Bridge.sol";

/// @title L1FeeVault
/// @notice L2 predeploy that collects every transaction's L1 data fee (the node credits it after
///         each transaction) and sends it, through the L2 bridge, to the L1 account that pays for
///         the chain's blobs. Anyone may trigger the withdrawal; only the recipient is paid.
/// @dev Placed in L2 genesis as deployed bytecode with `recipient` in slot 0 (`[fees]
///      l1_fee_recipient`). No constructor, no owner: the recipient changes only with a new
///      genesis or an upgrade of the chain.
contract L1FeeVault {
    /// @notice The L2 bridge predeploy.
    L2Bridge public constant BRIDGE = L2Bridge(0x000000000000000000000000000000000000ff01);

    /// @notice The L1 account the fees are withdrawn to.
    address public recipient;

    /// @notice `amount` wei were withdrawn to `recipient` on L1.
    event FeesWithdrawn(address indexed recipient, uint256 amount);

    /// @notice No recipient was set at genesis: the fees stay here.
    error NoRecipient();
    /// @notice The vault holds nothing.
    error NothingToWithdraw();

    /// @notice Withdraws the vault's whole balance to `recipient` on L1.
    function withdraw() external {
        address to = recipient;
        if (to == address(0)) revert NoRecipient();
        uint256 amount = address(this).balance;
        if (amount == 0) revert NothingToWithdraw();
        BRIDGE.withdraw{value: amount}(to);
        emit FeesWithdrawn(to, amount);
    }
}
