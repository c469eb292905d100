//! A store missing nodes or holding corrupt ones gives errors, never panics or wrong answers.

use alloy_primitives::{B256, Bytes, keccak256};
use proptest::prelude::*;

use super::support::{build, commit_into, key, value};
use crate::{
    EMPTY_ROOT_HASH, MalformedReason, MemoryNodeStore, Trie, TrieError, get_at_root, proof,
};

/// 64 keys with 40-byte values: every leaf is stored on its own.
fn entries() -> Vec<([u8; 32], Bytes)> {
    (0u8..64)
        .map(|i| {
            let key = keccak256([i]).0;
            (key, Bytes::from(vec![i; 40]))
        })
        .collect()
}

#[test]
fn missing_node_is_reported_by_hash() {
    let entries = entries();
    let (root, store) = build(entries.iter().cloned());
    let (key, _) = &entries[7];
    let path = proof(&store, root, key).expect("proof");
    assert!(path.len() >= 2);

    for missing in &path {
        let hash = keccak256(missing);
        let mut store = store.clone();
        store.remove(&hash).expect("node was stored");

        let is_missing =
            |err: TrieError| matches!(err, TrieError::MissingNode { hash: h, .. } if h == hash);
        assert!(is_missing(
            Trie::new(root).get(&store, key).expect_err("get")
        ));
        assert!(is_missing(
            Trie::new(root).remove(&store, key).expect_err("remove")
        ));
        assert!(is_missing(
            Trie::new(root)
                .insert(&store, key, Bytes::from_static(b"x"))
                .expect_err("insert")
        ));
        assert!(is_missing(
            get_at_root(&store, root, key).expect_err("get_at_root")
        ));
        assert!(is_missing(proof(&store, root, key).expect_err("proof")));
    }
}

#[test]
fn missing_node_names_its_path() {
    let entries = entries();
    let (root, mut store) = build(entries.iter().cloned());
    let (key, _) = &entries[3];
    let path = proof(&store, root, key).expect("proof");
    let leaf = keccak256(path.last().expect("non-empty proof"));
    store.remove(&leaf);
    let Err(TrieError::MissingNode { hash, path: at }) = Trie::new(root).get(&store, key) else {
        panic!("expected a missing node");
    };
    assert_eq!(hash, leaf);
    assert!(crate::Nibbles::unpack(key).starts_with(&at));
    assert!(!at.is_empty());
}

/// Removing one of two keys under a branch merges the branch into the other, which must be
/// read from the store; if it is missing, the error names it and the trie is unchanged.
#[test]
fn collapse_reads_the_sibling_and_fails_cleanly() {
    let a = [0x10; 32];
    let b = [0x20; 32];
    let value = Bytes::from(vec![7; 40]);
    let (root, mut store) = build([(a, value.clone()), (b, value.clone())]);
    let sibling = proof(&store, root, &b)
        .expect("proof")
        .pop()
        .expect("leaf of b");
    let sibling_hash = keccak256(&sibling);
    store.remove(&sibling_hash);

    // Reading a is fine: b is not on its path.
    assert_eq!(
        get_at_root(&store, root, &a).expect("get a"),
        Some(value.clone())
    );

    let mut trie = Trie::new(root);
    let err = trie.remove(&store, &a).expect_err("sibling missing");
    assert!(matches!(err, TrieError::MissingNode { hash, .. } if hash == sibling_hash));
    // Nothing was removed.
    assert_eq!(trie.get(&store, &a).expect("get a"), Some(value.clone()));
    assert_eq!(trie.commit().0, root);

    // With the sibling back, the removal goes through and leaves b alone at the root.
    store.insert(sibling_hash, sibling);
    let mut trie = Trie::new(root);
    trie.remove(&store, &a).expect("remove");
    let (after, _) = commit_into(&mut trie, &mut store);
    assert_eq!(after, super::support::reference_root([(b, &value)]));
}

#[test]
fn corrupt_node_is_malformed() {
    let entries = entries();
    let (root, store) = build(entries.iter().cloned());
    let (key, _) = &entries[11];
    let path = proof(&store, root, key).expect("proof");
    let garbage: [&[u8]; 6] = [
        &[],
        &[0xc0],
        &[0x80],
        &[0xc3, 0x80, 0x80, 0x80],
        &[0xf8, 0xff, 0x01],
        b"definitely not a trie node at all, nope",
    ];
    for node in &path {
        let hash = keccak256(node);
        for bad in garbage {
            let mut store = store.clone();
            store.insert(hash, Bytes::copy_from_slice(bad));
            let is_malformed = |err: TrieError| matches!(err, TrieError::MalformedNode { hash: h, .. } if h == hash);
            assert!(is_malformed(
                Trie::new(root).get(&store, key).expect_err("get")
            ));
            assert!(is_malformed(
                Trie::new(root).remove(&store, key).expect_err("remove")
            ));
            assert!(is_malformed(
                get_at_root(&store, root, key).expect_err("get_at_root")
            ));
        }
    }
}

#[test]
fn malformed_reason_is_reported() {
    let hash = B256::repeat_byte(1);
    let store: MemoryNodeStore = [(hash, Bytes::from_static(&[0xc0]))].into_iter().collect();
    let err = Trie::new(hash)
        .get(&store, &[0; 32])
        .expect_err("malformed");
    assert!(matches!(
        err,
        TrieError::MalformedNode {
            reason: MalformedReason::ItemCount(0),
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        format!("malformed trie node {hash}: node has 0 items, expected 2 or 17")
    );
}

#[test]
fn store_errors_pass_through() {
    struct Failing;
    impl crate::NodeReader for Failing {
        fn node(&self, _: &B256) -> Result<Option<Bytes>, crate::StoreError> {
            Err("disk on fire".into())
        }
    }
    let err = Trie::new(B256::repeat_byte(1))
        .get(&Failing, &[0; 32])
        .expect_err("store error");
    assert!(matches!(err, TrieError::Store(_)));
    assert_eq!(err.to_string(), "node store: disk on fire");
    // The empty trie reads nothing.
    assert_eq!(
        Trie::new(EMPTY_ROOT_HASH)
            .get(&Failing, &[0; 32])
            .expect("empty"),
        None
    );
    assert_eq!(
        get_at_root(&Failing, EMPTY_ROOT_HASH, &[0; 32]).expect("empty"),
        None
    );
}

#[test]
fn long_keys_are_rejected() {
    let store = MemoryNodeStore::new();
    let mut trie = Trie::new(EMPTY_ROOT_HASH);
    let key = [0; 33];
    let too_long = |err: TrieError| matches!(err, TrieError::KeyTooLong { len: 33 });
    assert!(too_long(
        trie.insert(&store, &key, Bytes::from_static(b"x"))
            .expect_err("insert")
    ));
    assert!(too_long(trie.get(&store, &key).expect_err("get")));
    assert!(too_long(trie.remove(&store, &key).expect_err("remove")));
    assert!(too_long(
        get_at_root(&store, EMPTY_ROOT_HASH, &key).expect_err("get_at_root")
    ));
}

/// Every operation on every key over a store with one byte of one node changed: errors or
/// answers, never a panic.
fn poke(entries: &[([u8; 32], Vec<u8>)], victim: usize, offset: usize, byte: u8, other: [u8; 32]) {
    let mut store = MemoryNodeStore::new();
    let mut trie = Trie::new(EMPTY_ROOT_HASH);
    for (key, value) in entries {
        trie.insert(&store, key, Bytes::from(value.clone()))
            .expect("insert");
    }
    let (root, nodes) = commit_into(&mut trie, &mut store);
    let (hash, rlp) = &nodes[victim % nodes.len()];
    let mut bad = rlp.to_vec();
    let at = offset % bad.len();
    bad[at] ^= byte.max(1);
    store.insert(*hash, bad.into());

    let keys = entries.iter().map(|(key, _)| *key).chain([other]);
    for key in keys {
        let _ = Trie::new(root).get(&store, &key);
        let _ = get_at_root(&store, root, &key);
        let _ = proof(&store, root, &key);
        let mut trie = Trie::new(root);
        if trie.remove(&store, &key).is_ok() {
            let _ = trie.commit();
        }
        let mut trie = Trie::new(root);
        if trie
            .insert(&store, &key, Bytes::from_static(b"new"))
            .is_ok()
        {
            let _ = trie.commit();
        }
    }
}

proptest! {
    #[test]
    fn corrupt_stores_never_panic(
        entries in prop::collection::vec((key(), value()), 1..40),
        victim in any::<usize>(),
        offset in any::<usize>(),
        byte in any::<u8>(),
        other in key(),
    ) {
        poke(&entries, victim, offset, byte, other);
    }

    #[test]
    fn arbitrary_root_node_never_panics(
        rlp in prop::collection::vec(any::<u8>(), 0..600),
        key in key(),
    ) {
        let hash = B256::repeat_byte(0x42);
        let store: MemoryNodeStore = [(hash, Bytes::from(rlp))].into_iter().collect();
        let _ = Trie::new(hash).get(&store, &key);
        let _ = get_at_root(&store, hash, &key);
        let _ = proof(&store, hash, &key);
        let mut trie = Trie::new(hash);
        if trie.remove(&store, &key).is_ok() {
            let _ = trie.commit();
        }
        let mut trie = Trie::new(hash);
        if trie.insert(&store, &key, Bytes::from_static(b"v")).is_ok() {
            let _ = trie.commit();
        }
    }
}
