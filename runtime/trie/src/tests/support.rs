//! Helpers shared by the tests.

use std::collections::BTreeMap;

use alloy_primitives::{B256, Bytes, keccak256};
use alloy_trie::{HashBuilder, Nibbles};
use proptest::prelude::*;

use crate::{MemoryNodeStore, Trie, TrieNodes};

/// The root `HashBuilder` computes for `entries` (keys of equal length, so none is a prefix of
/// another).
pub(crate) fn reference_root<K: AsRef<[u8]>, V: AsRef<[u8]>>(
    entries: impl IntoIterator<Item = (K, V)>,
) -> B256 {
    let sorted: BTreeMap<Vec<u8>, Vec<u8>> = entries
        .into_iter()
        .map(|(key, value)| (key.as_ref().to_vec(), value.as_ref().to_vec()))
        .collect();
    let mut builder = HashBuilder::default();
    for (key, value) in &sorted {
        builder.add_leaf(Nibbles::unpack(key), value);
    }
    builder.root()
}

/// Commits `trie`, checks the nodes it returned are keyed by their hash, and stores them.
pub(crate) fn commit_into(trie: &mut Trie, store: &mut MemoryNodeStore) -> (B256, TrieNodes) {
    let (root, nodes) = trie.commit();
    for (hash, rlp) in &nodes {
        assert_eq!(*hash, keccak256(rlp), "node stored under the wrong hash");
    }
    store.insert_nodes(&nodes);
    (root, nodes)
}

/// A trie holding `entries`, committed into a new store.
pub(crate) fn build<K: AsRef<[u8]>>(
    entries: impl IntoIterator<Item = (K, Bytes)>,
) -> (B256, MemoryNodeStore) {
    let mut store = MemoryNodeStore::new();
    let mut trie = Trie::new(crate::EMPTY_ROOT_HASH);
    for (key, value) in entries {
        trie.insert(&store, key.as_ref(), value)
            .expect("in-memory insert");
    }
    let (root, _) = commit_into(&mut trie, &mut store);
    (root, store)
}

/// 32-byte keys, often sharing long prefixes (so extensions and deep branches appear).
pub(crate) fn key() -> impl Strategy<Value = [u8; 32]> {
    prop_oneof![
        any::<[u8; 32]>(),
        prop::array::uniform32(prop_oneof![4 => 0u8..2, 1 => any::<u8>()]),
    ]
}

/// Non-empty values, short ones included so that some nodes are embedded in their parent.
pub(crate) fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 1..4),
        prop::collection::vec(any::<u8>(), 1..48)
    ]
}
