// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.19;

/// @title IOpenVmHalo2Verifier
/// @notice The interface of the EVM verifier that openvm-sdk 2.0 generates for an OpenVM
///         aggregation configuration (`OpenVmHalo2Verifier`, compiled with solc 0.8.19 from the
///         SDK's template and snark-verifier's `Halo2Verifier`). Keel does not ship that
///         contract: `keel-prover --openvm-proof evm --write-evm-verifier DIR` generates it,
///         since its constants come from the KZG parameters and the proving keys.
interface IOpenVmHalo2Verifier {
    /// @notice Reverts unless `proofData` proves that the program `appExeCommit` ran on the VM
    ///         `appVmCommit` and revealed `publicValues`.
    /// @param publicValues The guest's public values (Keel's guest: the 32-byte commitment).
    /// @param proofData `kzgAccumulator (12 words) ‖ proof (43 words)`: 1,760 bytes.
    /// @param appExeCommit OpenVM's app executable commitment (a BN254 scalar).
    /// @param appVmCommit OpenVM's app VM commitment (a BN254 scalar).
    function verify(bytes calldata publicValues, bytes calldata proofData, bytes32 appExeCommit, bytes32 appVmCommit)
        external
        view;
}
