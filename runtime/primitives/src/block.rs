//! Blocks as Keel seals, stores and serves them.

use alloy_consensus::{Header, Sealed};
use alloy_primitives::{Address, B256};

use crate::KeelTx;

/// A block whose header hash has been computed, with the senders recovered at execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedBlock {
    /// The header and its hash.
    pub header: Sealed<Header>,
    /// The transactions, in execution order.
    pub transactions: Vec<KeelTx>,
    /// `senders[i]` signed `transactions[i]` (for a deposit: its L1 sender); recovered once at
    /// admission so storage and RPC never repeat the elliptic-curve work.
    pub senders: Vec<Address>,
    /// The L1 data fee its transactions paid.
    pub data_fee: crate::DataFee,
}

impl SealedBlock {
    /// The block hash.
    pub fn hash(&self) -> B256 {
        self.header.hash()
    }

    /// The block number.
    pub fn number(&self) -> u64 {
        self.header.number
    }
}
