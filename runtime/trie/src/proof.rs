//! Merkle proofs of inclusion or exclusion (`eth_getProof`, EIP-1186).

use alloy_primitives::{B256, Bytes};

use crate::{error::TrieResult, lookup::walk, path::key_nibbles, store::NodeReader};

/// The Merkle proof for `key` (raw bytes, at most 32) in the trie with root `root`: the RLP of
/// every stored node from the root down the key's path, as in `eth_getProof` (EIP-1186).
///
/// Embedded nodes (shorter than 32 bytes) are inside their parent and not listed. For an absent
/// key the proof ends at the node that shows the absence; for the empty trie it is empty.
pub fn proof(store: &(impl NodeReader + ?Sized), root: B256, key: &[u8]) -> TrieResult<Vec<Bytes>> {
    let key = key_nibbles(key)?;
    let mut nodes = Vec::new();
    walk(store, root, &key, |node| nodes.push(node.clone()))?;
    Ok(nodes)
}
