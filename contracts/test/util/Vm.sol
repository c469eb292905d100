// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

/// @title Vm
/// @notice The forge cheatcodes these tests use, and only those. forge-std is not a dependency
///         (its npm release is too old for solc 0.8.30), so this is our own minimal interface;
///         every signature here must match forge's cheatcode ABI exactly (see
///         https://book.getfoundry.sh/cheatcodes/). Add cheatcodes as tests need them.
interface Vm {
    // --- environment -------------------------------------------------------------------------
    function warp(uint256 newTimestamp) external;
    function roll(uint256 newHeight) external;
    function cool(address target) external;
    function chainId(uint256 newChainId) external;
    function deal(address account, uint256 newBalance) external;
    function etch(address target, bytes calldata newRuntimeBytecode) external;
    function store(address target, bytes32 slot, bytes32 value) external;
    function load(address target, bytes32 slot) external view returns (bytes32 data);
    function label(address account, string calldata newLabel) external;
    function blobhashes(bytes32[] calldata hashes) external;

    // --- callers -----------------------------------------------------------------------------
    function prank(address msgSender) external;
    function prank(address msgSender, address txOrigin) external;
    function startPrank(address msgSender) external;
    function stopPrank() external;

    // --- expectations ------------------------------------------------------------------------
    function expectRevert() external;
    function expectRevert(bytes4 revertData) external;
    function expectRevert(bytes calldata revertData) external;
    function expectPartialRevert(bytes4 revertData) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter)
        external;

    // --- storage access recording ------------------------------------------------------------
    function record() external;
    function accesses(address target) external returns (bytes32[] memory readSlots, bytes32[] memory writeSlots);

    // --- keys and signatures -----------------------------------------------------------------
    function addr(uint256 privateKey) external pure returns (address keyAddr);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);

    // --- fuzzing -----------------------------------------------------------------------------
    function assume(bool condition) external pure;

    // --- formatting (for assertion messages) -------------------------------------------------
    function toString(uint256 value) external pure returns (string memory);
    function toString(address value) external pure returns (string memory);
    function toString(bytes32 value) external pure returns (string memory);
    function toString(bytes calldata value) external pure returns (string memory);
    function toString(bool value) external pure returns (string memory);
}
