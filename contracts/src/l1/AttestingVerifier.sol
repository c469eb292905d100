// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {IVerifier} from "./IVerifier.sol";
import {ProverKeys} from "./ProverKeys.sol";

/// @title AttestingVerifier
/// @notice Verifier for zkVM proofs checked off chain: a registered prover key verified the
///         batch's STARK proof locally (`keel-prover --backend openvm`) and signs that the pinned
///         guest program revealed the batch commitment. L1 checks the signature and that the
///         program is the pinned one; it does not check the STARK itself.
/// @dev Trust: a batch is accepted if one registered key says so. The keys are trusted to run
///      the STARK verifier honestly, nothing more: the program commitment in every attestation
///      names exactly which guest (and VM configuration) was proven, so a key holder cannot
///      swap in another program without it showing on chain. Deploy it next to, or instead
///      of, an EVM STARK verifier; `OnChainProposer` can require both (every verifier must accept).
///
///      A proof is 97 bytes: `program (32) ‖ r (32) ‖ s (32) ‖ v (1)`, where (r, s, v) is a
///      signature (see `ProverKeys`) over the raw digest
///      `keccak256(abi.encode(DOMAIN_TAG, program, commitment))`.
contract AttestingVerifier is IVerifier, ProverKeys {
    /// @notice Domain tag mixed into every signed digest.
    bytes32 public constant DOMAIN_TAG = keccak256("keel.attesting-verifier.v1");

    /// @notice The guest program whose proofs are accepted: Keel's program commitment
    ///         (keccak256 of OpenVM's app executable commitment and VM commitment).
    bytes32 public program;

    /// @notice The pinned program changed (a guest upgrade); it applies to every batch not yet
    ///         verified.
    event ProgramChanged(bytes32 previous, bytes32 program);

    /// @notice A proof must be exactly 97 bytes.
    error BadProofLength(uint256 length);
    /// @notice The attestation is for another program than the pinned one.
    error ProgramMismatch(bytes32 expected, bytes32 attested);
    /// @notice The program commitment cannot be zero.
    error ZeroProgram();

    /// @notice Deploys the verifier for `program_` with an initial set of prover keys.
    /// @param owner_ The account that re-pins the program and adds and removes prover keys.
    /// @param program_ The program commitment to pin.
    /// @param provers The prover addresses to register (at least one, none zero, no duplicates).
    constructor(address owner_, bytes32 program_, address[] memory provers) ProverKeys(owner_, provers) {
        if (program_ == bytes32(0)) revert ZeroProgram();
        program = program_;
        emit ProgramChanged(bytes32(0), program_);
    }

    /// @notice Pins another program (a guest upgrade). Only the owner.
    /// @param program_ The new program commitment.
    function setProgram(bytes32 program_) external onlyOwner {
        if (program_ == bytes32(0)) revert ZeroProgram();
        emit ProgramChanged(program, program_);
        program = program_;
    }

    /// @notice The raw digest a prover signs for `commitment` proven by `program_`.
    /// @param program_ The program commitment.
    /// @param commitment The batch commitment.
    /// @return keccak256(abi.encode(DOMAIN_TAG, program_, commitment)).
    function digest(bytes32 program_, bytes32 commitment) public pure returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TAG, program_, commitment));
    }

    /// @notice Accepts `proof` if it attests the pinned program and is signed by a registered
    ///         prover; reverts with a named error otherwise.
    /// @param commitment The batch commitment.
    /// @param proof 97 bytes: program (32) ‖ r (32) ‖ s (32) ‖ v (1).
    /// @return Always true (every failure reverts).
    function verify(bytes32 commitment, bytes calldata proof) external view returns (bool) {
        if (proof.length != 97) revert BadProofLength(proof.length);
        bytes32 attested = bytes32(proof[0:32]);
        if (attested != program) revert ProgramMismatch(program, attested);
        _checkProverSignature(digest(attested, commitment), proof[32:97]);
        return true;
    }
}
