// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

/// @title PrecompileProbe
/// @notice Test fixture: calls a precompile and stores what came back, so that a batch's state
///         root depends on every precompile result (and failure) in it. The OpenVM guest must
///         reproduce the node's commitment for such a batch: its accelerated precompiles must
///         agree with revm's native ones, refusals included.
contract PrecompileProbe {
    /// @notice keccak256(abi.encode(success, output)) of each call, in order.
    bytes32[] public results;

    /// @notice Calls `precompile` with `input` and records the outcome.
    function probe(address precompile, bytes calldata input) external {
        (bool ok, bytes memory output) = precompile.staticcall(input);
        results.push(keccak256(abi.encode(ok, output)));
    }

    /// @notice How many calls were recorded.
    function count() external view returns (uint256) {
        return results.length;
    }
}
