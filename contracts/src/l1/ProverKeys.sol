// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/// @title ProverKeys
/// @notice The registry of prover keys shared by the signature-based verifiers: the owner (the
///         timelock, in a `keel deploy`) adds and removes keys; a signature counts only if it is
///         a low-s ECDSA signature over the verifier's digest by a registered key.
/// @dev A signature is 65 bytes `r ‖ s ‖ v` (v = 27/28, or 0/1 which is taken as 27/28) over a
///      raw digest (no "\x19Ethereum Signed Message" prefix). High-s signatures are rejected.
abstract contract ProverKeys is Ownable2Step {
    /// @dev secp256k1 group order n divided by two; signatures with s above it are malleable.
    uint256 private constant HALF_CURVE_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    /// @notice Whether `prover` is a registered prover key.
    mapping(address prover => bool registered) public isProver;

    /// @notice A prover key was registered.
    event ProverAdded(address prover);
    /// @notice A prover key was removed.
    event ProverRemoved(address prover);

    /// @notice The constructor was given no prover keys.
    error NoProvers();
    /// @notice The zero address cannot be a prover.
    error ZeroProver();
    /// @notice The key is already registered.
    error ProverAlreadyRegistered(address prover);
    /// @notice The key is not registered.
    error ProverNotRegistered(address prover);
    /// @notice The signature's v is not 27/28 (or 0/1).
    error BadSignatureV(uint8 v);
    /// @notice The signature's s is in the upper half of the curve order (malleable).
    error HighS(bytes32 s);
    /// @notice ecrecover could not recover a signer.
    error InvalidSignature();
    /// @notice The signature is valid but by a key that is not a registered prover.
    error UnknownProver(address signer);

    /// @param owner_ The account that adds and removes keys.
    /// @param provers The prover addresses to register (at least one, none zero, no duplicates).
    constructor(address owner_, address[] memory provers) Ownable(owner_) {
        if (provers.length == 0) revert NoProvers();
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

    /// @dev Reverts with a named error unless `signature` (65 bytes, r ‖ s ‖ v) is a low-s
    ///      signature over `digest` by a registered prover key.
    function _checkProverSignature(bytes32 digest, bytes calldata signature) internal view {
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (v < 27) v += 27;
        if (v != 27 && v != 28) revert BadSignatureV(uint8(signature[64]));
        if (uint256(s) > HALF_CURVE_ORDER) revert HighS(s);
        address signer = ecrecover(digest, v, r, s);
        if (signer == address(0)) revert InvalidSignature();
        if (!isProver[signer]) revert UnknownProver(signer);
    }

    function _addProver(address prover) private {
        if (prover == address(0)) revert ZeroProver();
        if (isProver[prover]) revert ProverAlreadyRegistered(prover);
        isProver[prover] = true;
        emit ProverAdded(prover);
    }
}
