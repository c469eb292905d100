//! The evm crate's error type.

use alloy_primitives::B256;
use keel_trie::TrieError;

/// Why execution could not produce a result. Invalid transactions are *not* errors: the builder
/// reports them as [`crate::TxOutcome::Invalid`] and moves on.
#[derive(Debug, thiserror::Error)]
pub enum EvmError {
    /// The state backend failed (I/O, corruption, a missing witness entry).
    #[error("state read failed: {0}")]
    State(#[source] Box<dyn core::error::Error + Send + Sync>),
    /// The state trie could not be updated.
    #[error("state root computation failed: {0}")]
    Trie(#[from] TrieError),
    /// A simulated call is not a valid transaction (e.g. the sender cannot pay the value).
    #[error("{0}")]
    InvalidCall(revm::context::result::InvalidTransaction),
    /// A simulated call could not run.
    #[error("call failed: {0}")]
    Call(String),
    /// A transaction's sender or fields were rejected by revm in a way that is not an ordinary
    /// invalid transaction (a bug or a corrupt block).
    #[error("transaction {hash} could not be executed: {reason}")]
    Execution {
        /// Transaction hash.
        hash: B256,
        /// revm's description.
        reason: String,
    },
}

/// Result alias for this crate.
pub type EvmResult<T> = Result<T, EvmError>;
