//! Errors of the L1 side.

use std::path::PathBuf;

use alloy::primitives::{Address, B256};

/// Result of an L1 operation.
pub type L1Result<T> = Result<T, L1Error>;

/// What went wrong talking to L1.
#[derive(Debug, thiserror::Error)]
pub enum L1Error {
    /// The L1 node could not be reached or answered with an error.
    #[error("L1 node at {url}: {what} failed: {source}")]
    Rpc {
        /// The L1 RPC URL.
        url: String,
        /// What was asked (`eth_getLogs`, `commitBatch`, …).
        what: String,
        /// The transport's error.
        #[source]
        source: alloy::transports::TransportError,
    },
    /// A contract call would revert (found by `eth_estimateGas` or `eth_call`): nothing was sent.
    #[error("{what} would revert: {reason}")]
    WouldRevert {
        /// The call.
        what: String,
        /// The decoded custom error, or the node's message.
        reason: String,
    },
    /// A sent transaction was mined but reverted.
    #[error("{what}: L1 transaction {tx} reverted (block {block})")]
    Reverted {
        /// The call.
        what: String,
        /// Its hash.
        tx: B256,
        /// The block it was mined in.
        block: u64,
    },
    /// Another transaction took the nonce of ours (someone else uses the sequencer key).
    #[error(
        "{what}: nonce {nonce} of {sender} was used by a transaction Keel did not send; is the \
         sequencer key in use elsewhere?"
    )]
    NonceTaken {
        /// The call.
        what: String,
        /// The sender.
        sender: Address,
        /// The nonce.
        nonce: u64,
    },
    /// The L1 node serves another chain than the deployment was made on.
    #[error(
        "the L1 node at {url} has chain id {actual}, but the deployment {file} was made on chain \
         {expected}: point l1.rpc_url at the right node or run `keel deploy` again"
    )]
    WrongChain {
        /// The L1 RPC URL.
        url: String,
        /// The deployment file.
        file: PathBuf,
        /// The chain id the deployment names.
        expected: u64,
        /// The chain id the node reports.
        actual: u64,
    },
    /// The contracts settle another L2 than this node's.
    #[error("{0}")]
    Mismatch(String),
    /// L1 reverted committed batches (`OnChainProposer.revertBatches`) that this node's chain
    /// still holds: its blocks after the kept batch must be re-formed before it commits again.
    #[error(
        "L1 reverted the committed batches after batch {kept} (revert {reverts}), but this \
         node's chain still holds them: stop the node and run `keel revert --config <file> \
         --to-batch {kept}`, which unwinds its blocks after that batch and keeps their \
         transactions for the next blocks"
    )]
    BatchesReverted {
        /// The last batch L1 kept.
        kept: u64,
        /// L1's revert count.
        reverts: u64,
    },
    /// The deployment file is missing or malformed.
    #[error("deployment file {file}: {reason}")]
    Deployment {
        /// The file.
        file: PathBuf,
        /// What is wrong, and what to do.
        reason: String,
    },
    /// The sequencer key does not parse.
    #[error("l1.sequencer_key is not a valid private key: {0}")]
    Key(String),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(#[from] alloy::signers::Error),
    /// The node's database failed.
    #[error(transparent)]
    Storage(#[from] keel_storage::StorageError),
    /// A log did not decode as the event it claims to be.
    #[error("undecodable {event} log in L1 transaction {tx:?}: {reason}")]
    BadLog {
        /// The event.
        event: &'static str,
        /// The transaction it came from.
        tx: Option<B256>,
        /// The decoder's message.
        reason: String,
    },
    /// A contract answered something that does not decode (no code at the address yet, an L1
    /// node still syncing, or a deployment file for another L1).
    #[error(
        "{what}: unexpected answer from the contract at {url} ({reason}); is the deployment file for this L1?"
    )]
    UnexpectedAnswer {
        /// The call.
        what: String,
        /// The L1 RPC URL.
        url: String,
        /// The decoder's message.
        reason: String,
    },
    /// A sealed batch's stored data cannot be posted: missing, undecodable, or not the blobs
    /// the batch (and so its proof) is bound to.
    #[error("batch {batch}'s data cannot be posted: {reason}")]
    BatchData {
        /// The batch.
        batch: u64,
        /// What is wrong.
        reason: String,
    },
    /// A sealed batch was taken off the chain while the settler was committing it (a based
    /// node's turn ended with it uncommitted): nothing is sent; the next step reads anew.
    #[error("batch {batch} was taken back before it could be committed")]
    BatchGone {
        /// The batch.
        batch: u64,
    },
    /// The beacon node serving blobs could not be reached or answered with an error.
    #[error("beacon node {url}: {reason}")]
    Beacon {
        /// The URL asked.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The beacon node does not serve a blob L1 recorded (not yet, or pruned: beacon nodes
    /// keep blobs about 18 days).
    #[error(
        "beacon node {url} serves no blob {versioned_hash} for L1 block {block} (pruned? beacon \
         nodes keep blobs ~18 days; point l1.beacon_url at one that keeps them)"
    )]
    MissingBlob {
        /// The URL asked.
        url: String,
        /// The L1 block.
        block: u64,
        /// The blob's versioned hash.
        versioned_hash: B256,
    },
    /// The runtime stopped a storage call (the node is shutting down).
    #[error("the node is shutting down")]
    ShuttingDown,
    /// A deposit's id is not the next one: a log was missed (the query must be repeated).
    #[error("L1 deposit {got} arrived where deposit {expected} was due; rescanning")]
    DepositGap {
        /// The id due.
        expected: u64,
        /// The id seen.
        got: u64,
    },
}

impl L1Error {
    /// Whether retrying cannot help, so the task that met it must stop (and with it the node,
    /// naming the error): the deployment, the key or the chain is wrong, the contracts settle
    /// another L2, the contracts speak another ABI, or the node's database is broken. Outages,
    /// reverts and nonce races are not fatal: the next poll starts again from L1's state.
    pub const fn is_fatal(&self) -> bool {
        match self {
            Self::WrongChain { .. }
            | Self::Mismatch(_)
            | Self::BatchesReverted { .. }
            | Self::Deployment { .. }
            | Self::Key(_)
            | Self::Signing(_)
            | Self::BadLog { .. }
            | Self::BatchData { .. } => true,
            Self::Storage(error) => error.is_fatal(),
            Self::Rpc { .. }
            | Self::WouldRevert { .. }
            | Self::Reverted { .. }
            | Self::NonceTaken { .. }
            | Self::DepositGap { .. }
            | Self::UnexpectedAnswer { .. }
            | Self::Beacon { .. }
            | Self::BatchGone { .. }
            | Self::MissingBlob { .. }
            | Self::ShuttingDown => false,
        }
    }
}
