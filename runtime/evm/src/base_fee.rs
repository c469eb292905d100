//! The base-fee seam: one trait the proposer asks for the next block's base fee.
//!
//! The native implementation is Ethereum's EIP-1559 formula clamped to the configured bounds; the
//! fee-rule plugin replaces it behind the same trait.

use alloy_consensus::Header;
use alloy_eips::eip1559::{BaseFeeParams, calc_next_block_base_fee};
use keel_primitives::ChainSpec;

/// Decides the base fee of the block that follows `parent`.
pub trait BaseFeeRule: Send + Sync {
    /// The base fee, in wei, of the child of `parent`.
    fn next_base_fee(&self, parent: &Header) -> u64;
}

/// Ethereum's EIP-1559 rule with the chain's parameters, clamped to `[min, max]`.
#[derive(Debug, Clone, Copy)]
pub struct Eip1559BaseFee {
    spec: ChainSpec,
}

impl Eip1559BaseFee {
    /// The rule for `spec`.
    pub const fn new(spec: ChainSpec) -> Self {
        Self { spec }
    }
}

impl BaseFeeRule for Eip1559BaseFee {
    fn next_base_fee(&self, parent: &Header) -> u64 {
        let params = BaseFeeParams::new(
            self.spec.base_fee_max_change_denominator.into(),
            self.spec.elasticity_multiplier.into(),
        );
        let next = calc_next_block_base_fee(
            parent.gas_used,
            parent.gas_limit,
            parent.base_fee_per_gas.unwrap_or(self.spec.min_base_fee),
            params,
        );
        next.clamp(self.spec.min_base_fee, self.spec.max_base_fee)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parent(gas_used: u64, base_fee: u64) -> Header {
        Header {
            gas_used,
            gas_limit: 30_000_000,
            base_fee_per_gas: Some(base_fee),
            ..Default::default()
        }
    }

    #[test]
    fn follows_eip1559() {
        let rule = Eip1559BaseFee::new(ChainSpec::ethereum_like(1));
        // At the target (half the limit) the fee is unchanged.
        assert_eq!(
            rule.next_base_fee(&parent(15_000_000, 1_000_000_000)),
            1_000_000_000
        );
        // A full block raises it by 1/8, an empty one lowers it by 1/8.
        assert_eq!(
            rule.next_base_fee(&parent(30_000_000, 1_000_000_000)),
            1_125_000_000
        );
        assert_eq!(rule.next_base_fee(&parent(0, 1_000_000_000)), 875_000_000);
    }

    #[test]
    fn clamps_to_bounds() {
        let spec = ChainSpec {
            min_base_fee: 900_000_000,
            max_base_fee: 1_100_000_000,
            ..ChainSpec::ethereum_like(1)
        };
        let rule = Eip1559BaseFee::new(spec);
        assert_eq!(rule.next_base_fee(&parent(0, 1_000_000_000)), 900_000_000);
        assert_eq!(
            rule.next_base_fee(&parent(30_000_000, 1_000_000_000)),
            1_100_000_000
        );
    }
}
