//! A transaction as the pool holds it.

use std::time::Instant;

use alloy_consensus::{Transaction, TxEnvelope};
use alloy_primitives::{Address, B256, U256};

/// A validated transaction with what ordering needs precomputed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PooledTx {
    /// The signed transaction.
    pub tx: TxEnvelope,
    /// Recovered signer.
    pub sender: Address,
    /// Transaction hash.
    pub hash: B256,
    /// Arrival order, for first-come tie breaks.
    pub arrival: u64,
    /// Encoded size in bytes.
    pub encoded_len: usize,
    /// When the pool took it (queued transactions expire).
    pub received: Instant,
    /// The most it can cost its sender: gas limit × fee cap + value + the L1 data fee when it
    /// was pooled.
    pub max_cost: U256,
}

impl PooledTx {
    /// Sender nonce.
    pub fn nonce(&self) -> u64 {
        self.tx.nonce()
    }

    /// Fee cap (legacy gas price or EIP-1559 max fee).
    pub fn max_fee(&self) -> u128 {
        self.tx.max_fee_per_gas()
    }

    /// Priority-fee cap (legacy: the gas price).
    pub fn max_priority_fee(&self) -> u128 {
        self.tx
            .max_priority_fee_per_gas()
            .unwrap_or_else(|| self.tx.max_fee_per_gas())
    }

    /// The tip per gas the block producer would receive at `base_fee`, or `None` if the fee cap
    /// is below the base fee (not executable now).
    pub fn effective_tip(&self, base_fee: u64) -> Option<u128> {
        let base_fee = u128::from(base_fee);
        let max_fee = self.max_fee();
        (max_fee >= base_fee).then(|| (max_fee - base_fee).min(self.max_priority_fee()))
    }
}
