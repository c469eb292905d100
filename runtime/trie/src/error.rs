//! Everything that can go wrong while reading or updating a trie.

use alloy_primitives::{Address, B256, U256};
use alloy_trie::Nibbles;

use crate::store::StoreError;

/// The result of a trie operation.
pub type TrieResult<T> = Result<T, TrieError>;

/// Why a trie operation failed.
///
/// Every failure comes from the node store (a missing, unreadable or corrupt node) or from a key
/// the trie cannot hold; a well-formed store never produces any of them for 32-byte keys.
#[derive(Debug, thiserror::Error)]
pub enum TrieError {
    /// A node referenced by hash is not in the store. For the stateless side this means the
    /// witness is incomplete.
    #[error("missing trie node {hash} at path {path:?}")]
    MissingNode {
        /// The hash the parent node (or the root) refers to.
        hash: B256,
        /// The key nibbles walked from the root to reach the node.
        path: Nibbles,
    },
    /// A stored node is not a valid trie node.
    #[error("malformed trie node {hash}: {reason}")]
    MalformedNode {
        /// The hash of the stored node (the one containing the bad data, for inline nodes).
        hash: B256,
        /// What is wrong with it.
        reason: MalformedReason,
    },
    /// The paths from the root down to a node add up to more than 64 nibbles, which no key the
    /// trie accepts can have: the stored nodes are inconsistent.
    #[error("trie path longer than 64 nibbles below {prefix:?}")]
    PathTooLong {
        /// The key nibbles walked from the root to the offending node.
        prefix: Nibbles,
    },
    /// The key is longer than the 32 bytes a trie path can hold.
    #[error("trie key of {len} bytes is longer than 32 bytes")]
    KeyTooLong {
        /// The key's length in bytes.
        len: usize,
    },
    /// An account leaf in the state trie is not a valid RLP `TrieAccount`.
    #[error("malformed account leaf for {address}")]
    MalformedAccount {
        /// The account whose leaf is bad.
        address: Address,
        /// The decoding failure.
        source: alloy_rlp::Error,
    },
    /// A storage leaf is not a valid RLP-encoded `U256`.
    #[error("malformed storage value for slot {slot}")]
    MalformedStorage {
        /// The storage slot whose leaf is bad.
        slot: U256,
        /// The decoding failure.
        source: alloy_rlp::Error,
    },
    /// The node store failed.
    #[error("node store: {0}")]
    Store(#[source] StoreError),
}

/// What is wrong with a malformed trie node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MalformedReason {
    /// The bytes are not valid RLP.
    #[error("invalid RLP: {0}")]
    Rlp(alloy_rlp::Error),
    /// The node is an RLP string, not a list.
    #[error("node is not an RLP list")]
    NotAList,
    /// Bytes follow the node's RLP list.
    #[error("trailing bytes after the node")]
    TrailingBytes,
    /// The list has neither 2 (leaf, extension) nor 17 (branch) items.
    #[error("node has {0} items, expected 2 or 17")]
    ItemCount(usize),
    /// The hex-prefix encoded path of a leaf or extension is invalid.
    #[error("invalid hex-prefix path")]
    InvalidPath,
    /// A leaf or extension path is longer than 64 nibbles.
    #[error("path longer than 64 nibbles")]
    PathTooLong,
    /// An extension node with an empty path.
    #[error("extension with an empty path")]
    EmptyExtension,
    /// A leaf with an empty value (empty values are deletions and never stored).
    #[error("leaf with an empty value")]
    EmptyValue,
    /// A child reference that is neither empty, a 32-byte hash nor an embedded node shorter
    /// than 32 bytes.
    #[error("invalid child reference")]
    InvalidChild,
    /// An item that must be an RLP string is a list.
    #[error("expected an RLP string, found a list")]
    UnexpectedList,
}

impl From<alloy_rlp::Error> for MalformedReason {
    fn from(err: alloy_rlp::Error) -> Self {
        Self::Rlp(err)
    }
}
