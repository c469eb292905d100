//! What a [`RecordingReader`] records is enough to redo the same work without the store.

use alloy_primitives::{Bytes, keccak256};
use proptest::prelude::*;

use super::support::{build, key, value};
use crate::{MemoryNodeStore, NodeReader, RecordingReader, Trie};

/// Applies `writes` (empty value = remove) and reads `reads` on the trie at `root`; returns the
/// reads and the new root.
fn apply(
    store: &impl NodeReader,
    root: alloy_primitives::B256,
    writes: &[([u8; 32], Vec<u8>)],
    reads: &[[u8; 32]],
) -> (Vec<Option<Bytes>>, alloy_primitives::B256) {
    let mut trie = Trie::new(root);
    for (key, value) in writes {
        trie.insert(store, key, Bytes::from(value.clone()))
            .expect("write");
    }
    let got = reads
        .iter()
        .map(|key| trie.get(store, key).expect("read"))
        .collect();
    (got, trie.commit().0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn witness_replays(
        pre in prop::collection::btree_map(key(), value(), 1..96),
        writes in prop::collection::vec((any::<prop::sample::Index>(), key(), value(), 0u8..3), 0..48),
        reads in prop::collection::vec(key(), 0..8),
    ) {
        let (root, store) = build(pre.iter().map(|(k, v)| (*k, Bytes::from(v.clone()))));
        let existing: Vec<[u8; 32]> = pre.keys().copied().collect();
        // Writes to existing keys (updates and removals) and new ones.
        let writes: Vec<([u8; 32], Vec<u8>)> = writes
            .into_iter()
            .map(|(index, fresh, value, kind)| match kind {
                0 => (*index.get(&existing), Vec::new()),
                1 => (*index.get(&existing), value),
                _ => (fresh, value),
            })
            .collect();

        let recorder = RecordingReader::new(&store);
        let expected = apply(&recorder, root, &writes, &reads);
        let witness = recorder.take_recorded();
        prop_assert!(recorder.take_recorded().is_empty());
        for (hash, rlp) in &witness {
            prop_assert_eq!(*hash, keccak256(rlp));
        }

        let witness_store = MemoryNodeStore::from_nodes(witness.into_iter().map(|(_, rlp)| rlp));
        prop_assert_eq!(apply(&witness_store, root, &writes, &reads), expected);
    }
}
