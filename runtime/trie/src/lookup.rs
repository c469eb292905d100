//! Reading one key straight from the store at any root, without building a [`crate::Trie`].

use alloy_primitives::{B256, Bytes};
use alloy_trie::{EMPTY_ROOT_HASH, Nibbles};

use crate::{
    error::{TrieError, TrieResult},
    path::key_nibbles,
    raw::{RawChild, RawNode},
    store::{NodeReader, read_node},
};

/// The value under `key` (raw bytes, at most 32) in the trie with root `root`.
///
/// Reads only the nodes on the key's path and keeps nothing, so it serves historical state at
/// any root whose nodes are in the store (nodes are never pruned).
pub fn get_at_root(
    store: &(impl NodeReader + ?Sized),
    root: B256,
    key: &[u8],
) -> TrieResult<Option<Bytes>> {
    walk(store, root, &key_nibbles(key)?, |_| {})
}

/// Walks from `root` towards `key`, handing every stored node on the way to `visit` (embedded
/// nodes are part of their parent), and returns the value under `key`.
pub(crate) fn walk(
    store: &(impl NodeReader + ?Sized),
    root: B256,
    key: &Nibbles,
    mut visit: impl FnMut(&Bytes),
) -> TrieResult<Option<Bytes>> {
    if root == EMPTY_ROOT_HASH {
        return Ok(None);
    }
    let mut hash = root;
    let mut depth = 0;
    loop {
        let stored = read_node(store, hash, || key.slice(..depth))?;
        visit(&stored);
        let mut rlp: &[u8] = &stored;
        hash = loop {
            let node =
                RawNode::decode(rlp).map_err(|reason| TrieError::MalformedNode { hash, reason })?;
            let child = match node {
                RawNode::Leaf { path, value } => {
                    let found = path == key.slice(depth..);
                    return Ok(found.then(|| stored.slice_ref(value)));
                }
                RawNode::Extension { path, child } => {
                    if !key.slice(depth..).starts_with(&path) {
                        return Ok(None);
                    }
                    depth += path.len();
                    child
                }
                RawNode::Branch { children, value } => {
                    let Some(nibble) = key.get(depth) else {
                        return Ok((!value.is_empty()).then(|| stored.slice_ref(value)));
                    };
                    depth += 1;
                    children[usize::from(nibble)]
                }
            };
            match child {
                RawChild::Empty => return Ok(None),
                RawChild::Hash(child) => break child,
                RawChild::Inline(embedded) => rlp = embedded,
            }
        };
    }
}
