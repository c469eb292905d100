//! Fee-rule plugins: the next block's base fee.

use crate::{
    PluginEngine, PluginError, PluginResult, WorldPlugin,
    invariants::{InvariantViolation, check_base_fee},
    store::HostState,
    world::world,
};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit/v0.1.0",
        world: "fee-rule",
    });
}

use bindings::{FeeRulePre, exports::keel::plugins::fee};

/// The parent block, as a fee rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParentSummary {
    /// Number.
    pub number: u64,
    /// Timestamp.
    pub timestamp: u64,
    /// Gas used.
    pub gas_used: u64,
    /// Gas limit.
    pub gas_limit: u64,
    /// Base fee.
    pub base_fee: u64,
}

impl From<&alloy_consensus::Header> for ParentSummary {
    fn from(header: &alloy_consensus::Header) -> Self {
        Self {
            number: header.number,
            timestamp: header.timestamp,
            gas_used: header.gas_used,
            gas_limit: header.gas_limit,
            base_fee: header.base_fee_per_gas.unwrap_or_default(),
        }
    }
}

/// The chain's fee parameters and the host's bounds on any plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeParams {
    /// Lowest base fee.
    pub min_base_fee: u64,
    /// Highest base fee.
    pub max_base_fee: u64,
    /// EIP-1559 elasticity multiplier.
    pub elasticity_multiplier: u64,
    /// EIP-1559 max change denominator.
    pub max_change_denominator: u64,
    /// Largest change per block the host accepts, in basis points of the parent's base fee.
    pub max_change_bps: u64,
}

/// A checked fee decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeDecision {
    /// Base fee of the next block.
    pub base_fee: u64,
    /// Lowest priority fee the next block accepts.
    pub min_priority_fee: u64,
}

world!(
    /// The `fee-rule` world: the next block's base fee.
    FeeRule,
    "fee-rule",
    Fee,
    FeeRulePre<HostState>
);

/// A compiled fee-rule plugin.
pub type FeePlugin = WorldPlugin<FeeRule>;

impl FeePlugin {
    /// The base fee of the child of `parent`, checked against `params`' bounds.
    pub fn next_base_fee(
        &self,
        engine: &PluginEngine,
        parent: ParentSummary,
        params: FeeParams,
    ) -> PluginResult<FeeDecision> {
        let site = self.0.site("next-base-fee");
        let summary = fee::ParentSummary {
            number: parent.number,
            timestamp: parent.timestamp,
            gas_used: parent.gas_used,
            gas_limit: parent.gas_limit,
            base_fee: parent.base_fee,
        };
        let wit_params = fee::FeeParams {
            min_base_fee: params.min_base_fee,
            max_base_fee: params.max_base_fee,
            elasticity_multiplier: params.elasticity_multiplier,
            max_change_denominator: params.max_change_denominator,
        };
        let decision = self
            .0
            .call(engine, &site, |pre, settings, store| {
                let plugin = pre.instantiate(&mut *store)?;
                plugin
                    .keel_plugins_fee()
                    .call_next_base_fee(store, summary, wit_params, settings)
            })?
            .map_err(|reason| PluginError::Refused {
                site: site.clone(),
                reason,
            })?;
        check_base_fee(
            decision.base_fee,
            parent.base_fee,
            params.min_base_fee,
            params.max_base_fee,
            params.max_change_bps,
        )
        .map_err(|violation| PluginError::Invariant {
            site,
            violation: InvariantViolation::Fee(violation),
        })?;
        Ok(FeeDecision {
            base_fee: decision.base_fee,
            min_priority_fee: decision.min_priority_fee,
        })
    }
}
