//! Random inserts, removals and commits, checked against `HashBuilder` and read back.

use std::collections::BTreeMap;

use alloy_primitives::Bytes;
use proptest::prelude::*;

use super::support::{commit_into, key, reference_root, value};
use crate::{EMPTY_ROOT_HASH, MemoryNodeStore, Trie, get_at_root};

#[derive(Clone, Debug)]
enum Op {
    Insert(usize, Vec<u8>),
    Remove(usize),
    Get(usize),
    /// Commit and go on with the same trie.
    Commit,
    /// Commit and go on with a fresh trie over the store.
    Reopen,
}

fn op(keys: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..keys, value()).prop_map(|(key, value)| Op::Insert(key, value)),
        3 => (0..keys).prop_map(Op::Remove),
        1 => (0..keys).prop_map(Op::Get),
        1 => Just(Op::Commit),
        1 => Just(Op::Reopen),
    ]
}

fn case() -> impl Strategy<Value = (Vec<[u8; 32]>, Vec<Op>)> {
    prop::collection::vec(key(), 1..48).prop_flat_map(|keys| {
        let ops = prop::collection::vec(op(keys.len()), 0..160);
        (Just(keys), ops)
    })
}

fn run(keys: &[[u8; 32]], ops: &[Op]) {
    let mut store = MemoryNodeStore::new();
    let mut trie = Trie::new(EMPTY_ROOT_HASH);
    let mut model: BTreeMap<[u8; 32], Vec<u8>> = BTreeMap::new();
    for op in ops {
        match op {
            Op::Insert(index, value) => {
                let key = keys[*index];
                trie.insert(&store, &key, Bytes::from(value.clone()))
                    .expect("insert");
                model.insert(key, value.clone());
            }
            Op::Remove(index) => {
                let key = keys[*index];
                trie.remove(&store, &key).expect("remove");
                model.remove(&key);
            }
            Op::Get(index) => {
                let key = keys[*index];
                let got = trie.get(&store, &key).expect("get");
                assert_eq!(
                    got.as_ref().map(|v| &v[..]),
                    model.get(&key).map(Vec::as_slice)
                );
            }
            Op::Commit => {
                let (root, _) = commit_into(&mut trie, &mut store);
                assert_eq!(root, reference_root(&model));
                // Nothing changed since: same root, no node.
                assert_eq!(trie.commit(), (root, Vec::new()));
            }
            Op::Reopen => {
                let (root, _) = commit_into(&mut trie, &mut store);
                assert_eq!(root, reference_root(&model));
                trie = Trie::new(root);
            }
        }
    }

    let (root, _) = commit_into(&mut trie, &mut store);
    let expected = if model.is_empty() {
        EMPTY_ROOT_HASH
    } else {
        reference_root(&model)
    };
    assert_eq!(root, expected);

    // Everything reads back from the store alone, through a fresh trie and without one.
    let mut fresh = Trie::new(root);
    for key in keys {
        let want = model.get(key).map(Vec::as_slice);
        assert_eq!(
            fresh
                .get(&store, key)
                .expect("fresh get")
                .as_ref()
                .map(|v| &v[..]),
            want
        );
        assert_eq!(
            get_at_root(&store, root, key)
                .expect("get_at_root")
                .as_ref()
                .map(|v| &v[..]),
            want
        );
    }
    // Reading changed nothing.
    assert_eq!(fresh.commit(), (root, Vec::new()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn matches_hash_builder((keys, ops) in case()) {
        run(&keys, &ops);
    }

    /// Insert everything, then remove a random subset in random order.
    #[test]
    fn insert_then_remove_subset(
        entries in prop::collection::btree_map(key(), value(), 0..96),
        removals in prop::collection::vec(any::<prop::sample::Index>(), 0..96),
        reopen in any::<bool>(),
    ) {
        let keys: Vec<[u8; 32]> = entries.keys().copied().collect();
        let mut ops: Vec<Op> = entries
            .values()
            .enumerate()
            .map(|(index, value)| Op::Insert(index, value.clone()))
            .collect();
        if reopen {
            ops.push(Op::Reopen);
        }
        if !keys.is_empty() {
            ops.extend(removals.iter().map(|index| Op::Remove(index.index(keys.len()))));
        }
        run(&keys, &ops);
    }
}

#[test]
fn removing_everything_gives_the_empty_root() {
    let keys: Vec<[u8; 32]> = (0u8..40).map(|i| [i.wrapping_mul(37); 32]).collect();
    let mut store = MemoryNodeStore::new();
    let mut trie = Trie::new(EMPTY_ROOT_HASH);
    for key in &keys {
        trie.insert(
            &store,
            key,
            Bytes::from_static(b"some value that is long enough!!"),
        )
        .expect("insert");
    }
    let (root, _) = commit_into(&mut trie, &mut store);
    assert_ne!(root, EMPTY_ROOT_HASH);
    let mut trie = Trie::new(root);
    for key in keys.iter().rev() {
        trie.remove(&store, key).expect("remove");
    }
    assert_eq!(trie.commit(), (EMPTY_ROOT_HASH, Vec::new()));
}

#[test]
fn empty_value_removes() {
    let mut store = MemoryNodeStore::new();
    let mut trie = Trie::new(EMPTY_ROOT_HASH);
    trie.insert(&store, &[1; 32], Bytes::from_static(b"a"))
        .expect("insert");
    trie.insert(&store, &[2; 32], Bytes::from_static(b"b"))
        .expect("insert");
    let (root, _) = commit_into(&mut trie, &mut store);
    trie.insert(&store, &[2; 32], Bytes::new())
        .expect("insert empty");
    assert_eq!(trie.get(&store, &[2; 32]).expect("get"), None);
    let (after, _) = commit_into(&mut trie, &mut store);
    assert_ne!(after, root);
    assert_eq!(after, reference_root([([1u8; 32], b"a")]));
}
