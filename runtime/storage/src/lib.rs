//! Keel's chain database on redb.
//!
//! One redb file holds the canonical chain (headers, bodies, receipts, a transaction index),
//! the flat latest state (accounts, storage, code) and the trie nodes of the states it keeps. A sealed
//! block is written in **one** write transaction ([`Storage::commit_block`]), so a crash at any
//! moment leaves the database at the previous or the new block, never between.
//!
//! Readers take a [`Snapshot`] (a redb read transaction): a consistent view that later commits
//! never change. It answers chain queries, serves the latest state through the flat tables
//! ([`keel_primitives::StateReader`]) and serves trie nodes ([`keel_trie::NodeReader`]).
//! [`HistoricalState`] reads a past block's state through the trie alone, for every block whose
//! state is kept: all of them on an archive node, the last ones on a full node
//! ([`Storage::prune_state`], see `pruning.rs`).
//!
//! Every block also records what it overwrote in the flat state (its change set), so the chain
//! can be unwound to an earlier block ([`Storage::unwind_to`]) when L1 reorganises a commit a
//! follower had applied.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod batches;
mod codec;
mod deposits;
mod error;
mod historical;
mod pieces;
mod plugins;
mod pruning;
mod settlement;
mod snapshot;
mod storage;
mod tables;
mod unwind;
mod value;

pub use batches::BlockWitness;
pub use deposits::L1Checkpoint;
pub use error::{StorageError, StorageResult};
pub use historical::HistoricalState;
pub use pruning::PrunedState;
pub use settlement::{BatchCommit, L1Progress, SettlementLag};
pub use snapshot::{DumpedAccount, Snapshot, TxLocation};
pub use storage::{BlockWrite, GenesisWrite, StateHistory, Storage, TableSize};
pub use tables::SCHEMA_VERSION;
pub use unwind::{ChangeSet, PriorAccount, PriorSlot, Reverted};
pub use value::{Encoded, Rlp, Stored};

#[cfg(test)]
mod tests;
