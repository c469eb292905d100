// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

import {Vm} from "./Vm.sol";

/// @title Test
/// @notice A minimal base for forge tests (instead of forge-std): the cheatcode handle `vm`,
///         assertions, `bound` for fuzz inputs and the invariant target list.
/// @dev forge runs every public `test…` function (fuzzing its arguments, if any) after `setUp`,
///      and every `invariant…` function after random calls to the target contracts. A test fails
///      if it reverts, so every assertion here reverts with a readable message.
abstract contract Test {
    /// @dev address(uint160(uint256(keccak256("hevm cheat code")))).
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    /// @dev secp256k1 group order: private keys are 1 ..= SECP256K1_ORDER - 1.
    uint256 internal constant SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;

    /// @dev What forge reads from `targetSelectors()`: the functions of `addr` to call.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    address[] private _targetContracts;
    FuzzSelector[] private _targetSelectors;

    // --- invariant targets -------------------------------------------------------------------

    /// @notice Restricts invariant fuzzing to `target` (and any other contract added this way).
    ///         Without any, forge calls every contract deployed in `setUp`.
    function targetContract(address target) internal {
        _targetContracts.push(target);
    }

    /// @dev Read by forge before invariant runs.
    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    /// @notice Restricts invariant fuzzing of `target` to `selectors` (e.g. a handler's actions,
    ///         not its getters).
    function targetSelector(address target, bytes4[] memory selectors) internal {
        _targetSelectors.push();
        FuzzSelector storage entry = _targetSelectors[_targetSelectors.length - 1];
        entry.addr = target;
        entry.selectors = selectors;
    }

    /// @dev Read by forge before invariant runs.
    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetSelectors;
    }

    // --- fuzz inputs -------------------------------------------------------------------------

    /// @notice Maps `x` into [min, max] (inclusive), keeping small values small, so that the
    ///         fuzzer's edge cases (0, 1, max…) land on the bounds.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 size = max - min + 1;
        if (size == 0) return x; // [0, type(uint256).max]
        if (x < min) return max - ((min - x - 1) % size);
        return min + ((x - max - 1) % size);
    }

    /// @notice A valid secp256k1 private key derived from any fuzzed `seed`.
    function boundPrivateKey(uint256 seed) internal pure returns (uint256) {
        return bound(seed, 1, SECP256K1_ORDER - 1);
    }

    // --- assertions --------------------------------------------------------------------------

    function fail(string memory message) internal pure {
        revert(message);
    }

    function assertTrue(bool condition) internal pure {
        assertTrue(condition, "");
    }

    function assertTrue(bool condition, string memory message) internal pure {
        if (!condition) _fail(message, "assertTrue: condition is false");
    }

    function assertFalse(bool condition) internal pure {
        assertFalse(condition, "");
    }

    function assertFalse(bool condition, string memory message) internal pure {
        if (condition) _fail(message, "assertFalse: condition is true");
    }

    function assertEq(uint256 actual, uint256 expected) internal pure {
        assertEq(actual, expected, "");
    }

    function assertEq(uint256 actual, uint256 expected, string memory message) internal pure {
        if (actual != expected) {
            _fail(message, string.concat("assertEq(uint256): ", vm.toString(actual), " != ", vm.toString(expected)));
        }
    }

    function assertEq(address actual, address expected) internal pure {
        assertEq(actual, expected, "");
    }

    function assertEq(address actual, address expected, string memory message) internal pure {
        if (actual != expected) {
            _fail(message, string.concat("assertEq(address): ", vm.toString(actual), " != ", vm.toString(expected)));
        }
    }

    function assertEq(bytes32 actual, bytes32 expected) internal pure {
        assertEq(actual, expected, "");
    }

    function assertEq(bytes32 actual, bytes32 expected, string memory message) internal pure {
        if (actual != expected) {
            _fail(message, string.concat("assertEq(bytes32): ", vm.toString(actual), " != ", vm.toString(expected)));
        }
    }

    function assertEq(bool actual, bool expected) internal pure {
        assertEq(actual, expected, "");
    }

    function assertEq(bool actual, bool expected, string memory message) internal pure {
        if (actual != expected) {
            _fail(message, string.concat("assertEq(bool): ", vm.toString(actual), " != ", vm.toString(expected)));
        }
    }

    function assertEq(bytes memory actual, bytes memory expected) internal pure {
        assertEq(actual, expected, "");
    }

    function assertEq(bytes memory actual, bytes memory expected, string memory message) internal pure {
        if (keccak256(actual) != keccak256(expected)) {
            _fail(message, string.concat("assertEq(bytes): ", vm.toString(actual), " != ", vm.toString(expected)));
        }
    }

    function assertLe(uint256 a, uint256 b, string memory message) internal pure {
        if (a > b) _fail(message, string.concat("assertLe(uint256): ", vm.toString(a), " > ", vm.toString(b)));
    }

    function assertGe(uint256 a, uint256 b, string memory message) internal pure {
        if (a < b) _fail(message, string.concat("assertGe(uint256): ", vm.toString(a), " < ", vm.toString(b)));
    }

    function assertNotEq(bytes32 a, bytes32 b, string memory message) internal pure {
        if (a == b) _fail(message, string.concat("assertNotEq(bytes32): both ", vm.toString(a)));
    }

    function _fail(string memory message, string memory detail) private pure {
        revert(bytes(message).length == 0 ? detail : string.concat(message, ": ", detail));
    }
}
