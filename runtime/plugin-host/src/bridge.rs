//! Bridge-rules plugins: credit or refund a deposit, allow or reject a withdrawal.
//!
//! A decision moves no value: the state-transition function credits a deposit in full to its
//! recipient or refunds it in full to its L1 sender, so no plugin can mint or burn.

use crate::{PluginEngine, PluginResult, WorldPlugin, store::HostState, world::world};
use alloy_primitives::{Address, Bytes, U256};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit/v0.1.0",
        world: "bridge-rules",
    });
}

use bindings::{
    BridgeRulesPre,
    exports::keel::plugins::bridge as wit,
    keel::plugins::types::{Address as WitAddress, U256 as WitU256},
};

/// An L1 deposit as the bridge rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deposit {
    /// Who paid on L1.
    pub l1_sender: Address,
    /// Who receives on L2.
    pub l2_recipient: Address,
    /// Wei.
    pub value: U256,
    /// Calldata attached on L1.
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
    /// Wei.
    pub value: U256,
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

fn wit_address(address: Address) -> WitAddress {
    let b = address.0.0;
    let word = |range: core::ops::Range<usize>| {
        b[range]
            .iter()
            .fold(0u64, |acc, x| (acc << 8) | u64::from(*x))
    };
    WitAddress {
        hi: word(0..8),
        mid: word(8..16),
        lo: word(16..20) as u32,
    }
}

fn wit_u256(value: U256) -> WitU256 {
    let limbs = value.as_limbs(); // least significant first
    WitU256 {
        w0: limbs[3],
        w1: limbs[2],
        w2: limbs[1],
        w3: limbs[0],
    }
}

world!(
    /// The `bridge-rules` world: credit or refund a deposit, allow or reject a withdrawal.
    BridgeRules,
    "bridge-rules",
    Bridge,
    BridgeRulesPre<HostState>
);

/// A compiled bridge-rules plugin.
pub type BridgePlugin = WorldPlugin<BridgeRules>;

impl BridgePlugin {
    /// Credit or refund `deposit`.
    pub fn on_deposit(
        &self,
        engine: &PluginEngine,
        deposit: &Deposit,
    ) -> PluginResult<DepositDecision> {
        let site = self.0.site("on-deposit");
        let arg = wit::Deposit {
            l1_sender: wit_address(deposit.l1_sender),
            l2_recipient: wit_address(deposit.l2_recipient),
            value: wit_u256(deposit.value),
            data: deposit.data.to_vec(),
            l1_block: deposit.l1_block,
            deadline: deposit.deadline,
        };
        let decision = self.0.call(engine, &site, |pre, settings, store| {
            let plugin = pre.instantiate(&mut *store)?;
            plugin
                .keel_plugins_bridge()
                .call_on_deposit(store, &arg, settings)
        })?;
        Ok(match decision {
            wit::DepositDecision::Credit => DepositDecision::Credit,
            wit::DepositDecision::Refund(reason) => DepositDecision::Refund(reason),
        })
    }

    /// Allow or reject `withdrawal`.
    pub fn on_withdrawal(
        &self,
        engine: &PluginEngine,
        withdrawal: &Withdrawal,
    ) -> PluginResult<WithdrawalDecision> {
        let site = self.0.site("on-withdrawal");
        let arg = wit::Withdrawal {
            l2_sender: wit_address(withdrawal.l2_sender),
            l1_receiver: wit_address(withdrawal.l1_receiver),
            value: wit_u256(withdrawal.value),
        };
        let decision = self.0.call(engine, &site, |pre, settings, store| {
            let plugin = pre.instantiate(&mut *store)?;
            plugin
                .keel_plugins_bridge()
                .call_on_withdrawal(store, arg, settings)
        })?;
        Ok(match decision {
            wit::WithdrawalDecision::Allow => WithdrawalDecision::Allow,
            wit::WithdrawalDecision::Reject(reason) => WithdrawalDecision::Reject(reason),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wit_encodings_are_big_endian_limbs() {
        let address = Address::from_slice(&(1u8..=20).collect::<Vec<_>>());
        let wit = wit_address(address);
        assert_eq!(
            (wit.hi, wit.mid, wit.lo),
            (0x0102030405060708, 0x090a0b0c0d0e0f10, 0x11121314)
        );
        let value = U256::from_be_slice(&(1u8..=32).collect::<Vec<_>>());
        let wit = wit_u256(value);
        assert_eq!((wit.w0, wit.w3), (0x0102030405060708, 0x191a1b1c1d1e1f20));
    }
}
