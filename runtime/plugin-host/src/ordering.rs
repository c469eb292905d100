//! Ordering-policy plugins: which pooled transactions go into a block, in what order.
//!
//! The host runs components of both versions of the `ordering-policy` world: a 0.4.0 component
//! ranks the candidates and the host merges the senders' nonce queues by rank
//! ([`keel_plugin_abi::merge_ranks`]), so its answer cannot break a nonce order; a 0.1.0
//! component returns the order itself, which the host checks entry by entry.

use wasmtime::component::InstancePre;

use crate::{
    PluginEngine, PluginError, PluginResult, WorldPlugin,
    invariants::{InvariantViolation, OrderingViolation, SenderNonce, check_ordering},
    store::HostState,
    world::world,
};
use alloy_primitives::Address;

/// `keel:plugins@0.1.0`, frozen: the plugin returns the order.
mod v0_1_0 {
    wasmtime::component::bindgen!({
        path: "../../wit/v0.1.0",
        world: "ordering-policy",
    });
}

/// `keel:plugins@0.4.0`: the plugin ranks, the host merges.
mod v0_4_0 {
    wasmtime::component::bindgen!({
        path: "../../wit/v0.4.0",
        world: "ordering-policy",
    });
}

pub use keel_plugin_abi::{CANDIDATE_SIZE, Candidate, LEAVE_OUT};

/// A prepared ordering component, of the newest WIT version it exports.
#[expect(
    missing_debug_implementations,
    reason = "bindgen!'s prepared instances are not Debug; WorldPlugin prints the plugin's id"
)]
pub enum OrderingPolicyPre {
    /// `keel:plugins/ordering@0.4.0`.
    V0_4(v0_4_0::OrderingPolicyPre<HostState>),
    /// `keel:plugins/ordering@0.1.0`.
    V0_1(v0_1_0::OrderingPolicyPre<HostState>),
}

impl OrderingPolicyPre {
    /// Prepares `pre` as the newest version it exports.
    fn new(pre: InstancePre<HostState>) -> wasmtime::Result<Self> {
        match v0_4_0::OrderingPolicyPre::new(pre.clone()) {
            Ok(newest) => Ok(Self::V0_4(newest)),
            Err(newest) => v0_1_0::OrderingPolicyPre::new(pre)
                .map(Self::V0_1)
                .map_err(|_| {
                    newest.context(
                        "exports neither keel:plugins/ordering@0.4.0 nor keel:plugins/ordering@0.1.0",
                    )
                }),
        }
    }

    /// The WIT package version the component implements.
    pub const fn wit_version(&self) -> &'static str {
        match self {
            Self::V0_4(_) => "0.4.0",
            Self::V0_1(_) => "0.1.0",
        }
    }
}

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
    OrderingPolicyPre
);

/// A compiled ordering plugin.
pub type OrderingPlugin = WorldPlugin<OrderingPolicy>;

impl OrderingPlugin {
    /// The WIT package version the plugin implements (`0.1.0` or `0.4.0`).
    pub fn wit_version(&self) -> &'static str {
        self.0.pre.wit_version()
    }

    /// Asks the plugin for an order of `candidates`. A 0.4.0 plugin's ranks are merged by the
    /// host; a 0.1.0 plugin's order is checked: out-of-range, repeated and nonce-breaking
    /// entries are dropped and reported. A trap, fuel exhaustion, memory overrun, a refusal or
    /// a rank list of the wrong length is an error.
    pub fn order(
        &self,
        engine: &PluginEngine,
        ctx: OrderingContext,
        candidates: &[Candidate],
    ) -> PluginResult<Ordering> {
        let site = self.0.site(match &self.0.pre {
            OrderingPolicyPre::V0_4(_) => "rank",
            OrderingPolicyPre::V0_1(_) => "order",
        });
        let invariant = |violation| PluginError::Invariant {
            site: site.clone(),
            violation,
        };
        let count = u32::try_from(candidates.len()).map_err(|_| {
            invariant(InvariantViolation::TooManyCandidates {
                count: candidates.len(),
            })
        })?;
        let packed = keel_plugin_abi::encode_candidates(candidates);
        let answer = self
            .0
            .call(engine, &site, |pre, settings, store| match pre {
                OrderingPolicyPre::V0_4(pre) => {
                    let context = v0_4_0::exports::keel::plugins::ordering::BlockContext {
                        number: ctx.number,
                        timestamp: ctx.timestamp,
                        gas_limit: ctx.gas_limit,
                        base_fee: ctx.base_fee,
                    };
                    let plugin = pre.instantiate(&mut *store)?;
                    let ranks = plugin
                        .keel_plugins_ordering()
                        .call_rank(store, context, settings, count, &packed)?;
                    Ok(ranks.map(Answer::Ranks))
                }
                OrderingPolicyPre::V0_1(pre) => {
                    let context = v0_1_0::exports::keel::plugins::ordering::BlockContext {
                        number: ctx.number,
                        timestamp: ctx.timestamp,
                        gas_limit: ctx.gas_limit,
                        base_fee: ctx.base_fee,
                    };
                    let plugin = pre.instantiate(&mut *store)?;
                    let order = plugin
                        .keel_plugins_ordering()
                        .call_order(store, context, settings, count, &packed)?;
                    Ok(order.map(Answer::Order))
                }
            })?
            .map_err(|reason| PluginError::Refused {
                site: site.clone(),
                reason,
            })?;
        match answer {
            Answer::Ranks(ranks) => {
                if ranks.len() != candidates.len() {
                    return Err(invariant(InvariantViolation::RankCount {
                        ranks: ranks.len(),
                        candidates: candidates.len(),
                    }));
                }
                let order = keel_plugin_abi::merge_ranks(candidates, &ranks)
                    .into_iter()
                    .map(|index| index as usize)
                    .collect();
                Ok(Ordering {
                    order,
                    dropped: Vec::new(),
                })
            }
            Answer::Order(order) => {
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
    }
}

/// What a plugin answered, by version.
enum Answer {
    /// 0.4.0: a rank per candidate.
    Ranks(Vec<u64>),
    /// 0.1.0: candidate indices in order.
    Order(Vec<u32>),
}
