//! Fee-rule plugins: the next block's base fee and, from WIT 0.2.0, its L1 data price.
//!
//! The host runs components of both versions of the `fee-rule` world, as zed keeps older
//! extension APIs: a 0.1.0 component decides the base fee alone and its blocks charge the
//! native data price ([`FeeDecision::data_price`] is `None`).

use wasmtime::component::InstancePre;

use crate::{
    PluginEngine, PluginError, PluginResult, WorldPlugin,
    invariants::{InvariantViolation, check_base_fee, check_data_price},
    store::HostState,
    world::world,
};

/// `keel:plugins@0.1.0`, frozen: base fee only.
mod v0_1_0 {
    wasmtime::component::bindgen!({
        path: "../../wit/v0.1.0",
        world: "fee-rule",
    });
}

/// `keel:plugins@0.2.0`: base fee, and the L1 data price from the L1 blob base fee.
mod v0_2_0 {
    wasmtime::component::bindgen!({
        path: "../../wit/v0.2.0",
        world: "fee-rule",
    });
}

/// A prepared fee-rule component, of the newest WIT version it exports.
#[expect(
    missing_debug_implementations,
    reason = "bindgen!'s prepared instances are not Debug; WorldPlugin prints the plugin's id"
)]
pub enum FeeRulePre {
    /// `keel:plugins/fee@0.2.0`.
    V0_2(v0_2_0::FeeRulePre<HostState>),
    /// `keel:plugins/fee@0.1.0`.
    V0_1(v0_1_0::FeeRulePre<HostState>),
}

impl FeeRulePre {
    /// Prepares `pre` as the newest version it exports.
    fn new(pre: InstancePre<HostState>) -> wasmtime::Result<Self> {
        match v0_2_0::FeeRulePre::new(pre.clone()) {
            Ok(newest) => Ok(Self::V0_2(newest)),
            Err(newest) => v0_1_0::FeeRulePre::new(pre).map(Self::V0_1).map_err(|_| {
                newest.context("exports neither keel:plugins/fee@0.2.0 nor keel:plugins/fee@0.1.0")
            }),
        }
    }

    /// The WIT package version the component implements.
    pub const fn wit_version(&self) -> &'static str {
        match self {
            Self::V0_2(_) => "0.2.0",
            Self::V0_1(_) => "0.1.0",
        }
    }
}

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

/// The parent record is the same in every version of the interface.
macro_rules! parent_summary_into {
    ($($version:ident),+) => {$(
        impl From<ParentSummary> for $version::exports::keel::plugins::fee::ParentSummary {
            fn from(parent: ParentSummary) -> Self {
                Self {
                    number: parent.number,
                    timestamp: parent.timestamp,
                    gas_used: parent.gas_used,
                    gas_limit: parent.gas_limit,
                    base_fee: parent.base_fee,
                }
            }
        }
    )+};
}
parent_summary_into!(v0_1_0, v0_2_0);

/// What the node last read from its L1, as a fee rule sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct L1Summary {
    /// The L1 blob base fee (wei per blob gas); 0 without blobs, L1, or a first read.
    pub blob_base_fee: u64,
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
    /// Highest L1 data price (wei per 1,000 bytes) the host accepts.
    pub max_data_price: u64,
}

/// A checked fee decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeDecision {
    /// Base fee of the next block.
    pub base_fee: u64,
    /// Lowest priority fee the next block accepts.
    pub min_priority_fee: u64,
    /// The L1 data price (wei per 1,000 bytes); `None` from a 0.1.0 rule, which leaves it to
    /// the native rule.
    pub data_price: Option<u64>,
}

world!(
    /// The `fee-rule` world: the next block's base fee and data price.
    FeeRule,
    "fee-rule",
    Fee,
    FeeRulePre
);

/// A compiled fee-rule plugin.
pub type FeePlugin = WorldPlugin<FeeRule>;

impl FeePlugin {
    /// The WIT package version the plugin implements (`0.1.0` or `0.2.0`).
    pub fn wit_version(&self) -> &'static str {
        self.0.pre.wit_version()
    }

    /// The fees of the child of `parent`, checked against `params`' bounds.
    pub fn next_fees(
        &self,
        engine: &PluginEngine,
        parent: ParentSummary,
        l1: L1Summary,
        params: FeeParams,
    ) -> PluginResult<FeeDecision> {
        let site = self.0.site(match &self.0.pre {
            FeeRulePre::V0_2(_) => "next-fees",
            FeeRulePre::V0_1(_) => "next-base-fee",
        });
        let decision = self
            .0
            .call(engine, &site, |pre, settings, store| match pre {
                FeeRulePre::V0_2(pre) => {
                    use v0_2_0::exports::keel::plugins::fee;
                    let plugin = pre.instantiate(&mut *store)?;
                    let decision = plugin.keel_plugins_fee().call_next_fees(
                        store,
                        parent.into(),
                        fee::L1Summary {
                            blob_base_fee: l1.blob_base_fee,
                        },
                        fee::FeeParams {
                            min_base_fee: params.min_base_fee,
                            max_base_fee: params.max_base_fee,
                            elasticity_multiplier: params.elasticity_multiplier,
                            max_change_denominator: params.max_change_denominator,
                            max_data_price: params.max_data_price,
                        },
                        settings,
                    )?;
                    Ok(decision.map(|d| FeeDecision {
                        base_fee: d.base_fee,
                        min_priority_fee: d.min_priority_fee,
                        data_price: Some(d.data_price),
                    }))
                }
                FeeRulePre::V0_1(pre) => {
                    use v0_1_0::exports::keel::plugins::fee;
                    let plugin = pre.instantiate(&mut *store)?;
                    let decision = plugin.keel_plugins_fee().call_next_base_fee(
                        store,
                        parent.into(),
                        fee::FeeParams {
                            min_base_fee: params.min_base_fee,
                            max_base_fee: params.max_base_fee,
                            elasticity_multiplier: params.elasticity_multiplier,
                            max_change_denominator: params.max_change_denominator,
                        },
                        settings,
                    )?;
                    Ok(decision.map(|d| FeeDecision {
                        base_fee: d.base_fee,
                        min_priority_fee: d.min_priority_fee,
                        data_price: None,
                    }))
                }
            })?
            .map_err(|reason| PluginError::Refused {
                site: site.clone(),
                reason,
            })?;
        let violation = |violation| PluginError::Invariant {
            site: site.clone(),
            violation: InvariantViolation::Fee(violation),
        };
        check_base_fee(
            decision.base_fee,
            parent.base_fee,
            params.min_base_fee,
            params.max_base_fee,
            params.max_change_bps,
        )
        .map_err(violation)?;
        if let Some(price) = decision.data_price {
            check_data_price(price, params.max_data_price).map_err(violation)?;
        }
        Ok(decision)
    }
}
