//! Keel bridge rules: refund any deposit above a cap; reject withdrawals above another; the same
//! for ERC-20 tokens.
//!
//! Settings:
//!
//! - `max-deposit-wei` (required): the largest ETH deposit credited, an amount of wei as the
//!   node config writes one: a decimal string (up to 2^256 - 1), `0x` hex, or a number with a
//!   unit (`"10 ether"`; see [`Wei`]). A deposit of exactly the cap is credited.
//! - `max-withdrawal-wei` (optional, default: no cap): the largest ETH withdrawal allowed. The
//!   node leaves a transaction that asks for more out of the block (it stays the user's to
//!   force from L1, where no plugin decides).
//! - `max-token-deposit`, `max-token-withdrawal` (optional, default: no cap): the same for
//!   every ERC-20 token, in the token's smallest unit (a plain integer: tokens have their own
//!   decimals, so `ether` means nothing here). A refunded token deposit goes back to its L1
//!   sender as a token withdrawal, claimable on L1 once its batch is verified.
//!
//! The bridge functions cannot return an error, so a missing or malformed cap fails closed:
//! the deposit is refunded (or the withdrawal rejected), with the settings error as the reason.
//! A refund moves no value but back to the depositor.

use keel_plugin_sdk::prelude::*;

/// The settings key of the ETH deposit cap.
pub const MAX_DEPOSIT_WEI: &str = "max-deposit-wei";
/// The settings key of the ETH withdrawal cap.
pub const MAX_WITHDRAWAL_WEI: &str = "max-withdrawal-wei";
/// The settings key of the token deposit cap.
pub const MAX_TOKEN_DEPOSIT: &str = "max-token-deposit";
/// The settings key of the token withdrawal cap.
pub const MAX_TOKEN_WITHDRAWAL: &str = "max-token-withdrawal";

/// Caps deposits and withdrawals.
#[derive(Debug)]
pub struct Capped;

/// The cap on one asset in one direction: its settings key, whether it must be set, and the
/// token it caps (`None`: ETH, whose caps are written as the node config writes wei).
struct Cap {
    key: &'static str,
    required: bool,
    token: Option<Address>,
}

impl Cap {
    fn deposit(asset: &Asset) -> Self {
        match *asset {
            Asset::Eth => Self::new(MAX_DEPOSIT_WEI, true, None),
            Asset::Erc20(token) => Self::new(MAX_TOKEN_DEPOSIT, false, Some(token)),
        }
    }

    fn withdrawal(asset: &Asset) -> Self {
        match *asset {
            Asset::Eth => Self::new(MAX_WITHDRAWAL_WEI, false, None),
            Asset::Erc20(token) => Self::new(MAX_TOKEN_WITHDRAWAL, false, Some(token)),
        }
    }

    const fn new(key: &'static str, required: bool, token: Option<Address>) -> Self {
        Self {
            key,
            required,
            token,
        }
    }

    /// The cap, `None` when it is optional and unset.
    fn read(&self, settings: &Settings<'_>) -> Result<Option<U256>, SettingsError> {
        let cap = match self.token {
            None => settings
                .parse_opt::<Wei<U256>>(self.key)?
                .map(|Wei(cap)| cap),
            Some(_) => settings.parse_opt::<U256>(self.key)?,
        };
        match cap {
            None if self.required => Err(SettingsError::Missing {
                key: self.key.to_owned(),
            }),
            cap => Ok(cap),
        }
    }

    /// Whether `amount` is within `settings`' cap; `Err` says why not (or why the cap cannot
    /// be read).
    fn check(&self, what: &str, amount: U256, settings: &Settings<'_>) -> Result<(), String> {
        match self.read(settings).map_err(|e| e.to_string())? {
            Some(cap) if amount > cap => {
                let unit = match self.token {
                    None => "wei".to_owned(),
                    Some(token) => format!("units of token {token}"),
                };
                Err(format!(
                    "{what} of {amount} {unit} exceeds the cap of {cap} {unit} (`{}`)",
                    self.key
                ))
            }
            _ => Ok(()),
        }
    }
}

impl BridgeRules for Capped {
    fn on_deposit(deposit: &Deposit, settings: &Settings<'_>) -> DepositDecision {
        match Cap::deposit(&deposit.asset).check("deposit", deposit.amount, settings) {
            Ok(()) => DepositDecision::Credit,
            Err(reason) => DepositDecision::Refund(reason),
        }
    }

    fn on_withdrawal(withdrawal: &Withdrawal, settings: &Settings<'_>) -> WithdrawalDecision {
        match Cap::withdrawal(&withdrawal.asset).check("withdrawal", withdrawal.amount, settings) {
            Ok(()) => WithdrawalDecision::Allow,
            Err(reason) => WithdrawalDecision::Reject(reason),
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
            asset: Asset::Eth,
            amount: value,
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
            asset: Asset::Eth,
            amount: U256::from(value),
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

    #[test]
    fn tokens_have_their_own_optional_caps_in_plain_units() {
        let token = Address::from([7; 20]);
        let deposit = |amount: u64| Deposit {
            asset: Asset::Erc20(token),
            ..deposit(U256::from(amount))
        };
        // No token cap: credited, even with no ETH cap set (that one is for ETH only).
        assert_eq!(
            Capped::on_deposit(&deposit(u64::MAX), &Settings::new(&[])),
            DepositDecision::Credit
        );
        let caps = vec![
            (MAX_TOKEN_DEPOSIT.to_owned(), "500".to_owned()),
            (MAX_TOKEN_WITHDRAWAL.to_owned(), "40".to_owned()),
        ];
        assert_eq!(
            Capped::on_deposit(&deposit(500), &Settings::new(&caps)),
            DepositDecision::Credit
        );
        assert_eq!(
            Capped::on_deposit(&deposit(501), &Settings::new(&caps)),
            DepositDecision::Refund(format!(
                "deposit of 501 units of token {token} exceeds the cap of 500 units of token {token} (`max-token-deposit`)"
            ))
        );
        let withdrawal = |amount: u64| Withdrawal {
            l2_sender: Address::from([3; 20]),
            l1_receiver: Address::from([4; 20]),
            asset: Asset::Erc20(token),
            amount: U256::from(amount),
        };
        assert_eq!(
            Capped::on_withdrawal(&withdrawal(40), &Settings::new(&caps)),
            WithdrawalDecision::Allow
        );
        assert!(matches!(
            Capped::on_withdrawal(&withdrawal(41), &Settings::new(&caps)),
            WithdrawalDecision::Reject(_)
        ));
        // A unit makes no sense for a token: refused, naming the key.
        let bad = vec![(MAX_TOKEN_DEPOSIT.to_owned(), "1 ether".to_owned())];
        assert!(matches!(
            Capped::on_deposit(&deposit(1), &Settings::new(&bad)),
            DepositDecision::Refund(reason) if reason.contains("max-token-deposit")
        ));
    }
}
