// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {IOpenVmHalo2Verifier} from "../l1/openvm/IOpenVmHalo2Verifier.sol";

/// @title Halo2VerifierStandIn
/// @notice Test fixture only (never deployed by `keel deploy`): stands in for OpenVM's
///         generated halo2 verifier, which needs ~16 GB of KZG parameters to generate. It
///         accepts exactly one statement, fixed at deployment, so a test can check that
///         `OpenVmVerifier` hands the halo2 verifier the batch commitment, the proof bytes and
///         the pinned commitments exactly as OpenVM's interface defines them.
contract Halo2VerifierStandIn is IOpenVmHalo2Verifier {
    bytes32 public immutable accepted;

    error Rejected(bytes32 statement);

    /// @param accepted_ keccak256(abi.encode(publicValues, proofData, appExeCommit, appVmCommit)).
    constructor(bytes32 accepted_) {
        accepted = accepted_;
    }

    function verify(bytes calldata publicValues, bytes calldata proofData, bytes32 appExeCommit, bytes32 appVmCommit)
        external
        view
    {
        bytes32 statement = keccak256(abi.encode(publicValues, proofData, appExeCommit, appVmCommit));
        if (statement != accepted) revert Rejected(statement);
    }
}
