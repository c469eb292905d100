//! `[plugins]`: the section of the config file this crate owns. An absent slot means the
//! native rule.

use std::{collections::BTreeMap, path::PathBuf, time::Duration};

use keel_units::{Violation, ensure};
use serde::Deserialize;

use crate::{PluginLimits, PluginSlot};

/// Default fuel per plugin call: ample for ordering 10,000 candidates, small enough to stop a
/// runaway loop within milliseconds.
pub const DEFAULT_FUEL: u64 = 500_000_000;
/// Default linear-memory limit per plugin instance, MiB.
pub const DEFAULT_MEMORY_MB: u64 = 64;
/// Default wall-clock backstop per call; firing is a local fault, never a consensus result.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(1);
/// Largest memory limit a slot may set, MiB (the engine reserves at most 256 MiB per memory;
/// above a GiB a plugin is misconfigured).
pub const MAX_MEMORY_MB: u64 = 1024;
/// Most fuel a slot or a `keel_loadPlugin` request may give a call: 20 × [`DEFAULT_FUEL`]. A
/// plugin runs inside block building; an operator key must not be able to stall it for long.
pub const MAX_FUEL: u64 = 20 * DEFAULT_FUEL;
/// Longest wall-clock backstop a slot or a request may set.
pub const MAX_DEADLINE: Duration = Duration::from_secs(10);
/// Largest component accepted, from a file or a `keel_loadPlugin` request: 16 MiB (the
/// reference plugins are a few hundred KiB).
pub const MAX_COMPONENT_BYTES: u64 = 16 << 20;

/// Whether `fuel`, `memory_mb` and `deadline` are within what any plugin may be given.
pub(crate) fn check_limits(fuel: u64, memory_mb: u64, deadline: Duration) -> Result<(), String> {
    if !(1..=MAX_FUEL).contains(&fuel) {
        return Err(format!("fuel must be within 1..={MAX_FUEL}, got {fuel}"));
    }
    if !(1..=MAX_MEMORY_MB).contains(&memory_mb) {
        return Err(format!(
            "memory_mb must be within 1..={MAX_MEMORY_MB}, got {memory_mb}"
        ));
    }
    if deadline.is_zero() || deadline > MAX_DEADLINE {
        return Err(format!(
            "deadline must be within 1ms..={MAX_DEADLINE:?}, got {deadline:?}"
        ));
    }
    Ok(())
}

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
    #[serde(deserialize_with = "keel_units::path")]
    pub path: PathBuf,
    /// Fuel per call (default [`DEFAULT_FUEL`]).
    #[serde(default = "default_fuel")]
    pub fuel: u64,
    /// Memory limit per instance, MiB (default [`DEFAULT_MEMORY_MB`]; at most
    /// [`MAX_MEMORY_MB`]).
    #[serde(default = "default_memory_mb")]
    pub memory_mb: u64,
    /// Wall-clock backstop per call (default [`DEFAULT_DEADLINE`]).
    #[serde(
        default = "default_deadline",
        deserialize_with = "keel_units::duration"
    )]
    pub deadline: Duration,
    /// Settings passed to the plugin on every call, e.g. `base-fee = "1 gwei"` for `fee-fixed`.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

const fn default_fuel() -> u64 {
    DEFAULT_FUEL
}

const fn default_memory_mb() -> u64 {
    DEFAULT_MEMORY_MB
}

const fn default_deadline() -> Duration {
    DEFAULT_DEADLINE
}

impl PluginsConfig {
    /// The slot's section, if the config names a plugin for it.
    pub const fn slot(&self, slot: PluginSlot) -> Option<&PluginSlotConfig> {
        match slot {
            PluginSlot::Ordering => self.ordering.as_ref(),
            PluginSlot::Fee => self.fee.as_ref(),
            PluginSlot::Bridge => self.bridge.as_ref(),
        }
    }

    /// Resolves relative plugin paths against `base` (the config file's directory).
    pub fn resolve_paths(&mut self, base: &std::path::Path) {
        for slot in [&mut self.ordering, &mut self.fee, &mut self.bridge]
            .into_iter()
            .flatten()
        {
            if slot.path.is_relative() {
                slot.path = base.join(&slot.path);
            }
        }
    }

    /// The first rule the section breaks (keys relative to `[plugins]`).
    pub fn validate(&self) -> Result<(), Violation> {
        for slot in PluginSlot::ALL {
            if let Some(config) = self.slot(slot) {
                let checked = check_limits(config.fuel, config.memory_mb, config.deadline);
                ensure(checked.is_ok(), slot.as_str(), || {
                    checked.clone().err().unwrap_or_default()
                })?;
            }
        }
        Ok(())
    }
}

impl PluginSlotConfig {
    /// The limits every call of the slot's plugin runs under.
    pub fn limits(&self) -> PluginLimits {
        PluginLimits {
            fuel: self.fuel,
            memory_bytes: usize::try_from(self.memory_mb << 20).unwrap_or(usize::MAX),
            deadline: self.deadline,
        }
    }

    /// The settings, as calls receive them.
    pub fn settings(&self) -> Vec<(String, String)> {
        self.config
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}
