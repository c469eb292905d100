//! [`CoordinatorMetrics`]: what the proof coordinator counts.

use prometheus_client::{
    metrics::{
        counter::Counter,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

/// Proofs taken and refused, and how long provers took.
#[derive(Debug, Clone)]
pub struct CoordinatorMetrics {
    /// Proofs stored.
    pub proofs_accepted: Counter,
    /// Proofs refused (the L1 verifiers refuse them, or they prove another output).
    pub proofs_refused: Counter,
    /// Batches leased to provers (a lapsed lease leased again counts again).
    pub leases: Counter,
    /// Proving time a prover reported with each accepted proof, seconds.
    pub proving_seconds: Histogram,
}

impl Default for CoordinatorMetrics {
    fn default() -> Self {
        Self {
            proofs_accepted: Counter::default(),
            proofs_refused: Counter::default(),
            leases: Counter::default(),
            // 10 ms (exec) to ~45 min (a CPU OpenVM proof).
            proving_seconds: Histogram::new(exponential_buckets(0.01, 2.0, 19)),
        }
    }
}

impl CoordinatorMetrics {
    /// Registers every metric in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "keel_proofs_accepted",
            "Proofs the coordinator stored",
            self.proofs_accepted.clone(),
        );
        registry.register(
            "keel_proofs_refused",
            "Proofs the coordinator refused (L1 verifiers refuse them, or another output)",
            self.proofs_refused.clone(),
        );
        registry.register(
            "keel_batch_leases",
            "Batches leased to provers",
            self.leases.clone(),
        );
        registry.register(
            "keel_proving_seconds",
            "Proving time reported with each accepted proof",
            self.proving_seconds.clone(),
        );
    }
}
