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
    /// The witness of a block could not be recorded (the node's own trie is inconsistent).
    #[error("recording the witness failed: {0}")]
    Witness(#[from] keel_stf::WitnessError),
    /// A batch's payload cannot be sealed (compression failed, or it outgrew its blobs).
    #[error("cannot seal the payload of batch {batch}: {reason}")]
    Payload {
        /// The batch.
        batch: u64,
        /// Why.
        reason: String,
    },
    /// The stateless STF does not reproduce a sealed batch: a bug in the node or the STF. The
    /// node stops rather than hand provers a batch that cannot be proven.
    #[error(
        "self-check failed for batch {batch}: {detail}; the node stopped so that nothing \
         unprovable is committed (keep the datadir and report it)"
    )]
    SelfCheck {
        /// The batch.
        batch: u64,
        /// What differed.
        detail: String,
    },
    /// The sealer stopped on an error (its own part reports it in full): the proposer stops
    /// too rather than build on batches that will never be sealed.
    #[error("the sealer stopped, so the proposer stops: {0}")]
    SealerStopped(String),
}

/// Result alias for this crate.
pub type SequencerResult<T> = Result<T, SequencerError>;
