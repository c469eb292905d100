//! Proofs verified by `alloy_trie`'s verifier, for present and absent keys.

use std::collections::BTreeMap;

use alloy_primitives::Bytes;
use alloy_trie::{Nibbles, proof::verify_proof};
use proptest::prelude::*;

use super::support::{build, key, value};
use crate::{EMPTY_ROOT_HASH, MemoryNodeStore, proof};

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn proofs_verify(
        entries in prop::collection::btree_map(key(), value(), 0..64),
        absent in prop::collection::vec(key(), 0..8),
    ) {
        let (root, store) = build(entries.iter().map(|(k, v)| (*k, Bytes::from(v.clone()))));
        for (key, value) in &entries {
            let nodes = proof(&store, root, key).expect("proof");
            verify_proof(root, Nibbles::unpack(key), Some(value.clone()), &nodes)
                .expect("inclusion proof verifies");
            // The proof does not prove another value.
            let mut wrong = value.clone();
            wrong.push(0);
            prop_assert!(verify_proof(root, Nibbles::unpack(key), Some(wrong), &nodes).is_err());
        }
        for key in absent.iter().filter(|key| !entries.contains_key(*key)) {
            let nodes = proof(&store, root, key).expect("proof");
            verify_proof(root, Nibbles::unpack(key), None, &nodes)
                .expect("exclusion proof verifies");
        }
    }
}

#[test]
fn empty_trie_proof_is_empty() {
    let store = MemoryNodeStore::new();
    let nodes = proof(&store, EMPTY_ROOT_HASH, &[5; 32]).expect("proof");
    assert!(nodes.is_empty());
    verify_proof(EMPTY_ROOT_HASH, Nibbles::unpack([5; 32]), None, &nodes).expect("verifies");
}

/// A trie whose every node but the root (an extension) is embedded in it.
#[test]
fn proof_of_tiny_trie() {
    let mut last_differs = [0; 32];
    last_differs[31] = 1;
    let entries: BTreeMap<[u8; 32], Vec<u8>> = [([0; 32], vec![1]), (last_differs, vec![2])]
        .into_iter()
        .collect();
    let (root, store) = build(entries.iter().map(|(k, v)| (*k, Bytes::from(v.clone()))));
    for (key, value) in &entries {
        let nodes = proof(&store, root, key).expect("proof");
        assert_eq!(nodes.len(), 1, "only the root is stored");
        verify_proof(root, Nibbles::unpack(key), Some(value.clone()), &nodes).expect("verifies");
    }
}
