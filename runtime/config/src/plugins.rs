//! `[plugins]`: the policy plugins a node runs. An absent slot means the native rule.

use std::{collections::BTreeMap, path::PathBuf, time::Duration};

use serde::Deserialize;

use crate::units;

/// Default fuel per plugin call: ample for ordering 10,000 candidates, small enough to stop a
/// runaway loop within milliseconds.
pub const DEFAULT_PLUGIN_FUEL: u64 = 500_000_000;
/// Default linear-memory limit per plugin instance, MiB.
pub const DEFAULT_PLUGIN_MEMORY_MB: u64 = 64;
/// Default wall-clock backstop per call; firing is a local fault, never a consensus result.
pub const DEFAULT_PLUGIN_DEADLINE: Duration = Duration::from_secs(1);

/// `[plugins]`: one optional slot per world.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PluginsConfig {
    /// `[plugins.ordering]`: an `ordering-policy` component (default: native priority-fee order).
    pub ordering: Option<PluginSlotConfig>,
    /// `[plugins.fee]`: a `fee-rule` component (default: native EIP-1559).
    pub fee: Option<PluginSlotConfig>,
    /// `[plugins.bridge]`: a `bridge-rules` component (default: accept all).
    pub bridge: Option<PluginSlotConfig>,
}

/// One plugin slot.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginSlotConfig {
    /// The component (`.wasm`); a relative path is resolved from the config file's directory.
    #[serde(deserialize_with = "units::path")]
    pub path: PathBuf,
    /// Fuel per call (default [`DEFAULT_PLUGIN_FUEL`]).
    #[serde(default = "default_fuel")]
    pub fuel: u64,
    /// Memory limit per instance, MiB (default [`DEFAULT_PLUGIN_MEMORY_MB`]).
    #[serde(default = "default_memory_mb")]
    pub memory_mb: u64,
    /// Wall-clock backstop per call (default 1 s).
    #[serde(default = "default_deadline", deserialize_with = "units::duration")]
    pub deadline: Duration,
    /// Settings passed to the plugin on every call, e.g. `base-fee = "1 gwei"` for `fee-fixed`.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

const fn default_fuel() -> u64 {
    DEFAULT_PLUGIN_FUEL
}

const fn default_memory_mb() -> u64 {
    DEFAULT_PLUGIN_MEMORY_MB
}

const fn default_deadline() -> Duration {
    DEFAULT_PLUGIN_DEADLINE
}

impl PluginsConfig {
    /// Resolves relative plugin paths against `base` (the config file's directory).
    pub(crate) fn resolve_paths(&mut self, base: &std::path::Path) {
        for slot in [&mut self.ordering, &mut self.fee, &mut self.bridge]
            .into_iter()
            .flatten()
        {
            if slot.path.is_relative() {
                slot.path = base.join(&slot.path);
            }
        }
    }
}
