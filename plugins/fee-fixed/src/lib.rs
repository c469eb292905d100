//! Keel fee rule: the same base fee for every block.
//!
//! Settings:
//!
//! - `base-fee` (required): the base fee, an amount of wei as the node config writes one
//!   (`"1 gwei"`, `"1000000000"`, `"0x3b9aca00"`; see [`Wei`]). It must lie within
//!   `[fees.min_base_fee, fees.max_base_fee]`.
//! - `min-priority-fee` (optional, default 0): the lowest priority fee the next block accepts,
//!   in the same format.
//!
//! Any other key is an error (a misspelt key would otherwise be ignored silently). On any error
//! the node uses its native EIP-1559 rule for that block and counts the failure.
//!
//! Built against the frozen `keel:plugins@0.1.0` interface on purpose: it decides no L1 data
//! price, so its blocks charge the node's native one, and it keeps showing that the node runs
//! 0.1.0 fee rules next to 0.2.0 ones.

use keel_plugin_sdk::{
    Settings, Wei,
    fee_v0_1::{FeeDecision, FeeParams, FeeRule, ParentSummary},
};

/// The settings key of the base fee.
pub const BASE_FEE: &str = "base-fee";
/// The settings key of the minimum priority fee.
pub const MIN_PRIORITY_FEE: &str = "min-priority-fee";

/// A fixed base fee.
#[derive(Debug)]
pub struct Fixed;

impl FeeRule for Fixed {
    fn next_base_fee(
        _parent: ParentSummary,
        params: FeeParams,
        settings: &Settings<'_>,
    ) -> Result<FeeDecision, String> {
        settings.expect_only(&[BASE_FEE, MIN_PRIORITY_FEE])?;
        let Wei(base_fee) = settings.parse::<Wei<u64>>(BASE_FEE)?;
        let Wei(min_priority_fee) = settings.parse_or(MIN_PRIORITY_FEE, Wei(0u64))?;
        if !(params.min_base_fee..=params.max_base_fee).contains(&base_fee) {
            return Err(format!(
                "settings: `{BASE_FEE}` = {base_fee} is outside the chain's bounds [{}, {}]",
                params.min_base_fee, params.max_base_fee
            ));
        }
        Ok(FeeDecision {
            base_fee,
            min_priority_fee,
        })
    }
}

keel_plugin_sdk::export_fee_v0_1!(Fixed);

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: ParentSummary = ParentSummary {
        number: 1,
        timestamp: 2,
        gas_used: 30_000_000,
        gas_limit: 30_000_000,
        base_fee: 1_000,
    };
    const PARAMS: FeeParams = FeeParams {
        min_base_fee: 7,
        max_base_fee: 1_000_000,
        elasticity_multiplier: 2,
        max_change_denominator: 8,
    };

    fn decide(pairs: &[(&str, &str)]) -> Result<FeeDecision, String> {
        let raw: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Fixed::next_base_fee(PARENT, PARAMS, &Settings::new(&raw))
    }

    #[test]
    fn uses_the_configured_fees_whatever_the_parent() {
        assert_eq!(
            decide(&[("base-fee", "1000")]),
            Ok(FeeDecision {
                base_fee: 1000,
                min_priority_fee: 0
            })
        );
        assert_eq!(
            decide(&[("base-fee", "500"), ("min-priority-fee", "3 wei")]),
            Ok(FeeDecision {
                base_fee: 500,
                min_priority_fee: 3
            })
        );
    }

    #[test]
    fn accepts_units_like_the_node_config() {
        let params = FeeParams {
            max_base_fee: u64::MAX,
            ..PARAMS
        };
        let raw = vec![
            ("base-fee".to_owned(), "1.5 gwei".to_owned()),
            ("min-priority-fee".to_owned(), "0x3b9aca00".to_owned()),
        ];
        assert_eq!(
            Fixed::next_base_fee(PARENT, params, &Settings::new(&raw)),
            Ok(FeeDecision {
                base_fee: 1_500_000_000,
                min_priority_fee: 1_000_000_000
            })
        );
    }

    #[test]
    fn errors_name_the_key() {
        assert_eq!(
            decide(&[]),
            Err("settings: required key `base-fee` is not set".into())
        );
        assert_eq!(
            decide(&[("base-fee", "1 gwoi")]),
            Err("settings: `base-fee` = \"1 gwoi\" is not a valid amount of wei: unknown unit \"gwoi\"; the units are wei, gwei and ether".into())
        );
        assert_eq!(
            decide(&[("base-fee", "9"), ("min-priority-fee", "-1")]),
            Err("settings: `min-priority-fee` = \"-1\" is not a valid amount of wei: not a non-negative number".into())
        );
        assert_eq!(
            decide(&[("base-fee", "20 ether")]),
            Err("settings: `base-fee` = \"20 ether\" is not a valid amount of wei: 20000000000000000000 wei is more than the largest u64 (18446744073709551615)".into())
        );
        assert_eq!(
            decide(&[("base-fee", "9"), ("min-priorty-fee", "1")]),
            Err(
                "settings: unknown key `min-priorty-fee` (known: `base-fee`, `min-priority-fee`)"
                    .into()
            )
        );
    }

    #[test]
    fn refuses_a_base_fee_outside_the_chain_bounds() {
        assert_eq!(
            decide(&[("base-fee", "6")]),
            Err("settings: `base-fee` = 6 is outside the chain's bounds [7, 1000000]".into())
        );
        assert!(decide(&[("base-fee", "7")]).is_ok());
        assert!(decide(&[("base-fee", "1000000")]).is_ok());
        assert!(decide(&[("base-fee", "1000001")]).is_err());
    }
}
