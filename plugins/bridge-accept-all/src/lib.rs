//! Keel's default bridge rules: credit every deposit, allow every withdrawal.
//!
//! Settings: none.
//!
//! It implements the frozen 0.1.0 `bridge-rules` world (ETH only) on purpose: the node keeps
//! running rules written for it, and this crate is what keeps that path built and tested. Token
//! deposits and withdrawals, which a 0.1.0 rule never sees, follow the native rule (credit,
//! allow), which is also this rule.

use keel_plugin_sdk::{
    Address, Settings, U256,
    bridge_v0_1::{BridgeRules, Deposit, DepositDecision, Withdrawal, WithdrawalDecision},
};

/// Accepts everything.
#[derive(Debug)]
pub struct AcceptAll;

impl BridgeRules for AcceptAll {
    fn on_deposit(_deposit: &Deposit, _settings: &Settings<'_>) -> DepositDecision {
        DepositDecision::Credit
    }

    fn on_withdrawal(_withdrawal: &Withdrawal, _settings: &Settings<'_>) -> WithdrawalDecision {
        WithdrawalDecision::Allow
    }
}

keel_plugin_sdk::export_bridge_v0_1!(AcceptAll);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_and_allows_everything() {
        let deposit = Deposit {
            l1_sender: Address::from([1; 20]),
            l2_recipient: Address::from([2; 20]),
            value: U256::MAX,
            data: vec![0xde, 0xad],
            l1_block: 5,
            deadline: 9,
        };
        assert_eq!(
            AcceptAll::on_deposit(&deposit, &Settings::new(&[])),
            DepositDecision::Credit
        );
        let withdrawal = Withdrawal {
            l2_sender: Address::from([3; 20]),
            l1_receiver: Address::from([4; 20]),
            value: U256::from(1u64),
        };
        assert_eq!(
            AcceptAll::on_withdrawal(&withdrawal, &Settings::new(&[])),
            WithdrawalDecision::Allow
        );
    }
}
