//! [`BlockFeed`]: who hears of each block the proposer makes (a based node's gossip).

use alloy_primitives::B256;
use keel_da::PayloadBlock;

/// A block the proposer has just made and stored.
#[derive(Debug, Clone, Copy)]
pub struct MadeBlock<'a> {
    /// Its number.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
    /// Its parent's hash.
    pub parent_hash: B256,
    /// What a replay needs of it (as a batch's payload carries it).
    pub payload: &'a PayloadBlock,
}

/// Told of every block right after it is stored, on the proposer's thread: it must not block
/// (hand the block to a task).
pub trait BlockFeed: Send + Sync + 'static {
    /// `block` was made and stored.
    fn block_made(&self, block: MadeBlock<'_>);
}
