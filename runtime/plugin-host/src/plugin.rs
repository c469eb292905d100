//! A compiled plugin of any slot: what the registry holds and swaps.

use std::path::Path;

use crate::{
    BridgePlugin, FeePlugin, OrderingPlugin, PluginEngine, PluginId, PluginLimits, PluginResult,
    PluginSlot, store::Meta,
};

/// A compiled plugin, of the kind its slot needs.
#[derive(Debug)]
pub enum Plugin {
    /// An `ordering-policy` component.
    Ordering(OrderingPlugin),
    /// A `fee-rule` component.
    Fee(FeePlugin),
    /// A `bridge-rules` component.
    Bridge(BridgePlugin),
}

/// What a plugin's calls have cost since it was loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PluginStats {
    /// Calls made, failed ones included.
    pub calls: u64,
    /// Fuel those calls consumed.
    pub fuel: u64,
}

impl Plugin {
    /// Compiles `bytes` (named `origin` in errors) for `slot`: the component must implement the
    /// slot's world.
    pub fn compile(
        engine: &PluginEngine,
        slot: PluginSlot,
        origin: &Path,
        id: PluginId,
        bytes: &[u8],
        limits: PluginLimits,
        settings: Vec<(String, String)>,
    ) -> PluginResult<Self> {
        Ok(match slot {
            PluginSlot::Ordering => Self::Ordering(OrderingPlugin::new(
                engine, origin, id, bytes, limits, settings,
            )?),
            PluginSlot::Fee => {
                Self::Fee(FeePlugin::new(engine, origin, id, bytes, limits, settings)?)
            }
            PluginSlot::Bridge => Self::Bridge(BridgePlugin::new(
                engine, origin, id, bytes, limits, settings,
            )?),
        })
    }

    /// The slot this plugin fills.
    pub const fn slot(&self) -> PluginSlot {
        match self {
            Self::Ordering(_) => PluginSlot::Ordering,
            Self::Fee(_) => PluginSlot::Fee,
            Self::Bridge(_) => PluginSlot::Bridge,
        }
    }

    /// What every world shares.
    const fn meta(&self) -> &Meta {
        match self {
            Self::Ordering(p) => &p.0.meta,
            Self::Fee(p) => &p.0.meta,
            Self::Bridge(p) => &p.0.meta,
        }
    }

    /// The plugin's identity.
    pub fn id(&self) -> &PluginId {
        self.meta().id()
    }

    /// The limits its calls run under.
    pub const fn limits(&self) -> &PluginLimits {
        self.meta().limits()
    }

    /// The settings its calls receive.
    pub fn settings(&self) -> &[(String, String)] {
        self.meta().settings()
    }

    /// Calls made and fuel consumed since it was loaded.
    pub fn stats(&self) -> PluginStats {
        let (calls, fuel) = self.meta().spent();
        PluginStats { calls, fuel }
    }

    /// The ordering plugin, if this is one.
    pub const fn as_ordering(&self) -> Option<&OrderingPlugin> {
        match self {
            Self::Ordering(p) => Some(p),
            _ => None,
        }
    }

    /// The fee plugin, if this is one.
    pub const fn as_fee(&self) -> Option<&FeePlugin> {
        match self {
            Self::Fee(p) => Some(p),
            _ => None,
        }
    }

    /// The bridge plugin, if this is one.
    pub const fn as_bridge(&self) -> Option<&BridgePlugin> {
        match self {
            Self::Bridge(p) => Some(p),
            _ => None,
        }
    }
}
