// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

/// @title IOnChainProposer
/// @notice The part of the OnChainProposer that the CommonBridge needs to pay out withdrawals.
interface IOnChainProposer {
    /// @notice Whether batch `batchNumber` has been verified (batch 0, genesis, always is).
    /// @param batchNumber The batch to ask about.
    /// @return True if `batchNumber <= lastVerifiedBatch`.
    function isVerified(uint256 batchNumber) external view returns (bool);

    /// @notice The Merkle root of the withdrawals made in batch `batchNumber`.
    /// @param batchNumber The batch to ask about.
    /// @return The withdrawals root, or zero for a batch with no withdrawals (or not committed).
    function withdrawalsRoot(uint256 batchNumber) external view returns (bytes32);
}
