// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.30;

/// @title L1FeeOracle
/// @notice L2 predeploy that tells contracts and wallets what a transaction pays for its data on
///         L1. Besides gas, every L2 transaction pays an L1 data fee: the bytes of its signed
///         EIP-2718 encoding times the block's data price, rounded up, paid to the L1FeeVault.
///         The block's fee rule sets the price from the L1 blob base fee the node last saw.
/// @dev Placed in L2 genesis as deployed bytecode. Nothing in it writes its storage: the node
///      sets slot 0 (`blobBaseFee`) and slot 1 (`dataPrice`) at the start of every block,
///      before its first transaction, and the STF proves those writes with the rest of the
///      block. `getL1Fee` keeps the name and meaning of OP Stack's GasPriceOracle so that tools
///      made for it give the right figure here.
contract L1FeeOracle {
    /// @notice Bytes a signature and its envelope add to an unsigned transaction at most (r, s,
    ///         y-parity and length prefixes), for `getL1FeeUpperBound`.
    uint256 public constant SIGNATURE_BYTES = 68;

    /// @notice The L1 blob base fee (wei per blob gas) the current block's price was set from.
    uint256 public blobBaseFee;
    /// @notice Wei charged per 1,000 bytes of a transaction's signed encoding in this block.
    uint256 public dataPrice;

    /// @notice The L1 data fee of a transaction whose signed EIP-2718 encoding is `signedTx`,
    ///         at this block's price.
    function getL1Fee(bytes calldata signedTx) external view returns (uint256) {
        return feeOf(signedTx.length);
    }

    /// @notice An upper bound of the L1 data fee of a transaction whose unsigned encoding is
    ///         `unsignedTxSize` bytes long: what a wallet can show before the user signs.
    function getL1FeeUpperBound(uint256 unsignedTxSize) external view returns (uint256) {
        return feeOf(unsignedTxSize + SIGNATURE_BYTES);
    }

    function feeOf(uint256 size) internal view returns (uint256) {
        return (size * dataPrice + 999) / 1000;
    }
}
