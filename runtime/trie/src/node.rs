//! The in-memory trie nodes a [`crate::Trie`] is made of: decoding them from stored RLP and
//! encoding (committing) them back, bottom up.

use alloy_primitives::{B256, Bytes, keccak256};
use alloy_rlp::{EMPTY_STRING_CODE, Encodable, Header};
use alloy_trie::{Nibbles, nodes::RlpNode};

use crate::{
    TrieNodes,
    error::{TrieError, TrieResult},
    path::{compact_rlp_len, encode_compact},
    raw::{RawChild, RawNode},
};

/// One node of a trie being updated.
///
/// Loaded nodes carry the reference their parent holds to them (`cache`); a mutation clears it
/// on the node and on every node above, so the next commit re-encodes exactly the dirty nodes
/// and reuses the cached references of everything else.
#[derive(Debug, Default)]
pub(crate) enum Node {
    /// No node: the empty trie, or an empty branch slot.
    #[default]
    Empty,
    /// A node stored under this hash and not loaded yet.
    Hash(B256),
    /// A leaf.
    Leaf(Box<Leaf>),
    /// An extension.
    Extension(Box<Extension>),
    /// A branch.
    Branch(Box<Branch>),
}

/// A leaf: the rest of a key and its value.
#[derive(Debug)]
pub(crate) struct Leaf {
    pub(crate) path: Nibbles,
    pub(crate) value: Bytes,
    pub(crate) cache: Option<RlpNode>,
}

/// An extension: a path shared by every key below, and the branch it leads to.
#[derive(Debug)]
pub(crate) struct Extension {
    pub(crate) path: Nibbles,
    pub(crate) child: Node,
    pub(crate) cache: Option<RlpNode>,
}

/// A branch: one child per next nibble, and the value of a key ending here.
#[derive(Debug, Default)]
pub(crate) struct Branch {
    pub(crate) children: [Node; 16],
    pub(crate) value: Option<Bytes>,
    pub(crate) cache: Option<RlpNode>,
}

impl Node {
    /// A new (dirty) leaf.
    pub(crate) fn leaf(path: Nibbles, value: Bytes) -> Self {
        Self::Leaf(Box::new(Leaf {
            path,
            value,
            cache: None,
        }))
    }

    /// `child` under a new extension with `path`, or `child` itself if `path` is empty.
    pub(crate) fn extension_over(path: Nibbles, child: Self) -> Self {
        if path.is_empty() {
            child
        } else {
            Self::Extension(Box::new(Extension {
                path,
                child,
                cache: None,
            }))
        }
    }

    /// Whether this is a loaded node changed since it was last encoded.
    pub(crate) fn is_dirty(&self) -> bool {
        match self {
            Self::Empty | Self::Hash(_) => false,
            Self::Leaf(leaf) => leaf.cache.is_none(),
            Self::Extension(ext) => ext.cache.is_none(),
            Self::Branch(branch) => branch.cache.is_none(),
        }
    }

    /// Appends the hash of every clean node of this subtree that is stored on its own (its
    /// reference is a hash), however deep: the loaded nodes still in place.
    pub(crate) fn clean_stored(&self, out: &mut Vec<B256>) {
        let cache = match self {
            Self::Empty | Self::Hash(_) => return,
            Self::Leaf(leaf) => &leaf.cache,
            Self::Extension(ext) => &ext.cache,
            Self::Branch(branch) => &branch.cache,
        };
        if let Some(hash) = cache.as_ref().and_then(RlpNode::as_hash) {
            out.push(hash);
        }
        match self {
            Self::Extension(ext) => ext.child.clean_stored(out),
            Self::Branch(branch) => branch
                .children
                .iter()
                .for_each(|child| child.clean_stored(out)),
            _ => {}
        }
    }

    /// Decodes the node stored under `hash`, with every embedded child decoded too and every
    /// hashed child left as [`Node::Hash`]. Values share `rlp`'s buffer.
    pub(crate) fn decode(rlp: &Bytes, hash: B256) -> TrieResult<Self> {
        let reference = match RlpNode::from_raw(rlp) {
            Some(short) if rlp.len() < 32 => short,
            _ => RlpNode::word_rlp(&hash),
        };
        decode_in(rlp, rlp, reference, hash)
    }

    /// Encodes every dirty node of this subtree bottom up, appending those of 32 bytes or more
    /// to `out`, and returns the reference a parent holds to this node: the empty reference
    /// for [`Node::Empty`], the RLP itself if shorter than 32 bytes, else the hash.
    pub(crate) fn commit(&mut self, out: &mut TrieNodes, buf: &mut Vec<u8>) -> RlpNode {
        match self {
            Self::Empty => RlpNode::default(),
            Self::Hash(hash) => RlpNode::word_rlp(hash),
            Self::Leaf(leaf) => {
                if let Some(cached) = &leaf.cache {
                    return cached.clone();
                }
                let value = &leaf.value[..];
                buf.clear();
                let payload_length = compact_rlp_len(leaf.path.len()) + value.length();
                Header {
                    list: true,
                    payload_length,
                }
                .encode(buf);
                encode_compact(&leaf.path, true, buf);
                value.encode(buf);
                let reference = reference(buf, out);
                leaf.cache = Some(reference.clone());
                reference
            }
            Self::Extension(ext) => {
                if let Some(cached) = &ext.cache {
                    return cached.clone();
                }
                let child = ext.child.commit(out, buf);
                buf.clear();
                let payload_length = compact_rlp_len(ext.path.len()) + child_len(&child);
                Header {
                    list: true,
                    payload_length,
                }
                .encode(buf);
                encode_compact(&ext.path, false, buf);
                put_child(&child, buf);
                let reference = reference(buf, out);
                ext.cache = Some(reference.clone());
                reference
            }
            Self::Branch(branch) => {
                if let Some(cached) = &branch.cache {
                    return cached.clone();
                }
                let mut children: [RlpNode; 16] = Default::default();
                for (reference, child) in children.iter_mut().zip(&mut branch.children) {
                    *reference = child.commit(out, buf);
                }
                let value = branch.value.as_deref();
                buf.clear();
                let payload_length = children.iter().map(child_len).sum::<usize>()
                    + value.map_or(1, Encodable::length);
                Header {
                    list: true,
                    payload_length,
                }
                .encode(buf);
                for child in &children {
                    put_child(child, buf);
                }
                match value {
                    Some(value) => value.encode(buf),
                    None => buf.push(EMPTY_STRING_CODE),
                }
                let reference = reference(buf, out);
                branch.cache = Some(reference.clone());
                reference
            }
        }
    }
}

impl Branch {
    /// Puts a new leaf for the key whose remaining path here is `path`: as this branch's value
    /// if the path ends here, else as a child.
    pub(crate) fn place(&mut self, path: Nibbles, value: Bytes) {
        match path.first() {
            None => self.value = Some(value),
            Some(nibble) => {
                self.children[usize::from(nibble)] = Node::leaf(path.slice(1..), value);
            }
        }
    }

    /// The index of the only non-empty child, if exactly one child is non-empty, not counting
    /// the one at `except`.
    pub(crate) fn only_child(&self, except: Option<u8>) -> Option<usize> {
        let mut found = None;
        for (index, child) in self.children.iter().enumerate() {
            if matches!(child, Node::Empty) || except.is_some_and(|e| usize::from(e) == index) {
                continue;
            }
            if found.is_some() {
                return None;
            }
            found = Some(index);
        }
        found
    }
}

/// The reference to a node encoded as `rlp`; nodes of 32 bytes or more are hashed and added to
/// `out`.
fn reference(rlp: &[u8], out: &mut TrieNodes) -> RlpNode {
    if rlp.len() < 32
        && let Some(short) = RlpNode::from_raw(rlp)
    {
        return short;
    }
    let hash = keccak256(rlp);
    out.push((hash, Bytes::copy_from_slice(rlp)));
    RlpNode::word_rlp(&hash)
}

/// The encoded length of a child reference (an empty one is the empty string).
fn child_len(child: &RlpNode) -> usize {
    child.len().max(1)
}

/// Writes a child reference (an empty one as the empty string).
fn put_child(child: &RlpNode, buf: &mut Vec<u8>) {
    if child.is_empty() {
        buf.push(EMPTY_STRING_CODE);
    } else {
        buf.extend_from_slice(child);
    }
}

/// Decodes `rlp` (a part of `stored`, the node stored under `hash`) into a node whose parent
/// refers to it as `reference`.
fn decode_in(stored: &Bytes, rlp: &[u8], reference: RlpNode, hash: B256) -> TrieResult<Node> {
    let malformed = |reason| TrieError::MalformedNode { hash, reason };
    let node = match RawNode::decode(rlp).map_err(malformed)? {
        RawNode::Leaf { path, value } => Node::Leaf(Box::new(Leaf {
            path,
            value: stored.slice_ref(value),
            cache: Some(reference),
        })),
        RawNode::Extension { path, child } => Node::Extension(Box::new(Extension {
            path,
            child: decode_child(stored, child, hash)?,
            cache: Some(reference),
        })),
        RawNode::Branch { children, value } => {
            let mut branch = Box::new(Branch {
                value: (!value.is_empty()).then(|| stored.slice_ref(value)),
                cache: Some(reference),
                ..Branch::default()
            });
            for (slot, child) in branch.children.iter_mut().zip(children) {
                *slot = decode_child(stored, child, hash)?;
            }
            Node::Branch(branch)
        }
    };
    Ok(node)
}

/// The node a child reference stands for: embedded children are decoded right away.
fn decode_child(stored: &Bytes, child: RawChild<'_>, hash: B256) -> TrieResult<Node> {
    match child {
        RawChild::Empty => Ok(Node::Empty),
        RawChild::Hash(child) => Ok(Node::Hash(child)),
        RawChild::Inline(rlp) => {
            // `RawNode::decode` only yields embedded children shorter than 32 bytes.
            let reference = RlpNode::from_raw(rlp).ok_or(TrieError::MalformedNode {
                hash,
                reason: crate::error::MalformedReason::InvalidChild,
            })?;
            decode_in(stored, rlp, reference, hash)
        }
    }
}
