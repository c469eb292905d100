//! Why a batch does not re-execute.

use alloy_primitives::B256;

use crate::WitnessError;

/// Why [`crate::execute_batch`] rejected its input. Every variant names the block (and the
/// transaction or header field) at fault.
#[derive(Debug, thiserror::Error)]
pub enum StfError {
    /// The input is not a valid RLP `ProverInput`.
    #[error("the prover input does not decode: {0}")]
    Decode(alloy_rlp::Error),
    /// The input has bytes after its end.
    #[error("the prover input has {0} trailing bytes")]
    TrailingBytes(u64),
    /// The batch has no block.
    #[error("the batch has no block")]
    EmptyBatch,
    /// The payload frame or its blobs cannot be read.
    #[error("the batch payload: {0}")]
    Payload(#[from] keel_da::DaError),
    /// An ancestor header is not the parent of the header after it.
    #[error("ancestor header {number} is not the parent of the header after it")]
    BrokenAncestry {
        /// The number of the ancestor whose hash does not match.
        number: u64,
    },
    /// A block does not follow the one before it (parent hash or number).
    #[error("block {number} does not follow block {parent_number} ({field})")]
    NotAChild {
        /// The block.
        number: u64,
        /// The block before it.
        parent_number: u64,
        /// What does not follow (`timestamp`: before the parent's).
        field: &'static str,
    },
    /// A transaction's signature does not recover (a flipped byte, most likely).
    #[error("transaction {index} ({hash}) of block {block} has no valid signature")]
    BadSignature {
        /// Block number.
        block: u64,
        /// Index in the block.
        index: u64,
        /// The transaction hash as the input encodes it.
        hash: B256,
    },
    /// A transaction the sequencer included is not valid against the state it ran on.
    #[error("transaction {index} ({hash}) of block {block} is invalid: {reason}")]
    InvalidTransaction {
        /// Block number.
        block: u64,
        /// Index in the block.
        index: u64,
        /// Transaction hash.
        hash: B256,
        /// Why revm rejected it.
        reason: String,
    },
    /// The base fee is outside the chain's bounds.
    #[error("block {block} has base fee {base_fee}, outside the chain's [{min}, {max}]")]
    BaseFeeOutOfBounds {
        /// Block number.
        block: u64,
        /// The header's base fee.
        base_fee: u64,
        /// The chain's lowest base fee.
        min: u64,
        /// The chain's highest base fee.
        max: u64,
    },
    /// The block's gas limit is above the chain's.
    #[error("block {block} has gas limit {gas_limit}, above the chain's {max}")]
    GasLimitAboveChain {
        /// Block number.
        block: u64,
        /// The header's gas limit.
        gas_limit: u64,
        /// The chain's largest block gas limit.
        max: u64,
    },
    /// The witness could not answer a read.
    #[error("block {block}: {source}")]
    Witness {
        /// Block number.
        block: u64,
        /// What was missing.
        source: WitnessError,
    },
    /// Execution failed for another reason (a bug rather than bad input).
    #[error("block {block} does not execute: {reason}")]
    Execution {
        /// Block number.
        block: u64,
        /// What failed.
        reason: String,
    },
}
