//! Ordering-policy plugins: which pooled transactions go into a block, in what order.

use crate::{
    PluginEngine, PluginError, PluginResult, WorldPlugin,
    invariants::{InvariantViolation, OrderingViolation, SenderNonce, check_ordering},
    store::HostState,
    world::world,
};
use alloy_primitives::Address;

mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit/v0.1.0",
        world: "ordering-policy",
    });
}

use bindings::{OrderingPolicyPre, exports::keel::plugins::ordering::BlockContext};

pub use keel_plugin_abi::{CANDIDATE_SIZE, Candidate};

/// The block an ordering is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderingContext {
    /// Block number.
    pub number: u64,
    /// Timestamp.
    pub timestamp: u64,
    /// Gas limit.
    pub gas_limit: u64,
    /// Base fee.
    pub base_fee: u64,
}

/// What an ordering call produced once the host checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordering {
    /// Candidate indices to execute, in order; every invariant holds.
    pub order: Vec<usize>,
    /// Entries the host dropped, with the reason.
    pub dropped: Vec<OrderingViolation>,
}

world!(
    /// The `ordering-policy` world: which pooled transactions go into a block, in what order.
    OrderingPolicy,
    "ordering-policy",
    Ordering,
    OrderingPolicyPre<HostState>
);

/// A compiled ordering plugin.
pub type OrderingPlugin = WorldPlugin<OrderingPolicy>;

impl OrderingPlugin {
    /// Asks the plugin for an order of `candidates` and checks it: out-of-range, repeated and
    /// nonce-breaking entries are dropped and reported; a trap, fuel exhaustion, memory overrun
    /// or a refusal is an error.
    pub fn order(
        &self,
        engine: &PluginEngine,
        ctx: OrderingContext,
        candidates: &[Candidate],
    ) -> PluginResult<Ordering> {
        let site = self.0.site("order");
        let mut packed = Vec::with_capacity(candidates.len() * CANDIDATE_SIZE);
        for candidate in candidates {
            packed.extend_from_slice(&candidate.encode());
        }
        let count = u32::try_from(candidates.len()).map_err(|_| PluginError::Invariant {
            site: site.clone(),
            violation: InvariantViolation::TooManyCandidates {
                count: candidates.len(),
            },
        })?;
        let context = BlockContext {
            number: ctx.number,
            timestamp: ctx.timestamp,
            gas_limit: ctx.gas_limit,
            base_fee: ctx.base_fee,
        };
        let order = self
            .0
            .call(engine, &site, |pre, settings, store| {
                let plugin = pre.instantiate(&mut *store)?;
                plugin
                    .keel_plugins_ordering()
                    .call_order(store, context, settings, count, &packed)
            })?
            .map_err(|reason| PluginError::Refused { site, reason })?;
        let senders: Vec<SenderNonce> = candidates
            .iter()
            .map(|c| SenderNonce {
                sender: Address::from(c.sender),
                nonce: c.nonce,
            })
            .collect();
        let (order, dropped) = check_ordering(&senders, &order);
        Ok(Ordering { order, dropped })
    }
}
