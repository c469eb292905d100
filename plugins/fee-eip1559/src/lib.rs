//! Keel's default fee rule: Ethereum's EIP-1559 base fee from the parent block and the chain's
//! `[fees]` parameters (elasticity multiplier, max change denominator), clamped to
//! `[min-base-fee, max-base-fee]`; no minimum priority fee; and the L1 data price of full blobs
//! at the L1 blob base fee ([`blob_data_price`]). With its defaults this is the node's native
//! rule.
//!
//! Settings:
//!
//! - `compressed-per-mille` (optional, default 800): the bytes a batch's payload takes after
//!   compression per 1,000 bytes of transactions, which the data price assumes (1..=1000).
//!   ETH transfers compress to ~780, ERC-20 transfers to ~520.

use keel_plugin_sdk::prelude::*;

/// EIP-1559.
#[derive(Debug)]
pub struct Eip1559;

/// The settings key of the compression the data price assumes.
pub const COMPRESSED_PER_MILLE: &str = "compressed-per-mille";
/// Its default: the node's native assumption.
pub const DEFAULT_COMPRESSED_PER_MILLE: u64 = 800;

impl FeeRule for Eip1559 {
    fn next_fees(
        parent: ParentSummary,
        l1: L1Summary,
        params: FeeParams,
        settings: &Settings<'_>,
    ) -> Result<FeeDecision, String> {
        settings.expect_only(&[COMPRESSED_PER_MILLE])?;
        let compressed = settings.parse_or(COMPRESSED_PER_MILLE, DEFAULT_COMPRESSED_PER_MILLE)?;
        if !(1..=1_000).contains(&compressed) {
            return Err(format!(
                "settings: `{COMPRESSED_PER_MILLE}` = {compressed} is outside 1..=1000"
            ));
        }
        if params.min_base_fee > params.max_base_fee {
            return Err(format!(
                "fee params: min-base-fee {} is above max-base-fee {}",
                params.min_base_fee, params.max_base_fee
            ));
        }
        let base_fee = eip1559_base_fee(
            parent.gas_used,
            parent.gas_limit,
            parent.base_fee,
            params.elasticity_multiplier,
            params.max_change_denominator,
        )
        .clamp(params.min_base_fee, params.max_base_fee);
        Ok(FeeDecision {
            base_fee,
            min_priority_fee: 0,
            data_price: blob_data_price(l1.blob_base_fee, compressed),
        })
    }
}

keel_plugin_sdk::export_fee!(Eip1559);

/// The EIP-1559 base fee of the child of a block that used `gas_used` of `gas_limit` at
/// `base_fee`, unclamped.
///
/// The same integer arithmetic as the specification (and as `alloy-eips`'
/// `calc_next_block_base_fee`, which guards the same degenerate inputs): the fee is unchanged
/// at the gas target, rises by at least 1 above it, and falls by the rounded-down delta below
/// it. A zero elasticity, denominator or gas target leaves the fee unchanged. Where
/// `alloy-eips` would overflow a `u64` (only when `gas_used` is far beyond `gas_limit` or the
/// fee is near `u64::MAX`) this saturates instead.
pub fn eip1559_base_fee(
    gas_used: u64,
    gas_limit: u64,
    base_fee: u64,
    elasticity_multiplier: u64,
    max_change_denominator: u64,
) -> u64 {
    if elasticity_multiplier == 0 || max_change_denominator == 0 {
        return base_fee;
    }
    let gas_target = gas_limit / elasticity_multiplier;
    if gas_target == 0 {
        return base_fee;
    }
    // base_fee * delta < 2^128 and gas_target * denominator < 2^128: no overflow in u128.
    let divisor = u128::from(gas_target) * u128::from(max_change_denominator);
    match gas_used.cmp(&gas_target) {
        core::cmp::Ordering::Equal => base_fee,
        core::cmp::Ordering::Greater => {
            let delta = u128::from(base_fee) * u128::from(gas_used - gas_target) / divisor;
            let next = u128::from(base_fee) + delta.max(1);
            u64::try_from(next).unwrap_or(u64::MAX)
        }
        core::cmp::Ordering::Less => {
            let delta = u128::from(base_fee) * u128::from(gas_target - gas_used) / divisor;
            // delta <= base_fee since gas_target - gas_used <= gas_target and denominator >= 1.
            base_fee - delta as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_eips::eip1559::{BaseFeeParams, calc_next_block_base_fee};
    use proptest::prelude::*;

    const GWEI: u64 = 1_000_000_000;

    fn params(min: u64, max: u64, elasticity: u64, denominator: u64) -> FeeParams {
        FeeParams {
            min_base_fee: min,
            max_base_fee: max,
            elasticity_multiplier: elasticity,
            max_change_denominator: denominator,
            max_data_price: u64::MAX,
        }
    }

    fn parent(gas_used: u64, gas_limit: u64, base_fee: u64) -> ParentSummary {
        ParentSummary {
            number: 10,
            timestamp: 20,
            gas_used,
            gas_limit,
            base_fee,
        }
    }

    /// An L1 with no blob fee: data price 0.
    const NO_L1: L1Summary = L1Summary { blob_base_fee: 0 };

    fn decide(parent: ParentSummary, params: FeeParams) -> Result<FeeDecision, String> {
        Eip1559::next_fees(parent, NO_L1, params, &Settings::new(&[]))
    }

    #[test]
    fn data_price_is_full_blobs_at_the_l1_blob_base_fee() {
        let p = params(0, u64::MAX, 2, 8);
        let l1 = L1Summary {
            blob_base_fee: 1_000_000_000,
        };
        let native = Eip1559::next_fees(parent(0, 30_000_000, GWEI), l1, p, &Settings::new(&[]));
        // The node's native price (keel_sequencer::native_data_price) at 1 gwei per blob gas.
        assert_eq!(native.map(|d| d.data_price), Ok(825_806_451_613));
        let raw = vec![(COMPRESSED_PER_MILLE.to_owned(), "500".to_owned())];
        let erc20 = Eip1559::next_fees(parent(0, 30_000_000, GWEI), l1, p, &Settings::new(&raw));
        assert_eq!(erc20.map(|d| d.data_price), Ok(516_129_032_259));
        for bad in ["0", "1001", "x"] {
            let raw = vec![(COMPRESSED_PER_MILLE.to_owned(), bad.to_owned())];
            assert!(
                Eip1559::next_fees(parent(0, 30_000_000, GWEI), l1, p, &Settings::new(&raw))
                    .is_err(),
                "{bad}"
            );
        }
        let raw = vec![("compresed-per-mille".to_owned(), "500".to_owned())];
        assert!(
            Eip1559::next_fees(parent(0, 30_000_000, GWEI), l1, p, &Settings::new(&raw)).is_err()
        );
    }

    fn alloy(
        gas_used: u64,
        gas_limit: u64,
        base_fee: u64,
        elasticity: u64,
        denominator: u64,
    ) -> u64 {
        calc_next_block_base_fee(
            gas_used,
            gas_limit,
            base_fee,
            BaseFeeParams::new(denominator.into(), elasticity.into()),
        )
    }

    #[test]
    fn ethereum_mainnet_examples() {
        let p = params(0, u64::MAX, 2, 8);
        let d = |used| decide(parent(used, 30_000_000, GWEI), p).expect("decides");
        assert_eq!(d(15_000_000).base_fee, GWEI);
        assert_eq!(d(30_000_000).base_fee, 1_125_000_000);
        assert_eq!(d(0).base_fee, 875_000_000);
        assert_eq!(d(0).min_priority_fee, 0);
        // Above the target the fee rises by at least 1 wei, even from 0.
        assert_eq!(eip1559_base_fee(15_000_001, 30_000_000, 0, 2, 8), 1);
        assert_eq!(eip1559_base_fee(15_000_001, 30_000_000, 7, 2, 8), 8);
        // Below the target a fee of 7 cannot fall (7 / 8 rounds to 0).
        assert_eq!(eip1559_base_fee(0, 30_000_000, 7, 2, 8), 7);
    }

    #[test]
    fn clamps_to_the_configured_bounds() {
        let p = params(900_000_000, 1_100_000_000, 2, 8);
        assert_eq!(
            decide(parent(0, 30_000_000, GWEI), p).map(|d| d.base_fee),
            Ok(900_000_000)
        );
        assert_eq!(
            decide(parent(30_000_000, 30_000_000, GWEI), p).map(|d| d.base_fee),
            Ok(1_100_000_000)
        );
    }

    #[test]
    fn inverted_bounds_are_an_error_not_a_panic() {
        let err = decide(parent(0, 30_000_000, GWEI), params(10, 5, 2, 8)).expect_err("bad");
        assert_eq!(err, "fee params: min-base-fee 10 is above max-base-fee 5");
    }

    #[test]
    fn degenerate_parameters_match_alloy() {
        for (used, limit, fee, e, d) in [
            (5, 10, 100, 0, 8),
            (5, 10, 100, 2, 0),
            (5, 1, 100, 2, 8),
            (0, 0, 100, 1, 1),
            (u64::MAX, u64::MAX, GWEI, 1, 1),
        ] {
            assert_eq!(
                eip1559_base_fee(used, limit, fee, e, d),
                alloy(used, limit, fee, e, d)
            );
        }
    }

    /// Inputs where `alloy-eips` cannot overflow: gas used within the limit, and the fee low
    /// enough that the raised fee still fits in a u64.
    fn inputs() -> impl Strategy<Value = (u64, u64, u64, u64, u64)> {
        (1u64..=64, 1u64..=1_000, any::<u64>(), 0u64..=3).prop_flat_map(
            |(elasticity, denominator, limit_seed, edge)| {
                let limit = match limit_seed % 4 {
                    0 => limit_seed % 100,
                    1 => 30_000_000,
                    _ => limit_seed % (1 << 40),
                };
                let target = limit / elasticity;
                let used = match edge {
                    0 => Just(0).boxed(),
                    1 => Just(target).boxed(),
                    2 => Just(limit).boxed(),
                    _ => (0..=limit).boxed(),
                };
                // The rise is at most fee * gas_limit / gas_target <= 2 * elasticity * fee.
                let max_fee = u64::MAX / (2 * elasticity + 1);
                let fee = prop_oneof![0..=16u64, 0..=1_000 * GWEI, 0..=max_fee];
                (used, Just(limit), fee, Just(elasticity), Just(denominator))
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn matches_alloy_eips((used, limit, fee, elasticity, denominator) in inputs()) {
            prop_assert_eq!(
                eip1559_base_fee(used, limit, fee, elasticity, denominator),
                alloy(used, limit, fee, elasticity, denominator)
            );
        }

        #[test]
        fn plugin_is_alloy_clamped(
            (used, limit, fee, elasticity, denominator) in inputs(),
            a in any::<u64>(),
            b in any::<u64>(),
        ) {
            let (min, max) = (a.min(b), a.max(b));
            let decision = decide(parent(used, limit, fee), params(min, max, elasticity, denominator))
                .expect("decides");
            prop_assert_eq!(
                decision,
                FeeDecision {
                    base_fee: alloy(used, limit, fee, elasticity, denominator).clamp(min, max),
                    min_priority_fee: 0,
                    data_price: 0,
                }
            );
        }

        #[test]
        fn never_panics(used in any::<u64>(), limit in any::<u64>(), fee in any::<u64>(),
                        elasticity in any::<u64>(), denominator in any::<u64>()) {
            let _ = eip1559_base_fee(used, limit, fee, elasticity, denominator);
        }
    }
}
