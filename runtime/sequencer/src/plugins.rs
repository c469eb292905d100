//! The rules a block is built by: the registry's active plugins, each with its native fallback.
//!
//! A fee plugin sets the base fee (else EIP-1559); an ordering plugin orders the pool's
//! executable transactions (else the pool's own order); a bridge plugin credits or refunds each
//! deposit and allows or rejects each withdrawal a transaction asks for (else all are credited
//! and allowed). Any plugin failure is logged, counted and recorded with the block as a
//! fallback: a plugin can never stall the chain.

use std::sync::Arc;

use alloy_consensus::Header;
use alloy_primitives::Log;
use keel_evm::{BaseFeeRule, Eip1559BaseFee};
use keel_mempool::PooledTx;
use keel_plugin_host::{
    ActiveSet, Candidate, Deposit, DepositDecision, FeeDecision, FeeParams, OrderingContext,
    PluginEngine, PluginId, PluginRegistry, PluginResult, PluginSlot, Withdrawal,
    WithdrawalDecision,
};
use keel_primitives::{BlockPlugin, L1Deposit, bridge::withdrawal_event};
use prometheus_client::metrics::counter::Counter;
use tracing::{debug, info, warn};

/// Counters of plugin calls that failed and fell back to the native rule, per slot.
#[derive(Debug, Clone, Default)]
pub struct PluginFailures {
    /// Fee plugin failures.
    pub fee: Counter,
    /// Ordering plugin failures.
    pub ordering: Counter,
    /// Bridge plugin failures.
    pub bridge: Counter,
}

/// What the bridge rules decided about one deposit or one transaction's withdrawals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BridgeVerdict {
    /// No bridge plugin was asked (none active, or nothing to ask): the native rule, which
    /// credits every deposit and allows every withdrawal.
    Native,
    /// The plugin credits the deposit, or allows the withdrawals.
    Allowed(PluginId),
    /// The plugin refunds the deposit, or rejects a withdrawal (its transaction stays out of
    /// the block).
    Refused {
        /// The plugin.
        plugin: PluginId,
        /// Its reason.
        reason: String,
    },
    /// The plugin failed; the native rule decided.
    FellBack(PluginId),
}

impl BridgeVerdict {
    /// The refusal's reason, if the plugin refused.
    pub fn refusal(&self) -> Option<&str> {
        match self {
            Self::Refused { reason, .. } => Some(reason),
            Self::Native | Self::Allowed(_) | Self::FellBack(_) => None,
        }
    }

    /// What the block records of the plugin that decided, if one did.
    pub fn record(&self) -> Option<BlockPlugin> {
        let (id, fell_back) = match self {
            Self::Native => return None,
            Self::Allowed(id) | Self::Refused { plugin: id, .. } => (id, false),
            Self::FellBack(id) => (id, true),
        };
        Some(used(PluginSlot::Bridge, id.clone(), fell_back))
    }
}

/// What a block's transactions must pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockFees {
    /// The base fee.
    pub base_fee: u64,
    /// The lowest effective priority fee a transaction must pay to be included (the fee
    /// plugin's `min-priority-fee`; 0 under the native rule, where the pool's admission
    /// minimum applies).
    pub min_priority_fee: u128,
    /// The fee plugin's record for the block (none when the native rule is in the slot).
    pub plugin: Option<BlockPlugin>,
}

/// The plugin registry, the engine that runs its plugins, and the native rules behind them.
#[derive(Debug)]
pub struct BlockRules {
    engine: Arc<PluginEngine>,
    registry: Arc<PluginRegistry>,
    fee_params: FeeParams,
    native_fee: Eip1559BaseFee,
    fee_failures: Counter,
    ordering_failures: Counter,
    bridge_failures: Counter,
}

impl BlockRules {
    /// Rules from `registry`'s plugins; the counters count each slot's fallbacks.
    pub fn new(
        engine: Arc<PluginEngine>,
        registry: Arc<PluginRegistry>,
        fee_params: FeeParams,
        native_fee: Eip1559BaseFee,
        failures: PluginFailures,
    ) -> Self {
        Self {
            engine,
            registry,
            fee_params,
            native_fee,
            fee_failures: failures.fee,
            ordering_failures: failures.ordering,
            bridge_failures: failures.bridge,
        }
    }

    /// What happens to `deposit`: no plugin, or a failing one, credits (the native rule
    /// accepts every deposit the L1 bridge accepted). `deadline_block` is the L2 block the
    /// deposit must be in by.
    pub fn deposit_verdict(
        &self,
        set: &ActiveSet,
        deposit: &L1Deposit,
        deadline_block: u64,
    ) -> BridgeVerdict {
        let Some(plugin) = set.bridge() else {
            return BridgeVerdict::Native;
        };
        let seen = Deposit {
            l1_sender: deposit.l1_sender,
            l2_recipient: deposit.recipient,
            value: deposit.value,
            data: Default::default(),
            l1_block: deposit.l1_block,
            deadline: deadline_block,
        };
        let plugin_id = plugin.id().clone();
        match plugin.on_deposit(&self.engine, &seen) {
            Ok(DepositDecision::Credit) => BridgeVerdict::Allowed(plugin_id),
            Ok(DepositDecision::Refund(reason)) => {
                info!(target: "keel::plugins", plugin = %plugin_id, deposit = deposit.deposit_id, %reason, "deposit refunded to its L1 sender");
                BridgeVerdict::Refused {
                    plugin: plugin_id,
                    reason,
                }
            }
            Err(error) => {
                self.bridge_failures.inc();
                warn!(target: "keel::plugins", %error, deposit = deposit.deposit_id, "bridge plugin failed; the deposit is credited (native rule)");
                BridgeVerdict::FellBack(plugin_id)
            }
        }
    }

    /// Whether the withdrawals a transaction from `sender` asks for (the `WithdrawalInitiated`
    /// events among its `logs`) may go into the block. No plugin, no withdrawal, or a failing
    /// plugin: allowed (the native rule).
    pub fn withdrawal_verdict(&self, set: &ActiveSet, logs: &[Log]) -> BridgeVerdict {
        let Some(plugin) = set.bridge() else {
            return BridgeVerdict::Native;
        };
        let mut verdict = BridgeVerdict::Native;
        for (l2_sender, l1_receiver, value) in logs.iter().filter_map(withdrawal_event) {
            let asked = Withdrawal {
                l2_sender,
                l1_receiver,
                value,
            };
            verdict = match plugin.on_withdrawal(&self.engine, &asked) {
                Ok(WithdrawalDecision::Allow) => BridgeVerdict::Allowed(plugin.id().clone()),
                Ok(WithdrawalDecision::Reject(reason)) => {
                    return BridgeVerdict::Refused {
                        plugin: plugin.id().clone(),
                        reason,
                    };
                }
                Err(error) => {
                    self.bridge_failures.inc();
                    warn!(target: "keel::plugins", %error, %l2_sender, %value, "bridge plugin failed; the withdrawal is allowed (native rule)");
                    return BridgeVerdict::FellBack(plugin.id().clone());
                }
            };
        }
        verdict
    }

    /// The registry the proposer begins each block with.
    pub fn registry(&self) -> &PluginRegistry {
        &self.registry
    }

    fn plugin_fees(&self, set: &ActiveSet, parent: &Header) -> Option<PluginResult<FeeDecision>> {
        let plugin = set.fee()?;
        Some(plugin.next_base_fee(&self.engine, parent.into(), self.fee_params))
    }

    /// The fees of the child of `parent` under `set`.
    pub fn fees(&self, set: &ActiveSet, parent: &Header) -> BlockFees {
        let native = || BlockFees {
            base_fee: self.native_fee.next_base_fee(parent),
            min_priority_fee: 0,
            plugin: None,
        };
        let Some(result) = self.plugin_fees(set, parent) else {
            return native();
        };
        let id = set.fee().map(|p| p.id().clone());
        match result {
            Ok(decision) => BlockFees {
                base_fee: decision.base_fee,
                min_priority_fee: u128::from(decision.min_priority_fee),
                plugin: id.map(|id| used(PluginSlot::Fee, id, false)),
            },
            Err(error) => {
                self.fee_failures.inc();
                warn!(target: "keel::plugins", %error, "fee plugin failed; this block uses the native EIP-1559 rule");
                BlockFees {
                    plugin: id.map(|id| used(PluginSlot::Fee, id, true)),
                    ..native()
                }
            }
        }
    }

    /// Orders `pooled` (the pool's executable transactions, in its native order) for the block
    /// `ctx` under `set`. Entries the host drops are logged; a failed call keeps the pool's order.
    pub fn order(
        &self,
        set: &ActiveSet,
        ctx: OrderingContext,
        pooled: Vec<Arc<PooledTx>>,
    ) -> (Vec<Arc<PooledTx>>, Option<BlockPlugin>) {
        let Some(plugin) = set.ordering() else {
            return (pooled, None);
        };
        let candidates: Vec<Candidate> = pooled.iter().map(|tx| candidate(tx)).collect();
        match plugin.order(&self.engine, ctx, &candidates) {
            Ok(ordering) => {
                for violation in &ordering.dropped {
                    warn!(target: "keel::plugins", plugin = %plugin.id(), %violation, "ordering entry dropped");
                }
                let ordered = ordering
                    .order
                    .into_iter()
                    .map(|index| pooled[index].clone())
                    .collect();
                (
                    ordered,
                    Some(used(PluginSlot::Ordering, plugin.id().clone(), false)),
                )
            }
            Err(error) => {
                self.ordering_failures.inc();
                warn!(target: "keel::plugins", %error, "ordering plugin failed; this block uses the pool's order");
                (
                    pooled,
                    Some(used(PluginSlot::Ordering, plugin.id().clone(), true)),
                )
            }
        }
    }
}

/// The base fee RPC reports for the pending block: what the proposer would compute with the
/// plugins that will build it. A failing plugin is not counted here (the proposer counts it).
impl BaseFeeRule for BlockRules {
    fn next_base_fee(&self, parent: &Header) -> u64 {
        let set = self.registry.at(parent.number + 1);
        match self.plugin_fees(&set, parent) {
            Some(Ok(decision)) => decision.base_fee,
            Some(Err(error)) => {
                debug!(target: "keel::plugins", %error, "fee plugin failed for an estimate; using EIP-1559");
                self.native_fee.next_base_fee(parent)
            }
            None => self.native_fee.next_base_fee(parent),
        }
    }
}

fn used(slot: PluginSlot, id: PluginId, fell_back: bool) -> BlockPlugin {
    BlockPlugin {
        slot,
        id,
        fell_back,
    }
}

/// A pooled transaction as an ordering plugin sees it.
fn candidate(tx: &PooledTx) -> Candidate {
    Candidate {
        hash: tx.hash.0,
        sender: tx.sender.into_array(),
        nonce: tx.nonce(),
        gas_limit: alloy_consensus::Transaction::gas_limit(&tx.tx),
        max_fee: tx.max_fee(),
        max_priority_fee: tx.max_priority_fee(),
        size: u32::try_from(tx.encoded_len).unwrap_or(u32::MAX),
        tx_type: alloy_eips::Typed2718::ty(&tx.tx),
        arrival: tx.arrival,
    }
}
