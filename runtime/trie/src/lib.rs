//! Ethereum Merkle-Patricia tries for Keel, updated incrementally over a content-addressed node
//! store.
//!
//! # Design
//!
//! Every trie node whose RLP is 32 bytes or more (and every root) lives in a node store under
//! its keccak-256, read through [`NodeReader`]; smaller nodes are embedded in their parent, as
//! Ethereum requires. Node encoding follows the Yellow Paper: leaves and extensions hold a
//! hex-prefix path, branches 16 child references and a value.
//!
//! - **Lazy loading.** A [`Trie`] starts as just a root hash. `get`, `insert` and `remove` load
//!   only the nodes on the paths they walk (a removal that merges a branch into its last child
//!   also loads that child), so a block touching 15,000 accounts loads those paths, never the
//!   whole state.
//! - **Commit.** Changes stay in memory until [`Trie::commit`], which encodes the changed nodes
//!   bottom up and returns the root and the new nodes ([`TrieNodes`]) for the caller to store.
//!   Clean nodes keep their reference cached and untouched subtrees stay hash references, so a
//!   commit costs one hash per changed node.
//! - **Nothing is deleted here.** A commit only adds nodes; the nodes of older roots stay in
//!   the store, so [`get_at_root`], [`proof`] and the [`state`] readers serve historical state
//!   at any past root the store kept (RPC at old blocks) without a separate history. A store
//!   that prunes old state asks each commit for the nodes it made stale
//!   ([`Trie::reporting_stale`], [`StaleNodes`]) and counts references per node, since nodes
//!   are shared wherever their content is equal.
//! - **Witnesses.** All reads go through the [`NodeReader`], so wrapping it in a
//!   [`RecordingReader`] captures exactly the nodes a block needs: the witness a stateless
//!   prover replays from a [`MemoryNodeStore`].
//!
//! The crate does no I/O, starts no threads and reads no clock, so it also builds for a zkVM
//! guest. Anything wrong in the store is an error value ([`TrieError`]), never a panic.
//!
//! [`state`] builds the Ethereum state on top: the account trie, one storage trie per account,
//! and [`apply_state_changes`] to apply a block's changes to both.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod error;
mod lookup;
mod node;
mod path;
mod proof;
mod raw;
pub mod state;
mod store;
mod trie;

#[cfg(test)]
mod tests;

pub use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY, Nibbles, TrieAccount};
pub use error::{MalformedReason, TrieError, TrieResult};
pub use lookup::get_at_root;
pub use proof::proof;
pub use state::{
    AccountChange, AccountInfo, GenesisAccount, StaleNodes, StateRootUpdate, account_at_root,
    apply_state_changes, genesis_state, storage_at_root,
};
pub use store::{MemoryNodeStore, NodeReader, RecordingReader, StoreError, TrieNodes};
pub use trie::Trie;
