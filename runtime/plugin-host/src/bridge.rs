//! Bridge-rules plugins: credit or refund a deposit, allow or reject a withdrawal, of ETH and,
//! from WIT 0.3.0, of ERC-20 tokens.
//!
//! A decision moves no value: the state-transition function credits a deposit in full to its
//! recipient or refunds it in full to its L1 sender, so no plugin can mint or burn. The host
//! runs components of both versions: a 0.1.0 component is asked about ETH only.

use wasmtime::component::InstancePre;

use crate::{PluginEngine, PluginResult, WorldPlugin, store::HostState, world::world};
use alloy_primitives::{Address, Bytes, U256};

/// `keel:plugins@0.1.0`, frozen: ETH only.
mod v0_1_0 {
    wasmtime::component::bindgen!({
        path: "../../wit/v0.1.0",
        world: "bridge-rules",
    });
}

/// `keel:plugins@0.3.0`: ETH and ERC-20 tokens.
mod v0_3_0 {
    wasmtime::component::bindgen!({
        path: "../../wit/v0.3.0",
        world: "bridge-rules",
    });
}

/// A prepared bridge-rules component, of the newest WIT version it exports.
#[expect(
    missing_debug_implementations,
    reason = "bindgen!'s prepared instances are not Debug; WorldPlugin prints the plugin's id"
)]
pub enum BridgeRulesPre {
    /// `keel:plugins/bridge@0.3.0`.
    V0_3(v0_3_0::BridgeRulesPre<HostState>),
    /// `keel:plugins/bridge@0.1.0`.
    V0_1(v0_1_0::BridgeRulesPre<HostState>),
}

impl BridgeRulesPre {
    /// Prepares `pre` as the newest version it exports.
    fn new(pre: InstancePre<HostState>) -> wasmtime::Result<Self> {
        match v0_3_0::BridgeRulesPre::new(pre.clone()) {
            Ok(newest) => Ok(Self::V0_3(newest)),
            Err(newest) => v0_1_0::BridgeRulesPre::new(pre)
                .map(Self::V0_1)
                .map_err(|_| {
                    newest.context(
                        "exports neither keel:plugins/bridge@0.3.0 nor keel:plugins/bridge@0.1.0",
                    )
                }),
        }
    }

    /// The WIT package version the component implements.
    pub const fn wit_version(&self) -> &'static str {
        match self {
            Self::V0_3(_) => "0.3.0",
            Self::V0_1(_) => "0.1.0",
        }
    }
}

/// What crosses the bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asset {
    /// Ether; amounts in wei.
    Eth,
    /// An ERC-20 token, by its L1 address; amounts in its smallest unit.
    Erc20(Address),
}

/// An L1 deposit as the bridge rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deposit {
    /// Who paid on L1 (receives a refund).
    pub l1_sender: Address,
    /// Who receives on L2.
    pub l2_recipient: Address,
    /// ETH or a token.
    pub asset: Asset,
    /// In the asset's smallest unit.
    pub amount: U256,
    /// Calldata attached on L1 (none for a token deposit).
    pub data: Bytes,
    /// L1 block of the deposit.
    pub l1_block: u64,
    /// L2 block by which it must be included.
    pub deadline: u64,
}

/// A withdrawal request as the bridge rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Withdrawal {
    /// Who burns on L2.
    pub l2_sender: Address,
    /// Who receives on L1.
    pub l1_receiver: Address,
    /// ETH or a token.
    pub asset: Asset,
    /// In the asset's smallest unit.
    pub amount: U256,
}

/// What happens to a deposit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepositDecision {
    /// Credit the full value to the recipient.
    Credit,
    /// Refund the full value to the L1 sender.
    Refund(String),
}

/// What happens to a withdrawal request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WithdrawalDecision {
    /// Let it through.
    Allow,
    /// Refuse it, with a reason.
    Reject(String),
}

/// The `types` records are the same in every version of the interface.
macro_rules! wit_types_from {
    ($($version:ident),+) => {$(
        impl From<Address> for $version::keel::plugins::types::Address {
            fn from(address: Address) -> Self {
                let (hi, mid, lo) = address_words(address);
                Self { hi, mid, lo }
            }
        }

        impl From<U256> for $version::keel::plugins::types::U256 {
            fn from(value: U256) -> Self {
                let [w0, w1, w2, w3] = u256_words(value);
                Self { w0, w1, w2, w3 }
            }
        }
    )+};
}
wit_types_from!(v0_1_0, v0_3_0);

/// The decisions are the same in every version of the interface.
macro_rules! wit_decisions_from {
    ($($version:ident),+) => {$(
        impl From<$version::exports::keel::plugins::bridge::DepositDecision> for DepositDecision {
            fn from(decision: $version::exports::keel::plugins::bridge::DepositDecision) -> Self {
                use $version::exports::keel::plugins::bridge::DepositDecision as Wit;
                match decision {
                    Wit::Credit => Self::Credit,
                    Wit::Refund(reason) => Self::Refund(reason),
                }
            }
        }

        impl From<$version::exports::keel::plugins::bridge::WithdrawalDecision>
            for WithdrawalDecision
        {
            fn from(decision: $version::exports::keel::plugins::bridge::WithdrawalDecision) -> Self {
                use $version::exports::keel::plugins::bridge::WithdrawalDecision as Wit;
                match decision {
                    Wit::Allow => Self::Allow,
                    Wit::Reject(reason) => Self::Reject(reason),
                }
            }
        }
    )+};
}
wit_decisions_from!(v0_1_0, v0_3_0);

impl From<Asset> for v0_3_0::exports::keel::plugins::bridge::Asset {
    fn from(asset: Asset) -> Self {
        match asset {
            Asset::Eth => Self::Eth,
            Asset::Erc20(token) => Self::Erc20(token.into()),
        }
    }
}

/// An address as the WIT `address` record's words: bytes 0..8, 8..16, 16..20, big-endian.
fn address_words(address: Address) -> (u64, u64, u32) {
    let b = address.0.0;
    let word = |range: core::ops::Range<usize>| {
        b[range]
            .iter()
            .fold(0u64, |acc, x| (acc << 8) | u64::from(*x))
    };
    (word(0..8), word(8..16), word(16..20) as u32)
}

/// A 256-bit value as the WIT `u256` record's limbs, most significant first.
fn u256_words(value: U256) -> [u64; 4] {
    let limbs = value.as_limbs(); // least significant first
    [limbs[3], limbs[2], limbs[1], limbs[0]]
}

world!(
    /// The `bridge-rules` world: credit or refund a deposit, allow or reject a withdrawal.
    BridgeRules,
    "bridge-rules",
    Bridge,
    BridgeRulesPre
);

/// A compiled bridge-rules plugin.
pub type BridgePlugin = WorldPlugin<BridgeRules>;

impl BridgePlugin {
    /// The WIT package version the plugin implements (`0.1.0` or `0.3.0`).
    pub fn wit_version(&self) -> &'static str {
        self.0.pre.wit_version()
    }

    /// Whether the plugin's interface covers `asset`: a 0.1.0 plugin knows ETH only, and the
    /// node applies the native rule (credit, allow) to what it does not cover.
    pub fn covers(&self, asset: Asset) -> bool {
        matches!(
            (&self.0.pre, asset),
            (BridgeRulesPre::V0_3(_), _) | (_, Asset::Eth)
        )
    }

    /// Credit or refund `deposit`; `Credit` without asking a plugin that does not cover its
    /// asset ([`Self::covers`]).
    pub fn on_deposit(
        &self,
        engine: &PluginEngine,
        deposit: &Deposit,
    ) -> PluginResult<DepositDecision> {
        if !self.covers(deposit.asset) {
            return Ok(DepositDecision::Credit);
        }
        let site = self.0.site("on-deposit");
        self.0
            .call(engine, &site, |pre, settings, store| match pre {
                BridgeRulesPre::V0_3(pre) => {
                    use v0_3_0::exports::keel::plugins::bridge as wit;
                    let arg = wit::Deposit {
                        l1_sender: deposit.l1_sender.into(),
                        l2_recipient: deposit.l2_recipient.into(),
                        asset: deposit.asset.into(),
                        amount: deposit.amount.into(),
                        data: deposit.data.to_vec(),
                        l1_block: deposit.l1_block,
                        deadline: deposit.deadline,
                    };
                    let plugin = pre.instantiate(&mut *store)?;
                    Ok(plugin
                        .keel_plugins_bridge()
                        .call_on_deposit(store, &arg, settings)?
                        .into())
                }
                BridgeRulesPre::V0_1(pre) => {
                    use v0_1_0::exports::keel::plugins::bridge as wit;
                    let arg = wit::Deposit {
                        l1_sender: deposit.l1_sender.into(),
                        l2_recipient: deposit.l2_recipient.into(),
                        value: deposit.amount.into(),
                        data: deposit.data.to_vec(),
                        l1_block: deposit.l1_block,
                        deadline: deposit.deadline,
                    };
                    let plugin = pre.instantiate(&mut *store)?;
                    Ok(plugin
                        .keel_plugins_bridge()
                        .call_on_deposit(store, &arg, settings)?
                        .into())
                }
            })
    }

    /// Allow or reject `withdrawal`; `Allow` without asking a plugin that does not cover its
    /// asset ([`Self::covers`]).
    pub fn on_withdrawal(
        &self,
        engine: &PluginEngine,
        withdrawal: &Withdrawal,
    ) -> PluginResult<WithdrawalDecision> {
        if !self.covers(withdrawal.asset) {
            return Ok(WithdrawalDecision::Allow);
        }
        let site = self.0.site("on-withdrawal");
        self.0
            .call(engine, &site, |pre, settings, store| match pre {
                BridgeRulesPre::V0_3(pre) => {
                    use v0_3_0::exports::keel::plugins::bridge as wit;
                    let arg = wit::Withdrawal {
                        l2_sender: withdrawal.l2_sender.into(),
                        l1_receiver: withdrawal.l1_receiver.into(),
                        asset: withdrawal.asset.into(),
                        amount: withdrawal.amount.into(),
                    };
                    let plugin = pre.instantiate(&mut *store)?;
                    Ok(plugin
                        .keel_plugins_bridge()
                        .call_on_withdrawal(store, arg, settings)?
                        .into())
                }
                BridgeRulesPre::V0_1(pre) => {
                    use v0_1_0::exports::keel::plugins::bridge as wit;
                    let arg = wit::Withdrawal {
                        l2_sender: withdrawal.l2_sender.into(),
                        l1_receiver: withdrawal.l1_receiver.into(),
                        value: withdrawal.amount.into(),
                    };
                    let plugin = pre.instantiate(&mut *store)?;
                    Ok(plugin
                        .keel_plugins_bridge()
                        .call_on_withdrawal(store, arg, settings)?
                        .into())
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wit_encodings_are_big_endian_limbs() {
        let address = Address::from_slice(&(1u8..=20).collect::<Vec<_>>());
        assert_eq!(
            address_words(address),
            (0x0102030405060708, 0x090a0b0c0d0e0f10, 0x11121314)
        );
        let value = U256::from_be_slice(&(1u8..=32).collect::<Vec<_>>());
        let words = u256_words(value);
        assert_eq!(
            (words[0], words[3]),
            (0x0102030405060708, 0x191a1b1c1d1e1f20)
        );
    }
}
