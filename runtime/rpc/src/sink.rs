//! [`TransactionSink`]: where `eth_sendRawTransaction` hands a transaction.

use alloy_primitives::{B256, Bytes};
use keel_mempool::Mempool;
use keel_storage::Snapshot;

use crate::RpcError;

/// Takes the transactions `eth_sendRawTransaction` receives: a sequencer's pool, or a follower's
/// forwarder to the sequencer (or its refusal, when it has none).
pub trait TransactionSink: Send + Sync + 'static {
    /// Takes `raw` (EIP-2718 bytes) against the state in `snapshot`; returns the transaction's
    /// hash. Called on a blocking thread of the runtime (it may wait on I/O).
    fn submit(&self, raw: &Bytes, snapshot: &Snapshot) -> Result<B256, RpcError>;
}

impl TransactionSink for Mempool {
    fn submit(&self, raw: &Bytes, snapshot: &Snapshot) -> Result<B256, RpcError> {
        self.add_raw(raw, &snapshot).map_err(RpcError::server)
    }
}
