// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

import {IVerifier} from "./IVerifier.sol";
import {IOpenVmHalo2Verifier} from "./openvm/IOpenVmHalo2Verifier.sol";

/// @title OpenVmVerifier
/// @notice Verifier for OpenVM proofs checked on chain: an EVM (halo2 over BN254, KZG) proof
///         that the pinned guest program ran and revealed the batch commitment. L1 checks the
///         whole proof; no key holder is trusted.
/// @dev Trust: OpenVM's circuits and the KZG setup the halo2 verifier was generated with (the
///      published powers-of-tau parameters, see docs/PROVING.md). The halo2 verifier is
///      OpenVM's generated `OpenVmHalo2Verifier`; this contract pins which program it must have
///      proven and passes it the batch commitment as the guest's public values.
///
///      A proof is 1,760 bytes: the `proofData` of OpenVM's EVM proof (KZG accumulator ‖
///      proof). `program()` is the same id `AttestingVerifier` pins, so a deployment with both
///      verifiers requires both to be about one guest.
contract OpenVmVerifier is IVerifier, Ownable2Step {
    /// @notice The length of a proof: (12 + 43) words.
    uint256 public constant PROOF_LENGTH = 55 * 32;

    /// @notice OpenVM's generated verifier (for one OpenVM release and aggregation setup).
    IOpenVmHalo2Verifier public halo2Verifier;
    /// @notice The pinned guest: OpenVM's app executable commitment.
    bytes32 public appExeCommit;
    /// @notice The pinned guest: OpenVM's app VM commitment.
    bytes32 public appVmCommit;

    /// @notice The pinned program changed (a guest upgrade).
    event ProgramChanged(bytes32 appExeCommit, bytes32 appVmCommit, bytes32 program);
    /// @notice The halo2 verifier changed (an OpenVM upgrade).
    event Halo2VerifierChanged(address previous, address halo2Verifier);

    /// @notice A proof must be exactly `PROOF_LENGTH` bytes.
    error BadProofLength(uint256 length);
    /// @notice Neither commitment can be zero.
    error ZeroProgram();
    /// @notice The halo2 verifier must be a contract.
    error NotAContract(address halo2Verifier);
    /// @param owner_ The account that pins another program or halo2 verifier.
    /// @param halo2Verifier_ OpenVM's generated verifier contract.
    /// @param appExeCommit_ The guest's app executable commitment.
    /// @param appVmCommit_ The guest's app VM commitment.
    constructor(address owner_, address halo2Verifier_, bytes32 appExeCommit_, bytes32 appVmCommit_)
        Ownable(owner_)
    {
        _setHalo2Verifier(halo2Verifier_);
        _setProgram(appExeCommit_, appVmCommit_);
    }

    /// @notice Keel's id of the pinned program: keccak256(appExeCommit ‖ appVmCommit).
    function program() public view returns (bytes32) {
        return keccak256(abi.encodePacked(appExeCommit, appVmCommit));
    }

    /// @notice Pins another guest (a guest upgrade). Only the owner.
    function setProgram(bytes32 appExeCommit_, bytes32 appVmCommit_) external onlyOwner {
        _setProgram(appExeCommit_, appVmCommit_);
    }

    /// @notice Uses another generated verifier (an OpenVM upgrade). Only the owner.
    function setHalo2Verifier(address halo2Verifier_) external onlyOwner {
        _setHalo2Verifier(halo2Verifier_);
    }

    /// @notice Accepts `proof` if the halo2 verifier accepts it as a proof that the pinned
    ///         program revealed `commitment`; reverts otherwise (with the halo2 verifier's
    ///         error when it refuses).
    /// @param commitment The batch commitment: the guest's 32 public-value bytes.
    /// @param proof OpenVM's EVM `proofData`, 1,760 bytes.
    /// @return Always true (every failure reverts).
    function verify(bytes32 commitment, bytes calldata proof) external view returns (bool) {
        if (proof.length != PROOF_LENGTH) revert BadProofLength(proof.length);
        halo2Verifier.verify(abi.encodePacked(commitment), proof, appExeCommit, appVmCommit);
        return true;
    }

    function _setProgram(bytes32 appExeCommit_, bytes32 appVmCommit_) private {
        if (appExeCommit_ == bytes32(0) || appVmCommit_ == bytes32(0)) revert ZeroProgram();
        appExeCommit = appExeCommit_;
        appVmCommit = appVmCommit_;
        emit ProgramChanged(appExeCommit_, appVmCommit_, program());
    }

    function _setHalo2Verifier(address halo2Verifier_) private {
        if (halo2Verifier_.code.length == 0) revert NotAContract(halo2Verifier_);
        emit Halo2VerifierChanged(address(halo2Verifier), halo2Verifier_);
        halo2Verifier = IOpenVmHalo2Verifier(halo2Verifier_);
    }
}
