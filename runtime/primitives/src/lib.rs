//! Keel's core data types: blocks, transactions, receipts and the account model.
//!
//! Everything here is plain data built on `alloy-consensus` and `alloy-primitives`, so that the
//! same types serve the node, the RPC layer and (later) the stateless prover guest. No I/O, no
//! async, no allocator tricks.
//!
//! - [`block`]: the sealed block Keel stores and serves.
//! - [`batch`]: what a batch proof attests ([`BatchOutput`]) and its commitment.
//! - [`state`]: the [`StateReader`] trait through which execution reads state, whatever backs it.
//! - [`chain`]: chain-wide constants and the [`ChainSpec`] that execution needs.
//! - [`plugins`]: plugin slots and identities, as blocks record them.

pub mod batch;
pub mod block;
pub mod chain;
pub mod plugins;
pub mod state;

pub use alloy_consensus::{
    Header, ReceiptEnvelope, Sealed, TxEnvelope, TxReceipt, transaction::Recovered,
};
pub use alloy_primitives::{Address, B256, Bytes, U256};
pub use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY, TrieAccount};
pub use batch::{BatchOutput, NO_DEPOSITS, NO_WITHDRAWALS};
pub use block::SealedBlock;
pub use chain::ChainSpec;
pub use plugins::{PluginId, PluginSlot};
pub use state::StateReader;
