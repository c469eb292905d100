//! [`ToLeader`]: where a based node's `eth_sendRawTransaction` puts a transaction.

use std::{collections::BTreeMap, sync::Arc};

use alloy_primitives::{Address, B256, Bytes};
use keel_follower::{ForwardError, Forwarder};
use keel_mempool::Mempool;
use keel_rpc::{RpcError, SequencingReport, SequencingSource, TransactionSink};
use keel_storage::Snapshot;
use tokio::runtime::Handle;
use tracing::warn;

use crate::SequencingStatus;

/// The method based nodes forward transactions with: the receiver keeps them
/// ([`TransactionSink::submit_forwarded`]).
pub(crate) const FORWARD_METHOD: &str = "keel_sendForwardedTransaction";

/// Puts each transaction where the current leader will see it: this node's pool while it
/// leads (or nobody does), else the leader's pool through its JSON-RPC (`based.peers`). A
/// leader that is not listed or does not answer leaves the transaction in this node's pool,
/// for its own next turn; a leader that refuses it answers the sender.
#[derive(Debug)]
pub struct ToLeader {
    status: SequencingStatus,
    pool: Arc<Mempool>,
    peers: BTreeMap<Address, String>,
    forwarder: Forwarder,
    runtime: Handle,
}

impl ToLeader {
    /// A sink over `pool`, forwarding to `peers` on `runtime` as `status` says.
    pub fn new(
        status: SequencingStatus,
        pool: Arc<Mempool>,
        peers: BTreeMap<Address, String>,
        runtime: Handle,
    ) -> Self {
        Self {
            status,
            pool,
            peers,
            forwarder: Forwarder::default(),
            runtime,
        }
    }
}

impl TransactionSink for ToLeader {
    fn submit(&self, raw: &Bytes, snapshot: &Snapshot) -> Result<B256, RpcError> {
        let now = self.status.get();
        let taker = now.taker();
        if taker == now.me || taker.is_zero() {
            return self.pool.submit(raw, snapshot);
        }
        let Some(url) = self.peers.get(&taker) else {
            warn!(target: "keel::based", leader = %taker, "the leader is not in based.peers; keeping the transaction for this node's next turn");
            return self.pool.submit(raw, snapshot);
        };
        // On one of the runtime's blocking threads (see the trait): waiting here is allowed.
        match self
            .runtime
            .block_on(self.forwarder.send(url, FORWARD_METHOD, raw))
        {
            Ok(hash) => Ok(hash),
            Err(ForwardError::Refused(error)) => Err(error),
            Err(ForwardError::Unreachable(error)) => {
                warn!(target: "keel::based", leader = %taker, %url, %error, "cannot reach the leader; keeping the transaction for this node's next turn");
                self.pool.submit(raw, snapshot)
            }
        }
    }

    /// Another based node forwarded it here because it takes this node for the leader: it
    /// stays here (this node hands its pool on at the end of its turn), never going round.
    fn submit_forwarded(&self, raw: &Bytes, snapshot: &Snapshot) -> Result<B256, RpcError> {
        self.pool.submit(raw, snapshot)
    }
}

impl SequencingSource for SequencingStatus {
    fn report(&self) -> SequencingReport {
        let now = self.get();
        SequencingReport {
            me: now.me,
            role: now.role.as_str(),
            epoch: now.epoch,
            leader: now.leader,
            epoch_end: now.epoch_end,
            next_leader: now.next_leader,
            next_turn: now.next_turn,
        }
    }
}
