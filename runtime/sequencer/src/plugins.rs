//! Plugins in block production: a fee plugin behind [`BaseFeeRule`], an ordering plugin over the
//! pool's executable transactions. Any plugin failure is logged and counted, and the block uses
//! the native rule: a plugin can never stall the chain.

use std::sync::Arc;

use alloy_consensus::Header;
use keel_evm::{BaseFeeRule, Eip1559BaseFee};
use keel_mempool::PooledTx;
use keel_plugin_host::{
    Candidate, FeeParams, FeePlugin, OrderingContext, OrderingPlugin, PluginEngine,
};
use prometheus_client::metrics::counter::Counter;
use tracing::warn;

/// A fee-rule plugin with the native EIP-1559 rule as its fallback.
#[derive(Debug)]
pub struct PluginFeeRule {
    engine: Arc<PluginEngine>,
    plugin: FeePlugin,
    params: FeeParams,
    fallback: Eip1559BaseFee,
    failures: Counter,
}

impl PluginFeeRule {
    /// Wraps `plugin`; `failures` counts the calls that fell back.
    pub const fn new(
        engine: Arc<PluginEngine>,
        plugin: FeePlugin,
        params: FeeParams,
        fallback: Eip1559BaseFee,
        failures: Counter,
    ) -> Self {
        Self {
            engine,
            plugin,
            params,
            fallback,
            failures,
        }
    }
}

impl BaseFeeRule for PluginFeeRule {
    fn next_base_fee(&self, parent: &Header) -> u64 {
        match self
            .plugin
            .next_base_fee(&self.engine, parent.into(), self.params)
        {
            Ok(decision) => decision.base_fee,
            Err(error) => {
                self.failures.inc();
                warn!(target: "keel::plugins", plugin = %self.plugin.id(), %error, "fee plugin failed; this block uses the native EIP-1559 rule");
                self.fallback.next_base_fee(parent)
            }
        }
    }
}

/// An ordering plugin; the pool's own order is the fallback.
#[derive(Debug)]
pub struct PluginOrdering {
    engine: Arc<PluginEngine>,
    plugin: OrderingPlugin,
    failures: Counter,
}

impl PluginOrdering {
    /// Wraps `plugin`; `failures` counts the blocks that fell back.
    pub const fn new(engine: Arc<PluginEngine>, plugin: OrderingPlugin, failures: Counter) -> Self {
        Self {
            engine,
            plugin,
            failures,
        }
    }

    /// Orders `pooled` (the pool's executable transactions, in its native order) for the block
    /// `ctx`. Entries the host drops are logged; a failed call returns `pooled` unchanged.
    pub fn order(&self, ctx: OrderingContext, pooled: Vec<Arc<PooledTx>>) -> Vec<Arc<PooledTx>> {
        let candidates: Vec<Candidate> = pooled
            .iter()
            .map(|tx| Candidate {
                hash: tx.hash.0,
                sender: tx.sender,
                nonce: tx.nonce(),
                gas_limit: alloy_consensus::Transaction::gas_limit(&tx.tx),
                max_fee: tx.max_fee(),
                max_priority_fee: tx.max_priority_fee(),
                size: u32::try_from(tx.encoded_len).unwrap_or(u32::MAX),
                tx_type: alloy_eips::Typed2718::ty(&tx.tx),
                arrival: tx.arrival,
            })
            .collect();
        match self.plugin.order(&self.engine, ctx, &candidates) {
            Ok(ordering) => {
                for violation in &ordering.dropped {
                    warn!(target: "keel::plugins", plugin = %self.plugin.id(), %violation, "ordering entry dropped");
                }
                ordering
                    .order
                    .into_iter()
                    .map(|index| pooled[index].clone())
                    .collect()
            }
            Err(error) => {
                self.failures.inc();
                warn!(target: "keel::plugins", plugin = %self.plugin.id(), %error, "ordering plugin failed; this block uses the pool's order");
                pooled
            }
        }
    }
}
