//! Keel bridge rules: refund any deposit above a cap; reject withdrawals above another.
//!
//! Settings:
//!
//! - `max-deposit-wei` (required): the largest deposit credited, an amount of wei as the node
//!   config writes one: a decimal string (up to 2^256 - 1), `0x` hex, or a number with a unit
//!   (`"10 ether"`; see [`Wei`]). A deposit of exactly the cap is credited.
//! - `max-withdrawal-wei` (optional, default: no cap): the largest withdrawal allowed. The
//!   node leaves a transaction that asks for more out of the block (it stays the user's to
//!   force from L1, where no plugin decides).
//!
//! The bridge functions cannot return an error, so a missing or malformed cap fails closed:
//! every deposit is refunded (or every withdrawal rejected), with the settings error as the
//! reason. A refund moves no value but back to the depositor.

use keel_plugin_sdk::prelude::*;

/// The settings key of the deposit cap.
pub const MAX_DEPOSIT_WEI: &str = "max-deposit-wei";
/// The settings key of the withdrawal cap.
pub const MAX_WITHDRAWAL_WEI: &str = "max-withdrawal-wei";

/// Caps deposits.
#[derive(Debug)]
pub struct Capped;

impl BridgeRules for Capped {
    fn on_deposit(deposit: &Deposit, settings: &Settings<'_>) -> DepositDecision {
        let cap = match settings.parse::<Wei<U256>>(MAX_DEPOSIT_WEI) {
            Ok(Wei(cap)) => cap,
            Err(e) => return DepositDecision::Refund(e.to_string()),
        };
        if deposit.value > cap {
            DepositDecision::Refund(format!(
                "deposit of {} wei exceeds the cap of {cap} wei (`{MAX_DEPOSIT_WEI}`)",
                deposit.value
            ))
        } else {
            DepositDecision::Credit
        }
    }

    fn on_withdrawal(withdrawal: &Withdrawal, settings: &Settings<'_>) -> WithdrawalDecision {
        match settings.parse_opt::<Wei<U256>>(MAX_WITHDRAWAL_WEI) {
            Err(e) => WithdrawalDecision::Reject(e.to_string()),
            Ok(Some(Wei(cap))) if withdrawal.value > cap => WithdrawalDecision::Reject(format!(
                "withdrawal of {} wei exceeds the cap of {cap} wei (`{MAX_WITHDRAWAL_WEI}`)",
                withdrawal.value
            )),
            Ok(_) => WithdrawalDecision::Allow,
        }
    }
}

keel_plugin_sdk::export_bridge!(Capped);

#[cfg(test)]
mod tests {
    use super::*;

    fn deposit(value: U256) -> Deposit {
        Deposit {
            l1_sender: Address::from([1; 20]),
            l2_recipient: Address::from([2; 20]),
            value,
            data: Vec::new(),
            l1_block: 100,
            deadline: 200,
        }
    }

    fn decide(cap: Option<&str>, value: U256) -> DepositDecision {
        let raw: Vec<(String, String)> = cap
            .map(|c| (MAX_DEPOSIT_WEI.to_owned(), c.to_owned()))
            .into_iter()
            .collect();
        Capped::on_deposit(&deposit(value), &Settings::new(&raw))
    }

    #[test]
    fn credits_up_to_the_cap_and_refunds_above() {
        let eth = U256::from(1_000_000_000_000_000_000u128);
        assert_eq!(
            decide(Some("1000000000000000000"), eth),
            DepositDecision::Credit
        );
        assert_eq!(
            decide(Some("1000000000000000000"), U256::ZERO),
            DepositDecision::Credit
        );
        assert_eq!(
            decide(Some("1000000000000000000"), U256::from(1_000_000_000_000_000_001u128)),
            DepositDecision::Refund(
                "deposit of 1000000000000000001 wei exceeds the cap of 1000000000000000000 wei (`max-deposit-wei`)"
                    .into()
            )
        );
        assert_eq!(decide(Some("1 ether"), eth), DepositDecision::Credit);
        assert!(matches!(
            decide(Some("0.5 ether"), eth),
            DepositDecision::Refund(_)
        ));
        assert_eq!(
            decide(Some("0"), U256::from(1u64)),
            DepositDecision::Refund(
                "deposit of 1 wei exceeds the cap of 0 wei (`max-deposit-wei`)".into()
            )
        );
    }

    #[test]
    fn caps_and_values_beyond_128_bits() {
        let max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
        assert_eq!(decide(Some(max), U256::MAX), DepositDecision::Credit);
        let big = U256 {
            w0: 1,
            ..U256::ZERO
        };
        assert_eq!(
            decide(Some("340282366920938463463374607431768211455"), big),
            DepositDecision::Refund(format!(
                "deposit of {big} wei exceeds the cap of 340282366920938463463374607431768211455 wei (`max-deposit-wei`)"
            ))
        );
        assert_eq!(
            big.to_string(),
            "6277101735386680763835789423207666416102355444464034512896"
        );
    }

    #[test]
    fn a_missing_or_malformed_cap_refunds_naming_the_key() {
        assert_eq!(
            decide(None, U256::from(1u64)),
            DepositDecision::Refund("settings: required key `max-deposit-wei` is not set".into())
        );
        assert_eq!(
            decide(Some("1e18"), U256::from(1u64)),
            DepositDecision::Refund(
                "settings: `max-deposit-wei` = \"1e18\" is not a valid amount of wei: unknown unit \"e18\"; the units are wei, gwei and ether"
                    .into()
            )
        );
    }

    #[test]
    fn withdrawals_are_capped_only_when_a_cap_is_set() {
        let withdrawal = |value: u64| Withdrawal {
            l2_sender: Address::from([3; 20]),
            l1_receiver: Address::from([4; 20]),
            value: U256::from(value),
        };
        assert_eq!(
            Capped::on_withdrawal(&withdrawal(u64::MAX), &Settings::new(&[])),
            WithdrawalDecision::Allow
        );
        let cap = vec![(MAX_WITHDRAWAL_WEI.to_owned(), "100 wei".to_owned())];
        assert_eq!(
            Capped::on_withdrawal(&withdrawal(100), &Settings::new(&cap)),
            WithdrawalDecision::Allow
        );
        assert_eq!(
            Capped::on_withdrawal(&withdrawal(101), &Settings::new(&cap)),
            WithdrawalDecision::Reject(
                "withdrawal of 101 wei exceeds the cap of 100 wei (`max-withdrawal-wei`)".into()
            )
        );
        let bad = vec![(MAX_WITHDRAWAL_WEI.to_owned(), "lots".to_owned())];
        assert!(matches!(
            Capped::on_withdrawal(&withdrawal(1), &Settings::new(&bad)),
            WithdrawalDecision::Reject(_)
        ));
    }
}
