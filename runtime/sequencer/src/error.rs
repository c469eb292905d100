//! The sequencer's error type.

use keel_evm::EvmError;
use keel_storage::StorageError;

/// Why a block could not be produced. Every variant is fatal for the proposer: a transaction
/// problem is never an error here (invalid transactions are dropped and logged).
#[derive(Debug, thiserror::Error)]
pub enum SequencerError {
    /// Execution or state-root computation failed.
    #[error(transparent)]
    Evm(#[from] EvmError),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Result alias for this crate.
pub type SequencerResult<T> = Result<T, SequencerError>;
