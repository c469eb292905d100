//! [`SequencingStatus`]: what a based node knows about turns, shared by the conductor (which
//! writes it), the transaction sink and the RPC (which read it), and its metrics.

use std::sync::Arc;

use alloy_primitives::Address;
use parking_lot::RwLock;
use prometheus_client::{
    metrics::{
        counter::Counter,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
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
#[derive(Debug, Clone)]
pub struct BasedMetrics {
    /// 0 following, 1 leading, 2 closing.
    pub role: Gauge,
    /// Turns this node started.
    pub turns: Counter,
    /// Blocks after the last batch L1 holds that this node took back: its own from a turn that
    /// ended uncommitted, or unsafe blocks L1 never got (their transactions went to the leader).
    pub abandoned_blocks: Counter,
    /// Transactions handed to the next leader at the end of a turn.
    pub handed_over: Counter,
    /// Batches L1 has committed that this node has not applied yet.
    pub batches_behind: Gauge,
    /// Gossiped unsafe blocks accepted (signed by the leader, re-executed to the same hash).
    pub unsafe_accepted: Counter,
    /// Gossiped messages refused (bad signature, not the leader's, a block that does not
    /// re-execute to its hash).
    pub unsafe_refused: Counter,
    /// Unsafe blocks rolled back because L1 committed other blocks.
    pub unsafe_rolled_back: Counter,
    /// From a block made by the leader to the same block stored here, seconds.
    pub unsafe_delay: Histogram,
}

impl Default for BasedMetrics {
    fn default() -> Self {
        Self {
            role: Gauge::default(),
            turns: Counter::default(),
            abandoned_blocks: Counter::default(),
            handed_over: Counter::default(),
            batches_behind: Gauge::default(),
            unsafe_accepted: Counter::default(),
            unsafe_refused: Counter::default(),
            unsafe_rolled_back: Counter::default(),
            unsafe_delay: Histogram::new(exponential_buckets(0.001, 2.0, 14)),
        }
    }
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
            "Based node: blocks after the last batch L1 holds that it took back (its own uncommitted, or unsafe blocks L1 never got)",
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
        registry.register(
            "keel_based_unsafe_blocks_accepted",
            "Based node: gossiped unsafe blocks accepted (the leader's, re-executed to the same hash)",
            self.unsafe_accepted.clone(),
        );
        registry.register(
            "keel_based_unsafe_blocks_refused",
            "Based node: gossiped messages refused (bad signature, not the leader's, not re-executing)",
            self.unsafe_refused.clone(),
        );
        registry.register(
            "keel_based_unsafe_blocks_rolled_back",
            "Based node: unsafe blocks rolled back because L1 committed other blocks",
            self.unsafe_rolled_back.clone(),
        );
        registry.register(
            "keel_based_unsafe_block_delay_seconds",
            "Based node: from a block made by the leader to the same block stored here",
            self.unsafe_delay.clone(),
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
