//! [`TransactionSink`]: where `eth_sendRawTransaction` hands a transaction.

use alloy_primitives::{Address, B256, Bytes};
use keel_mempool::Mempool;
use keel_storage::Snapshot;

use crate::RpcError;

/// Takes the transactions `eth_sendRawTransaction` receives: a sequencer's pool, or a follower's
/// forwarder to the sequencer (or its refusal, when it has none).
pub trait TransactionSink: Send + Sync + 'static {
    /// Takes `raw` (EIP-2718 bytes) against the state in `snapshot`; returns the transaction's
    /// hash. Called on a blocking thread of the runtime (it may wait on I/O).
    fn submit(&self, raw: &Bytes, snapshot: &Snapshot) -> Result<B256, RpcError>;

    /// Takes `raw` that another node forwarded here (`keel_sendForwardedTransaction`): a sink
    /// that forwards by rules its peers share (based nodes) keeps it instead, so a transaction
    /// never goes round between nodes whose views of the leader differ for a moment. By
    /// default, as [`TransactionSink::submit`].
    fn submit_forwarded(&self, raw: &Bytes, snapshot: &Snapshot) -> Result<B256, RpcError> {
        self.submit(raw, snapshot)
    }
}

/// A based node's view of the sequencer schedule, as `keel_sequencing` reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SequencingReport {
    /// This node's registered address.
    pub me: Address,
    /// `following`, `leading` or `closing`.
    pub role: &'static str,
    /// The epoch of the next L1 block.
    pub epoch: u64,
    /// Its leader (zero: nobody is active).
    pub leader: Address,
    /// The first L1 block of the next epoch.
    pub epoch_end: u64,
    /// The next epoch's leader.
    pub next_leader: Address,
    /// The next epoch this node leads (`null`: none scheduled).
    pub next_turn: Option<u64>,
}

/// Where `keel_sequencing` reads a based node's schedule.
pub trait SequencingSource: Send + Sync + 'static {
    /// The schedule as the node sees it now.
    fn report(&self) -> SequencingReport;
}

impl TransactionSink for Mempool {
    fn submit(&self, raw: &Bytes, snapshot: &Snapshot) -> Result<B256, RpcError> {
        self.add_raw(raw, &snapshot).map_err(RpcError::server)
    }
}
