//! The L1 data fee: what a transaction pays, on top of gas, for the bytes it adds to the blobs
//! the chain posts to L1.
//!
//! Each block has one [`DataFee`], decided by the fee rule from the L1 blob base fee the node
//! last saw. A transaction pays `ceil(len × price / 1000)` wei, `len` being the length of its
//! signed EIP-2718 encoding (the bytes the batch payload carries before compression), taken from
//! its sender before it runs and credited to the [`L1_FEE_VAULT_ADDRESS`] predeploy after. The
//! block builder records the block's `DataFee` in the [`L1_FEE_ORACLE_ADDRESS`] predeploy's
//! storage before the first transaction, so contracts and wallets read it there, and the STF
//! proves the writes and every charge with the rest of the block.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use alloy_primitives::{Address, U256, address};
use alloy_rlp::{RlpDecodable, RlpEncodable};

use crate::StateReader;

/// The `L1FeeOracle` predeploy (`contracts/src/l2/L1FeeOracle.sol`): the block's data fee in
/// storage, and `getL1Fee(bytes)`.
pub const L1_FEE_ORACLE_ADDRESS: Address = address!("000000000000000000000000000000000000ff02");
/// The `L1FeeVault` predeploy (`contracts/src/l2/L1FeeVault.sol`): receives every L1 data fee
/// and withdraws it to the L1 account that pays for the blobs.
pub const L1_FEE_VAULT_ADDRESS: Address = address!("000000000000000000000000000000000000ff03");
/// `L1FeeOracle.blobBaseFee` (slot 0).
pub const ORACLE_BLOB_BASE_FEE_SLOT: U256 = U256::ZERO;
/// `L1FeeOracle.dataPrice` (slot 1).
pub const ORACLE_DATA_PRICE_SLOT: U256 = U256::from_limbs([1, 0, 0, 0]);
/// `L1FeeVault.recipient` (slot 0), set at genesis.
pub const VAULT_RECIPIENT_SLOT: U256 = U256::ZERO;

/// Bytes a data price is quoted per.
pub const DATA_PRICE_UNIT_BYTES: u128 = 1_000;

/// One block's L1 data fee.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, RlpEncodable, RlpDecodable)]
pub struct DataFee {
    /// The L1 blob base fee (wei per blob gas) the fee rule set the price from: recorded for
    /// wallets and explorers, charged through `price` only. 0 when the chain posts no blobs.
    pub l1_blob_base_fee: u64,
    /// Wei per 1,000 bytes of a transaction's signed encoding. 0 charges nothing.
    pub price: u64,
}

impl DataFee {
    /// No data fee (validium, no L1, genesis).
    pub const ZERO: Self = Self {
        l1_blob_base_fee: 0,
        price: 0,
    };

    /// The fee of a transaction whose signed EIP-2718 encoding is `encoded_len` bytes long.
    pub fn fee(&self, encoded_len: usize) -> U256 {
        // ≤ 2^64 · 2^64: no overflow in 256 bits.
        let product = U256::from(encoded_len) * U256::from(self.price);
        product.div_ceil(U256::from(DATA_PRICE_UNIT_BYTES))
    }

    /// The data fee of the block whose post-state `state` is, as its `L1FeeOracle` holds it:
    /// the price a transaction sent now is checked against (the next block's may differ).
    pub fn in_state<R: StateReader>(state: &R) -> Result<Self, R::Error> {
        let read = |slot| {
            state
                .storage(&L1_FEE_ORACLE_ADDRESS, &slot)
                .map(|value: U256| u64::try_from(value).unwrap_or(u64::MAX))
        };
        Ok(Self {
            l1_blob_base_fee: read(ORACLE_BLOB_BASE_FEE_SLOT)?,
            price: read(ORACLE_DATA_PRICE_SLOT)?,
        })
    }
}

/// The L1 blob base fee the node last read from its L1, shared between the task that reads it
/// and the proposer that prices each block from it. 0 until the first read.
#[derive(Debug, Clone, Default)]
pub struct L1BlobBaseFee(Arc<AtomicU64>);

impl L1BlobBaseFee {
    /// The last value read (wei per blob gas).
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Records a new reading; a value above `u64::MAX` wei is recorded as `u64::MAX`.
    pub fn set(&self, wei: u128) {
        self.0
            .store(u64::try_from(wei).unwrap_or(u64::MAX), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_rounds_up_per_thousand_bytes() {
        let fee = DataFee {
            l1_blob_base_fee: 1,
            price: 826,
        };
        assert_eq!(fee.fee(0), U256::ZERO);
        assert_eq!(fee.fee(1), U256::from(1));
        assert_eq!(fee.fee(110), U256::from(91)); // 90.86 → 91
        assert_eq!(fee.fee(1_000), U256::from(826));
        assert_eq!(DataFee::ZERO.fee(100_000), U256::ZERO);
        let max = DataFee {
            l1_blob_base_fee: u64::MAX,
            price: u64::MAX,
        };
        assert_eq!(
            max.fee(usize::MAX),
            (U256::from(usize::MAX) * U256::from(u64::MAX)).div_ceil(U256::from(1_000))
        );
    }

    #[test]
    fn blob_base_fee_saturates() {
        let feed = L1BlobBaseFee::default();
        assert_eq!(feed.get(), 0);
        feed.set(7);
        assert_eq!(feed.clone().get(), 7);
        feed.set(u128::MAX);
        assert_eq!(feed.get(), u64::MAX);
    }
}
