//! [`SequencingStatus`]: what a based node knows about turns, shared by the conductor (which
//! writes it), the transaction sink and the RPC (which read it), and its metrics.

use std::sync::Arc;

use alloy_primitives::Address;
use parking_lot::RwLock;
use prometheus_client::{
    metrics::{counter::Counter, gauge::Gauge},
    registry::Registry,
};

/// A based node's part at the moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Role {
    /// Another sequencer leads: the node follows L1.
    #[default]
    Following,
    /// Its turn: it proposes.
    Leading,
    /// The end of its turn: it proposes no more and commits what it sealed.
    Closing,
}

impl Role {
    /// The name the RPC and the logs use.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Following => "following",
            Self::Leading => "leading",
            Self::Closing => "closing",
        }
    }
}

/// The node's view of the schedule, as of the conductor's last L1 read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sequencing {
    /// This node's registered address (its `l1.sequencer_key`).
    pub me: Address,
    /// What it does now.
    pub role: Role,
    /// The epoch of the next L1 block.
    pub epoch: u64,
    /// That epoch's leader.
    pub leader: Address,
    /// The first L1 block of the next epoch.
    pub epoch_end: u64,
    /// The next epoch's leader.
    pub next_leader: Address,
    /// The next epoch this node leads, if any.
    pub next_turn: Option<u64>,
}

impl Sequencing {
    /// Who takes transactions now: the leader while it proposes; during this node's closing
    /// blocks, the next leader.
    pub fn taker(&self) -> Address {
        match self.role {
            Role::Closing => self.next_leader,
            Role::Following | Role::Leading => self.leader,
        }
    }
}

/// What a based node counts.
#[derive(Debug, Clone, Default)]
pub struct BasedMetrics {
    /// 0 following, 1 leading, 2 closing.
    pub role: Gauge,
    /// Turns this node started.
    pub turns: Counter,
    /// Blocks this node built that L1 never took (their transactions went to the next leader).
    pub abandoned_blocks: Counter,
    /// Transactions handed to the next leader at the end of a turn.
    pub handed_over: Counter,
    /// Batches L1 has committed that this node has not applied yet.
    pub batches_behind: Gauge,
}

impl BasedMetrics {
    /// Registers every metric in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "keel_based_role",
            "Based node: 0 following, 1 leading (proposing), 2 closing its turn",
            self.role.clone(),
        );
        registry.register(
            "keel_based_turns",
            "Based node: turns this node started",
            self.turns.clone(),
        );
        registry.register(
            "keel_based_abandoned_blocks",
            "Based node: blocks it built that L1 never took (their transactions went to the next leader)",
            self.abandoned_blocks.clone(),
        );
        registry.register(
            "keel_based_handed_over_transactions",
            "Based node: transactions handed to the next leader at the end of a turn",
            self.handed_over.clone(),
        );
        registry.register(
            "keel_based_batches_behind",
            "Based node: batches L1 committed that this node has not applied yet",
            self.batches_behind.clone(),
        );
    }
}

/// Shared, cheap to clone: the conductor writes, the rest reads.
#[derive(Debug, Clone, Default)]
pub struct SequencingStatus(Arc<RwLock<Sequencing>>);

impl SequencingStatus {
    /// A status for the node registered as `me`, following until told otherwise.
    pub fn new(me: Address) -> Self {
        Self(Arc::new(RwLock::new(Sequencing {
            me,
            ..Sequencing::default()
        })))
    }

    /// The status now.
    pub fn get(&self) -> Sequencing {
        *self.0.read()
    }

    pub(crate) fn update(&self, change: impl FnOnce(&mut Sequencing)) {
        change(&mut self.0.write());
    }
}
