// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

/// @title L2Bridge
/// @notice L2 predeploy for withdrawing ETH to L1. `withdraw` only emits `WithdrawalInitiated`;
///         after the transaction the node burns the value from this contract's balance and adds
///         a leaf keccak256(abi.encode(l2TxHash, indexInTx, l1Receiver, amount)) to the batch's
///         withdrawals tree, claimable on L1 from the CommonBridge once the batch is verified.
/// @dev Placed in L2 genesis as deployed bytecode: no constructor logic, no immutables, no
///      storage. No receive or fallback function, so plain ETH transfers revert.
contract L2Bridge {
    /// @notice `l2Sender` withdrew `amount` wei to `l1Receiver` on L1.
    event WithdrawalInitiated(address indexed l2Sender, address indexed l1Receiver, uint256 amount);

    /// @notice A withdrawal must carry a positive value.
    error ZeroWithdrawal();
    /// @notice A withdrawal must name a nonzero L1 receiver.
    error ZeroReceiver();

    /// @notice Withdraws `msg.value` wei to `l1Receiver` on L1.
    /// @param l1Receiver The L1 account to pay (nonzero).
    function withdraw(address l1Receiver) external payable {
        if (msg.value == 0) revert ZeroWithdrawal();
        if (l1Receiver == address(0)) revert ZeroReceiver();
        emit WithdrawalInitiated(msg.sender, l1Receiver, msg.value);
    }
}
