//! Loading the plugins named in `[plugins]` at start-up.

use std::{path::Path, sync::Arc};

use eyre::WrapErr;
use keel_config::{Config, PluginSlotConfig};
use keel_evm::{BaseFeeRule, Eip1559BaseFee};
use keel_plugin_host::{
    FeeParams, FeePlugin, OrderingPlugin, PluginEngine, PluginError, PluginId, PluginLimits,
    PluginResult,
};
use keel_sequencer::{PluginFeeRule, PluginOrdering, SequencerMetrics};
use serde::Deserialize;
use tracing::{info, warn};

/// The manifest `plugins/build.sh` writes next to each component.
#[derive(Debug, Deserialize)]
struct Manifest {
    name: String,
    version: String,
}

/// The signature every plugin kind's constructor shares.
type Constructor<P> = fn(
    &PluginEngine,
    &Path,
    PluginId,
    &[u8],
    PluginLimits,
    Vec<(String, String)>,
) -> PluginResult<P>;

/// Reads and compiles the component of slot `name`, naming it from its manifest
/// (`<file>.toml`) when there is one.
fn compile<P>(
    engine: &PluginEngine,
    name: &'static str,
    slot: &PluginSlotConfig,
    new: Constructor<P>,
) -> eyre::Result<P> {
    let key = || format!("plugins.{name}");
    let bytes = std::fs::read(&slot.path)
        .map_err(|source| PluginError::Read {
            path: slot.path.clone(),
            source,
        })
        .wrap_err_with(key)?;
    let stem = slot
        .path
        .file_stem()
        .map_or_else(|| "plugin".to_owned(), |s| s.to_string_lossy().into_owned());
    let manifest = std::fs::read_to_string(slot.path.with_extension("toml"))
        .ok()
        .and_then(|text| toml::from_str::<Manifest>(&text).ok());
    let id = match manifest {
        Some(m) => PluginId::new(m.name, m.version, &bytes),
        None => PluginId::new(stem, "unversioned", &bytes),
    };
    let limits = PluginLimits {
        fuel: slot.fuel,
        memory_bytes: usize::try_from(slot.memory_mb << 20).unwrap_or(usize::MAX),
        deadline: slot.deadline,
    };
    let settings = slot
        .config
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let plugin_id = id.to_string();
    let plugin = new(engine, &slot.path, id, &bytes, limits, settings).wrap_err_with(key)?;
    info!(target: "keel::plugins", slot = name, plugin = %plugin_id, "plugin loaded");
    Ok(plugin)
}

/// The plugins a node runs; `None` slots use the native rules.
pub(crate) struct Plugins {
    pub(crate) fee_rule: Arc<dyn BaseFeeRule>,
    pub(crate) ordering: Option<PluginOrdering>,
}

/// Compiles the configured plugins. A missing or invalid component stops start-up with an error
/// naming the file (a node must not silently run other rules than its operator configured).
pub(crate) fn load(
    config: &Config,
    native_fee: Eip1559BaseFee,
    metrics: &SequencerMetrics,
) -> eyre::Result<Plugins> {
    let slots = &config.plugins;
    if slots.ordering.is_none() && slots.fee.is_none() && slots.bridge.is_none() {
        return Ok(Plugins {
            fee_rule: Arc::new(native_fee),
            ordering: None,
        });
    }
    // Compiled plugins are cached in the datadir: a restart loads them without recompiling.
    let engine = Arc::new(
        PluginEngine::new()
            .map_err(|e| eyre::eyre!("cannot start the plugin engine: {e:#}"))?
            .with_cache_dir(config.node.datadir.join("plugin-cache")),
    );
    let fee_rule: Arc<dyn BaseFeeRule> = match &slots.fee {
        None => Arc::new(native_fee),
        Some(slot) => {
            let plugin = compile(&engine, "fee", slot, FeePlugin::new)?;
            let params = FeeParams {
                min_base_fee: config.fees.min_base_fee,
                max_base_fee: config.fees.max_base_fee,
                elasticity_multiplier: config.fees.elasticity_multiplier,
                max_change_denominator: config.fees.base_fee_max_change_denominator,
                max_change_bps: config.fees.max_base_fee_change_bps,
            };
            Arc::new(PluginFeeRule::new(
                engine.clone(),
                plugin,
                params,
                native_fee,
                metrics.fee_plugin_failures.clone(),
            ))
        }
    };
    let ordering = match &slots.ordering {
        None => None,
        Some(slot) => {
            let plugin = compile(&engine, "ordering", slot, OrderingPlugin::new)?;
            Some(PluginOrdering::new(
                engine.clone(),
                plugin,
                metrics.ordering_plugin_failures.clone(),
            ))
        }
    };
    if let Some(slot) = &slots.bridge {
        warn!(target: "keel::plugins", path = %slot.path.display(), "plugins.bridge is configured but deposits and withdrawals arrive with L1 settlement; the slot is not used yet");
    }
    Ok(Plugins { fee_rule, ordering })
}
