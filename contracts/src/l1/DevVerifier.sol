// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {IVerifier} from "./IVerifier.sol";
import {ProverKeys} from "./ProverKeys.sol";

/// @title DevVerifier
/// @notice Verifier for the `exec` development backend: a "proof" is an ECDSA signature by a
///         registered prover key over the batch commitment. It proves nothing about execution;
///         it only says that a trusted key vouched for the batch. It therefore refuses to be
///         deployed anywhere but a development chain (chain id 31337 or 1337).
/// @dev A proof is a 65-byte signature (see `ProverKeys`) over the raw digest
///      `keccak256(abi.encode(DOMAIN_TAG, commitment))`. The commitment already names the L2
///      chain, the batch and its parent, so a signature cannot be replayed onto another batch,
///      and the prover needs to know nothing of L1.
contract DevVerifier is IVerifier, ProverKeys {
    /// @notice Chain id of anvil / hardhat development chains.
    uint256 public constant DEV_CHAIN_ID_ANVIL = 31337;
    /// @notice Chain id of geth `--dev` development chains.
    uint256 public constant DEV_CHAIN_ID_GETH = 1337;
    /// @notice Domain tag mixed into every signed digest.
    bytes32 public constant DOMAIN_TAG = keccak256("keel.dev-verifier.v1");

    /// @notice Deployment on a chain that is not a development chain.
    error NotADevChain(uint256 chainId);
    /// @notice A proof must be exactly 65 bytes.
    error BadProofLength(uint256 length);

    /// @notice Deploys the verifier with an initial set of prover keys; only on dev chains.
    /// @param owner_ The account that adds and removes prover keys.
    /// @param provers The prover addresses to register (at least one, none zero, no duplicates).
    constructor(address owner_, address[] memory provers) ProverKeys(owner_, provers) {
        if (block.chainid != DEV_CHAIN_ID_ANVIL && block.chainid != DEV_CHAIN_ID_GETH) {
            revert NotADevChain(block.chainid);
        }
    }

    /// @notice The raw digest a prover signs for `commitment`.
    /// @param commitment The batch commitment.
    /// @return keccak256(abi.encode(DOMAIN_TAG, commitment)).
    function digest(bytes32 commitment) public pure returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TAG, commitment));
    }

    /// @notice Accepts `proof` if it is a low-s ECDSA signature over `digest(commitment)` by a
    ///         registered prover; reverts with a named error otherwise.
    /// @param commitment The batch commitment.
    /// @param proof 65 bytes: r (32) ‖ s (32) ‖ v (1).
    /// @return Always true (every failure reverts).
    function verify(bytes32 commitment, bytes calldata proof) external view returns (bool) {
        if (proof.length != 65) revert BadProofLength(proof.length);
        _checkProverSignature(digest(commitment), proof);
        return true;
    }
}
