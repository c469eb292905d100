//! Prometheus metrics of block production.

use prometheus_client::{
    metrics::{counter::Counter, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

/// Block-production metrics, registered under the `keel_` prefix.
#[derive(Debug, Clone)]
pub struct SequencerMetrics {
    /// Blocks sealed.
    pub blocks: Counter,
    /// Transactions included.
    pub transactions: Counter,
    /// Transactions dropped as invalid at execution.
    pub dropped: Counter,
    /// Head block number.
    pub head: Gauge,
    /// Pooled transactions.
    pub mempool_size: Gauge,
    /// Time to build, root and persist a block.
    pub block_build_seconds: Histogram,
    /// Gas per second of the last block's execution (whole build).
    pub gas_per_second: Gauge,
    /// Fee-plugin calls that failed and fell back to the native rule.
    pub fee_plugin_failures: Counter,
    /// Ordering-plugin calls that failed and fell back to the pool's order.
    pub ordering_plugin_failures: Counter,
    /// Bridge-plugin calls that failed and fell back to crediting the deposit.
    pub bridge_plugin_failures: Counter,
    /// L1 deposits included in blocks.
    pub deposits: Counter,
    /// Batches sealed.
    pub batches: Counter,
    /// How far the last block's timestamp is behind the wall clock: held back to keep L1's
    /// forced inclusion (`InclusionWindow`), 0 when it follows the clock.
    pub l2_time_behind_seconds: Gauge,
}

impl Default for SequencerMetrics {
    fn default() -> Self {
        Self {
            blocks: Counter::default(),
            transactions: Counter::default(),
            dropped: Counter::default(),
            head: Gauge::default(),
            mempool_size: Gauge::default(),
            // 1 ms … ~4 s
            block_build_seconds: Histogram::new(
                prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 13),
            ),
            gas_per_second: Gauge::default(),
            fee_plugin_failures: Counter::default(),
            ordering_plugin_failures: Counter::default(),
            bridge_plugin_failures: Counter::default(),
            deposits: Counter::default(),
            batches: Counter::default(),
            l2_time_behind_seconds: Gauge::default(),
        }
    }
}

impl SequencerMetrics {
    /// Registers every metric in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register("keel_blocks", "Blocks sealed", self.blocks.clone());
        registry.register(
            "keel_transactions",
            "Transactions included in sealed blocks",
            self.transactions.clone(),
        );
        registry.register(
            "keel_transactions_dropped",
            "Transactions dropped as invalid at execution",
            self.dropped.clone(),
        );
        registry.register(
            "keel_head_block",
            "Number of the head block",
            self.head.clone(),
        );
        registry.register(
            "keel_mempool_size",
            "Transactions in the pool",
            self.mempool_size.clone(),
        );
        registry.register(
            "keel_block_build_seconds",
            "Time to execute, root and persist a block",
            self.block_build_seconds.clone(),
        );
        registry.register(
            "keel_gas_per_second",
            "Gas per second of the last block build",
            self.gas_per_second.clone(),
        );
        registry.register(
            "keel_fee_plugin_failures",
            "Fee-plugin calls that fell back to the native rule",
            self.fee_plugin_failures.clone(),
        );
        registry.register(
            "keel_ordering_plugin_failures",
            "Ordering-plugin calls that fell back to the pool's order",
            self.ordering_plugin_failures.clone(),
        );
        registry.register(
            "keel_bridge_plugin_failures",
            "Bridge-plugin calls that fell back to crediting the deposit",
            self.bridge_plugin_failures.clone(),
        );
        registry.register(
            "keel_deposits_included",
            "L1 deposits included in L2 blocks",
            self.deposits.clone(),
        );
        registry.register(
            "keel_batches_sealed",
            "Batches sealed for proving",
            self.batches.clone(),
        );
        registry.register(
            "keel_l2_time_behind_seconds",
            "Seconds the last block's timestamp is held behind the wall clock for L1 forced inclusion",
            self.l2_time_behind_seconds.clone(),
        );
    }
}
