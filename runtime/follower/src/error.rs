//! [`FollowerError`]: why following stopped or must be retried.

use keel_da::DaError;
use keel_l1::L1Error;
use keel_stf::StfError;
use keel_storage::StorageError;

/// What went wrong following L1.
#[derive(Debug, thiserror::Error)]
pub enum FollowerError {
    /// Talking to L1 or the beacon node failed.
    #[error(transparent)]
    L1(#[from] L1Error),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A batch's data on L1 does not decode to blocks.
    #[error("batch {batch}: the data L1 holds for it does not decode: {source}")]
    Data {
        /// The batch.
        batch: u64,
        /// Why.
        #[source]
        source: DaError,
    },
    /// A block of a batch does not re-execute.
    #[error("batch {batch}: {source}")]
    Replay {
        /// The batch.
        batch: u64,
        /// The block and what failed (`StfError` names the block).
        #[source]
        source: StfError,
    },
    /// The rebuilt batch is not what L1 committed.
    #[error("batch {batch} diverges from its L1 commit: {what}")]
    Divergence {
        /// The batch.
        batch: u64,
        /// What differed, with both values.
        what: String,
    },
    /// The deployment commits no data: there is nothing on L1 to follow.
    #[error(
        "the deployment is a validium (its batches carry no data on L1): a follower cannot \
         rebuild its chain"
    )]
    Validium,
    /// The runtime stopped a blocking call (the node is shutting down).
    #[error("the node is shutting down")]
    ShuttingDown,
}

impl FollowerError {
    /// Whether retrying cannot help, so the follower must stop (and the node with it, naming
    /// the error). Outages and a beacon node that lacks a blob are retried; data that does not
    /// rebuild what L1 committed is not.
    pub const fn is_fatal(&self) -> bool {
        match self {
            Self::L1(error) => error.is_fatal(),
            Self::Storage(error) => error.is_fatal(),
            Self::Data { .. } | Self::Replay { .. } | Self::Divergence { .. } | Self::Validium => {
                true
            }
            Self::ShuttingDown => false,
        }
    }
}
