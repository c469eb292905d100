//! The plugins a node starts with: the chain's last activations, or the config's when it changed.
//!
//! Each slot's rule at start-up:
//! - the config names the same component (code hash) it named when the slot's last activation
//!   was recorded → the chain's last activation stands, swaps included: a restart keeps what
//!   `keel_loadPlugin` activated, and a swap still pending stays scheduled;
//! - otherwise (first start, or the operator changed `[plugins.<slot>]`) → the config wins from
//!   the next block, and that is recorded as an activation.
//!
//! Every plugin is compiled and passes the conformance run before the node starts: a node must
//! not silently run other rules than its operator asked for.

use std::{convert::Infallible, path::PathBuf, sync::Arc};

use eyre::{WrapErr, eyre};
use keel_config::{Config, FeeConfig, PluginSlotConfig};
use keel_plugin_host::{
    ActiveSet, FeeParams, Plugin, PluginEngine, PluginId, PluginLimits, PluginRegistry, PluginSlot,
    conformance, read_component,
};
use keel_rpc::SlotDefaults;
use keel_storage::{PluginActivation, PluginSource, PluginSpec, Storage};
use tracing::{info, warn};

/// The node's plugin registry, the engine that runs it, and what the admin API needs.
pub(crate) struct NodePlugins {
    pub(crate) engine: Arc<PluginEngine>,
    pub(crate) registry: Arc<PluginRegistry>,
    pub(crate) fees: FeeParams,
    /// By slot tag.
    pub(crate) defaults: [SlotDefaults; 3],
}

/// The bounds every fee plugin is held to, from `[fees]`.
pub(crate) const fn fee_params(fees: &FeeConfig) -> FeeParams {
    FeeParams {
        min_base_fee: fees.min_base_fee,
        max_base_fee: fees.max_base_fee,
        elasticity_multiplier: fees.elasticity_multiplier,
        max_change_denominator: fees.base_fee_max_change_denominator,
        max_change_bps: fees.max_base_fee_change_bps,
    }
}

fn slot_config(config: &Config, slot: PluginSlot) -> Option<&PluginSlotConfig> {
    match slot {
        PluginSlot::Ordering => config.plugins.ordering.as_ref(),
        PluginSlot::Fee => config.plugins.fee.as_ref(),
        PluginSlot::Bridge => config.plugins.bridge.as_ref(),
    }
}

fn limits(slot: &PluginSlotConfig) -> PluginLimits {
    PluginLimits {
        fuel: slot.fuel,
        memory_bytes: usize::try_from(slot.memory_mb << 20).unwrap_or(usize::MAX),
        deadline: slot.deadline,
    }
}

fn spec(id: &PluginId, limits: PluginLimits, settings: &[(String, String)]) -> PluginSpec {
    PluginSpec {
        id: id.clone(),
        settings: settings.to_vec(),
        fuel: limits.fuel,
        memory_bytes: limits.memory_bytes as u64,
        deadline: limits.deadline,
    }
}

/// Compiles `spec`'s component (`bytes`) for `slot` and runs the conformance inputs.
fn prepare(
    engine: &PluginEngine,
    fees: FeeParams,
    slot: PluginSlot,
    origin: &std::path::Path,
    spec: &PluginSpec,
    bytes: &[u8],
) -> eyre::Result<Plugin> {
    let limits = PluginLimits {
        fuel: spec.fuel,
        memory_bytes: usize::try_from(spec.memory_bytes).unwrap_or(usize::MAX),
        deadline: spec.deadline,
    };
    let plugin = Plugin::compile(
        engine,
        slot,
        origin,
        spec.id.clone(),
        bytes,
        limits,
        spec.settings.clone(),
    )?;
    conformance::run(engine, &plugin, fees)?;
    Ok(plugin)
}

/// Resolves, compiles and checks every slot's plugin, and records the activations the config
/// causes.
pub(crate) fn load(config: &Config, storage: &Storage) -> eyre::Result<NodePlugins> {
    // Compiled plugins are cached in the datadir: a restart loads them without recompiling.
    let engine = Arc::new(
        PluginEngine::new()
            .map_err(|e| eyre!("cannot start the plugin engine: {e:#}"))?
            .with_cache_dir(config.node.datadir.join("plugin-cache")),
    );
    let fees = fee_params(&config.fees);
    let snapshot = storage.snapshot()?;
    let next = snapshot.head_number()? + 1;
    let pending = snapshot.pending_plugins()?;

    let mut active = ActiveSet::default();
    let mut defaults: [SlotDefaults; 3] = Default::default();
    let mut records: Vec<(PluginActivation, Option<Vec<u8>>)> = Vec::new();
    let mut reschedule = Vec::new();
    for slot in PluginSlot::ALL {
        let key = || format!("plugins.{slot}");
        let configured = match slot_config(config, slot) {
            None => None,
            Some(c) => {
                let (id, bytes) = read_component(&c.path).wrap_err_with(key)?;
                let settings: Vec<(String, String)> = c
                    .config
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Some((c, spec(&id, limits(c), &settings), bytes))
            }
        };
        let config_hash = configured.as_ref().map(|(_, spec, _)| spec.id.code_hash);
        defaults[usize::from(slot.tag())] = SlotDefaults {
            limits: configured
                .as_ref()
                .map_or_else(PluginLimits::default, |(c, ..)| limits(c)),
            settings: configured
                .as_ref()
                .map(|(_, spec, _)| spec.settings.clone())
                .unwrap_or_default(),
            config_hash,
        };
        let last = snapshot.active_plugin(slot)?;
        let pending = pending.iter().find(|p| p.slot == slot);

        match last {
            Some(last) if last.config_hash == config_hash => {
                // The config is as it was: the chain's last activation stands.
                // Both come from the database: the component bytes of every plugin ever
                // loaded are kept there.
                let stored = |spec: &PluginSpec| -> eyre::Result<Plugin> {
                    let bytes = snapshot.plugin_code(spec.id.code_hash)?.ok_or_else(|| {
                        eyre!("the component of {} is missing from the database", spec.id)
                    })?;
                    let origin = PathBuf::from(format!("<{} from the database>", spec.id));
                    prepare(&engine, fees, slot, &origin, spec, &bytes)
                };
                if let Some(spec) = &last.plugin {
                    let plugin = stored(spec).wrap_err_with(|| {
                        format!("{}: {} (activated at block {} by {}) no longer loads; name a replacement in [plugins.{slot}] of the config", key(), spec.id, last.block, last.source.as_str())
                    })?;
                    info!(target: "keel::plugins", %slot, plugin = %spec.id, since = last.block, source = last.source.as_str(), "plugin loaded");
                    active.insert(Arc::new(plugin));
                }
                if let Some(pending) = pending
                    && let Some(spec) = &pending.plugin
                {
                    let plugin = stored(spec).wrap_err_with(|| {
                        format!("{}: the pending swap to {} no longer loads", key(), spec.id)
                    })?;
                    let at = pending.block.max(next);
                    info!(target: "keel::plugins", %slot, plugin = %spec.id, at, "pending plugin swap kept");
                    reschedule.push((Arc::new(plugin), at));
                }
            }
            last => {
                if last.is_none() && configured.is_none() {
                    continue; // Native from the start, never recorded otherwise.
                }
                if let Some(last) = &last {
                    warn!(target: "keel::plugins", %slot, since = last.block, "[plugins.{slot}] changed since the slot's last activation; the config's choice takes effect at block {next}");
                }
                if let Some(pending) = pending {
                    warn!(target: "keel::plugins", %slot, at = pending.block, "a pending swap of slot {slot} is dropped: the config changed");
                }
                let code = match configured {
                    None => None,
                    Some((c, spec, bytes)) => {
                        let plugin = prepare(&engine, fees, slot, &c.path, &spec, &bytes)
                            .wrap_err_with(key)?;
                        info!(target: "keel::plugins", %slot, plugin = %spec.id, "plugin loaded");
                        active.insert(Arc::new(plugin));
                        Some((spec, bytes))
                    }
                };
                let (spec, bytes) = code.unzip();
                records.push((
                    PluginActivation {
                        slot,
                        block: next,
                        plugin: spec,
                        source: PluginSource::Config,
                        config_hash,
                    },
                    bytes,
                ));
            }
        }
    }
    drop(snapshot);
    let records: Vec<(PluginActivation, Option<&[u8]>)> = records
        .iter()
        .map(|(activation, bytes)| (activation.clone(), bytes.as_deref()))
        .collect();
    storage.record_activations(&records)?;

    let registry = Arc::new(PluginRegistry::new(active, next));
    for (plugin, at) in reschedule {
        // Already recorded as pending: nothing to persist.
        registry
            .schedule(plugin, Some(at), |_| Ok::<_, Infallible>(()))
            .map_err(|e| eyre!("cannot reschedule a pending plugin swap: {e}"))?;
    }
    if config.plugins.bridge.is_some() && config.settlement().is_none() {
        warn!(target: "keel::plugins", "plugins.bridge is configured but there is no [l1] section: no deposits arrive, so the plugin is never called");
    }
    Ok(NodePlugins {
        engine,
        registry,
        fees,
        defaults,
    })
}
