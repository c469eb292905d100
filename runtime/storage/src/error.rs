//! The storage crate's error type.

use alloy_primitives::B256;
use std::path::PathBuf;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database file could not be opened or created.
    #[error("cannot open database {path}")]
    Open {
        /// The file.
        path: PathBuf,
        /// redb's reason.
        #[source]
        source: redb::DatabaseError,
    },
    /// redb failed underneath (I/O, a poisoned transaction).
    #[error("database error: {0}")]
    Db(#[from] redb::Error),
    /// The database was written in another storage format than this build reads.
    #[error(
        "{} holds {found}, not storage format {}: start with a fresh --datadir (the node \
         rebuilds nothing from an older one)",
        path.display(),
        crate::SCHEMA_VERSION
    )]
    Incompatible {
        /// The database file.
        path: PathBuf,
        /// What was found instead.
        found: String,
    },
    /// A stored value did not decode: the file is corrupt or from an incompatible version.
    #[error("corrupt value in table `{table}`: {reason}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// What did not decode.
        reason: String,
    },
    /// The datadir holds a different chain than the config describes.
    #[error(
        "the datadir holds a chain with genesis {stored}, but the config's genesis is {configured}; \
         use a fresh --datadir or the config that created this one"
    )]
    GenesisMismatch {
        /// Genesis hash found in the database.
        stored: B256,
        /// Genesis hash computed from the config.
        configured: B256,
    },
    /// A block was committed that does not extend the head.
    #[error("block {number} does not extend the head block {head}")]
    NotNextBlock {
        /// The offered block's number.
        number: u64,
        /// The stored head.
        head: u64,
    },
    /// A batch was sealed out of order.
    #[error(
        "batch {number} starting at block {first_block} does not follow the last sealed batch \
         (expected batch {expected_number} starting at block {expected_first_block})"
    )]
    NotNextBatch {
        /// The offered batch.
        number: u64,
        /// Its first block.
        first_block: u64,
        /// The number the next batch must have.
        expected_number: u64,
        /// The block the next batch must start at.
        expected_first_block: u64,
    },
    /// The L1 watcher saw a different message under an id an L2 block already includes.
    #[error(
        "L1 message {deposit_id}, recorded from L1 transaction {stored} and already included on \
         L2, is now another message (L1 transaction {seen}): L1 reorganised it away after L2 \
         included it. Those L2 blocks cannot be settled: stop the node and run `keel revert \
         --to-batch N` with N the last batch before the block that included it (the blocks are \
         re-formed with L1's messages), and raise `l1.confirmations`"
    )]
    DepositConflict {
        /// The deposit id.
        deposit_id: u64,
        /// The L1 transaction recorded first.
        stored: alloy_primitives::B256,
        /// The L1 transaction seen now.
        seen: alloy_primitives::B256,
    },
    /// A block includes a deposit that is not the next one in the L1 queue.
    #[error(
        "a block includes L1 deposit {deposit_id} but the next deposit to include is {expected}"
    )]
    DepositOutOfOrder {
        /// The included deposit.
        deposit_id: u64,
        /// The id that must come next.
        expected: u64,
    },
    /// A block cannot be unwound: its change set was pruned (its batch's commit was final on
    /// L1).
    #[error(
        "block {block} cannot be unwound: its change set was pruned once L1 finalized its \
         batch's commit; L1 reorganised a finalized block, so resync this node from a fresh \
         --datadir"
    )]
    CannotUnwind {
        /// The block.
        block: u64,
    },
    /// The state of a block older than the node keeps was asked for.
    #[error(
        "the state of block {block} was pruned: this node keeps the state of blocks {oldest} \
         and later (set pruning.mode = \"archive\" to keep every block's state)"
    )]
    StatePruned {
        /// The block asked for.
        block: u64,
        /// The oldest block whose state is kept.
        oldest: u64,
    },
    /// Reading historical state through the trie failed.
    #[error("trie read failed: {0}")]
    Trie(#[from] keel_trie::TrieError),
}

impl StorageError {
    /// Whether retrying cannot help: the database or its contents are broken, or a write broke
    /// an invariant of the chain. The exception is [`StorageError::DepositConflict`], which a
    /// rescan of L1 may resolve and which the deposit watcher reports on every poll instead.
    pub const fn is_fatal(&self) -> bool {
        !matches!(
            self,
            Self::DepositConflict { .. } | Self::StatePruned { .. }
        )
    }
}

macro_rules! from_redb {
    ($($ty:ty),*) => {$(
        impl From<$ty> for StorageError {
            fn from(e: $ty) -> Self {
                Self::Db(e.into())
            }
        }
    )*};
}
from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

/// Result alias for this crate.
pub type StorageResult<T> = Result<T, StorageError>;
