//! Where trie nodes come from: the [`NodeReader`] trait, an in-memory store and a reader that
//! records what it served (the execution witness).

use std::{rc::Rc, sync::Arc, sync::Mutex};

use alloy_primitives::{
    B256, Bytes,
    map::{B256Map, B256Set},
};

use alloy_trie::Nibbles;

use crate::{TrieError, TrieResult};

/// The error a node store fails with.
pub type StoreError = Box<dyn core::error::Error + Send + Sync>;

/// The nodes a commit created: (keccak-256 of the RLP, RLP). Only nodes whose RLP is 32 bytes
/// or more, and the root, are listed; smaller nodes are embedded in their parent.
pub type TrieNodes = Vec<(B256, Bytes)>;

/// Reads trie nodes by their keccak hash.
///
/// The store is content addressed: `node(hash)` must return bytes whose keccak-256 is `hash`.
/// The trie trusts this and does not re-hash what it reads. A reader backed by untrusted data
/// (a witness) must be built by hashing every node it holds, as [`MemoryNodeStore::from_nodes`]
/// does.
pub trait NodeReader {
    /// The RLP of the node whose keccak-256 is `hash`, or `None` if the store does not have it.
    fn node(&self, hash: &B256) -> Result<Option<Bytes>, StoreError>;
}

impl<T: NodeReader + ?Sized> NodeReader for &T {
    fn node(&self, hash: &B256) -> Result<Option<Bytes>, StoreError> {
        (**self).node(hash)
    }
}

impl<T: NodeReader + ?Sized> NodeReader for &mut T {
    fn node(&self, hash: &B256) -> Result<Option<Bytes>, StoreError> {
        (**self).node(hash)
    }
}

impl<T: NodeReader + ?Sized> NodeReader for Box<T> {
    fn node(&self, hash: &B256) -> Result<Option<Bytes>, StoreError> {
        (**self).node(hash)
    }
}

impl<T: NodeReader + ?Sized> NodeReader for Rc<T> {
    fn node(&self, hash: &B256) -> Result<Option<Bytes>, StoreError> {
        (**self).node(hash)
    }
}

impl<T: NodeReader + ?Sized> NodeReader for Arc<T> {
    fn node(&self, hash: &B256) -> Result<Option<Bytes>, StoreError> {
        (**self).node(hash)
    }
}

/// Trie nodes held in a hash map: for tests, genesis, and the stateless side (a witness).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryNodeStore(B256Map<Bytes>);

impl MemoryNodeStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `nodes`, each keyed by its keccak-256 computed here: the way to load
    /// untrusted nodes such as a witness.
    pub fn from_nodes(nodes: impl IntoIterator<Item = Bytes>) -> Self {
        nodes
            .into_iter()
            .map(|rlp| (alloy_primitives::keccak256(&rlp), rlp))
            .collect()
    }

    /// Adds the nodes a commit produced.
    pub fn insert_nodes(&mut self, nodes: &TrieNodes) {
        self.0
            .extend(nodes.iter().map(|(hash, rlp)| (*hash, rlp.clone())));
    }

    /// Adds one node under `hash`, which the caller asserts is the keccak-256 of `rlp`.
    pub fn insert(&mut self, hash: B256, rlp: Bytes) -> Option<Bytes> {
        self.0.insert(hash, rlp)
    }

    /// Removes a node, returning it if it was there.
    pub fn remove(&mut self, hash: &B256) -> Option<Bytes> {
        self.0.remove(hash)
    }

    /// The node stored under `hash`.
    pub fn get(&self, hash: &B256) -> Option<&Bytes> {
        self.0.get(hash)
    }

    /// Whether a node is stored under `hash`.
    pub fn contains(&self, hash: &B256) -> bool {
        self.0.contains_key(hash)
    }

    /// The number of stored nodes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the store holds no node.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every stored node, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&B256, &Bytes)> {
        self.0.iter()
    }
}

impl NodeReader for MemoryNodeStore {
    fn node(&self, hash: &B256) -> Result<Option<Bytes>, StoreError> {
        Ok(self.0.get(hash).cloned())
    }
}

impl FromIterator<(B256, Bytes)> for MemoryNodeStore {
    fn from_iter<I: IntoIterator<Item = (B256, Bytes)>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl Extend<(B256, Bytes)> for MemoryNodeStore {
    fn extend<I: IntoIterator<Item = (B256, Bytes)>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

/// Wraps a reader and records every node it returns, once each, in the order first read.
///
/// What a block's state update read through it is exactly the set of nodes a stateless
/// re-execution needs (the execution witness). The record sits behind a [`Mutex`] so the reader
/// stays `Sync`; no thread is ever started.
#[derive(Debug)]
pub struct RecordingReader<R> {
    inner: R,
    recorded: Mutex<Recorded>,
}

#[derive(Debug, Default)]
struct Recorded {
    seen: B256Set,
    nodes: Vec<(B256, Bytes)>,
}

impl<R> RecordingReader<R> {
    /// Starts recording the nodes read through `inner`.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            recorded: Mutex::default(),
        }
    }

    /// The nodes returned since creation or the last call, in first-read order, each once; the
    /// record starts over empty.
    pub fn take_recorded(&self) -> Vec<(B256, Bytes)> {
        let mut recorded = self
            .recorded
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        core::mem::take(&mut *recorded).nodes
    }

    /// The wrapped reader.
    pub fn inner(&self) -> &R {
        &self.inner
    }

    /// Stops recording and returns the wrapped reader.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: NodeReader> NodeReader for RecordingReader<R> {
    fn node(&self, hash: &B256) -> Result<Option<Bytes>, StoreError> {
        let node = self.inner.node(hash)?;
        if let Some(rlp) = &node {
            let mut recorded = self
                .recorded
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if recorded.seen.insert(*hash) {
                recorded.nodes.push((*hash, rlp.clone()));
            }
        }
        Ok(node)
    }
}

/// Reads the node stored under `hash`, found at `path` (only computed for the error).
pub(crate) fn read_node(
    store: &(impl NodeReader + ?Sized),
    hash: B256,
    path: impl FnOnce() -> Nibbles,
) -> TrieResult<Bytes> {
    store
        .node(&hash)
        .map_err(TrieError::Store)?
        .ok_or_else(|| TrieError::MissingNode { hash, path: path() })
}
