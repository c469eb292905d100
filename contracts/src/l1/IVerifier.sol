// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

/// @title IVerifier
/// @notice A proof system the OnChainProposer consults before it marks a batch verified.
/// @dev The public input is always the batch commitment (`OnChainProposer` documents it):
///      keccak256(abi.encode(batchNumber, chainSpecHash, firstBlock, blockCount, parentBlockHash,
///      preStateRoot, postStateRoot, lastBlockHash, withdrawalsRoot, depositsRollingHash,
///      blobsHash)).
interface IVerifier {
    /// @notice Checks that `proof` proves `commitment`.
    /// @dev Reverts (or returns false) unless `proof` proves `commitment`.
    /// @param commitment The batch commitment the proof must attest to.
    /// @param proof The proof bytes, in the verifier's own format.
    /// @return True if the proof is valid for `commitment`.
    function verify(bytes32 commitment, bytes calldata proof) external view returns (bool);
}
