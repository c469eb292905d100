// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {IVerifier} from "./IVerifier.sol";

/// @title DevVerifier
/// @notice Verifier for the `exec` development backend: a "proof" is an ECDSA signature by a
///         registered prover key over the batch commitment. It proves nothing about execution;
///         it only says that a trusted key vouched for the batch. It therefore refuses to be
///         deployed anywhere but a development chain (chain id 31337 or 1337).
/// @dev A proof is 65 bytes `r ‖ s ‖ v` (v = 27/28, or 0/1 which is taken as 27/28) signing the raw
///      digest `keccak256(abi.encode(DOMAIN_TAG, commitment))` (no "\x19Ethereum Signed
///      Message" prefix). The commitment already names the L2 chain, the batch and its parent,
///      so a signature cannot be replayed onto another batch, and the prover needs to know
///      nothing of L1. High-s signatures are rejected.
contract DevVerifier is IVerifier {
    /// @notice Chain id of anvil / hardhat development chains.
    uint256 public constant DEV_CHAIN_ID_ANVIL = 31337;
    /// @notice Chain id of geth `--dev` development chains.
    uint256 public constant DEV_CHAIN_ID_GETH = 1337;
    /// @notice Domain tag mixed into every signed digest.
    bytes32 public constant DOMAIN_TAG = keccak256("keel.dev-verifier.v1");

    /// @dev secp256k1 group order n divided by two; signatures with s above it are malleable.
    uint256 private constant HALF_CURVE_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    /// @notice The account allowed to add and remove prover keys (the deployer).
    address public immutable owner;

    /// @notice Whether `prover` is a registered prover key.
    mapping(address prover => bool registered) public isProver;

    /// @notice A prover key was registered.
    event ProverAdded(address prover);
    /// @notice A prover key was removed.
    event ProverRemoved(address prover);

    /// @notice Deployment on a chain that is not a development chain.
    error NotADevChain(uint256 chainId);
    /// @notice The constructor was given no prover keys.
    error NoProvers();
    /// @notice The zero address cannot be a prover.
    error ZeroProver();
    /// @notice The key is already registered.
    error ProverAlreadyRegistered(address prover);
    /// @notice The key is not registered.
    error ProverNotRegistered(address prover);
    /// @notice Caller is not the owner.
    error NotOwner(address caller);
    /// @notice A proof must be exactly 65 bytes.
    error BadProofLength(uint256 length);
    /// @notice The signature's v is not 27/28 (or 0/1).
    error BadSignatureV(uint8 v);
    /// @notice The signature's s is in the upper half of the curve order (malleable).
    error HighS(bytes32 s);
    /// @notice ecrecover could not recover a signer.
    error InvalidSignature();
    /// @notice The signature is valid but by a key that is not a registered prover.
    error UnknownProver(address signer);

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @notice Deploys the verifier with an initial set of prover keys; only on dev chains.
    /// @param provers The prover addresses to register (at least one, none zero, no duplicates).
    constructor(address[] memory provers) {
        if (block.chainid != DEV_CHAIN_ID_ANVIL && block.chainid != DEV_CHAIN_ID_GETH) {
            revert NotADevChain(block.chainid);
        }
        if (provers.length == 0) revert NoProvers();
        owner = msg.sender;
        for (uint256 i = 0; i < provers.length; ++i) {
            _addProver(provers[i]);
        }
    }

    /// @notice Registers a prover key. Only the owner.
    /// @param prover The address whose signatures will be accepted.
    function addProver(address prover) external onlyOwner {
        _addProver(prover);
    }

    /// @notice Removes a prover key. Only the owner. Removing every key halts verification.
    /// @param prover The address whose signatures will no longer be accepted.
    function removeProver(address prover) external onlyOwner {
        if (!isProver[prover]) revert ProverNotRegistered(prover);
        isProver[prover] = false;
        emit ProverRemoved(prover);
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
        bytes32 r = bytes32(proof[0:32]);
        bytes32 s = bytes32(proof[32:64]);
        uint8 v = uint8(proof[64]);
        if (v < 27) v += 27;
        if (v != 27 && v != 28) revert BadSignatureV(uint8(proof[64]));
        if (uint256(s) > HALF_CURVE_ORDER) revert HighS(s);
        address signer = ecrecover(digest(commitment), v, r, s);
        if (signer == address(0)) revert InvalidSignature();
        if (!isProver[signer]) revert UnknownProver(signer);
        return true;
    }

    function _addProver(address prover) private {
        if (prover == address(0)) revert ZeroProver();
        if (isProver[prover]) revert ProverAlreadyRegistered(prover);
        isProver[prover] = true;
        emit ProverAdded(prover);
    }
}
