//! [`PluginManager`]: a plugin's whole life in a node — compile, conformance run, record,
//! schedule, activate at a block boundary.
//!
//! ```text
//!  start:  [plugins] config + the chain's records ─▶ per slot: keep the last activation, or
//!          take the config's (recorded) ─▶ compile + conformance for each ─▶ registry
//!  load:   LoadPlugin (admin API) ─▶ compile for the slot's world ─▶ conformance run
//!          ─▶ under the registry lock: record as pending + schedule at block N
//!  block:  registry.begin_block(n) (the proposer) ─▶ swaps due take effect
//! ```
//!
//! Each slot's rule at start-up:
//! - the config names the same component (code hash) it named when the slot's last activation
//!   was recorded → the chain's last activation stands, swaps included: a restart keeps what
//!   the admin API activated, and a swap still pending stays scheduled;
//! - otherwise (first start, or the operator changed `[plugins.<slot>]`) → the config wins from
//!   the next block, and that is recorded as an activation.
//!
//! Every plugin is compiled and passes the conformance run before the node starts: a node must
//! not silently run other rules than its operator asked for.

use std::{
    convert::Infallible,
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::B256;
use keel_primitives::{
    PluginActivation, PluginRecords, PluginSource, PluginSpec,
    plugins::{
        ComponentSource, LoadPlugin, LoadPluginError, LoadedPlugin, PluginAdmin, RecordsError,
    },
};
use tracing::{info, warn};

use crate::{
    ActiveSet, FeeParams, Plugin, PluginEngine, PluginError, PluginId, PluginLimits,
    PluginRegistry, PluginSlot, PluginsConfig, ScheduleError, conformance, read_component,
};

/// Why a node's plugins could not be set up; each names the config key to look at.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The component the config names does not load or fails its conformance run.
    #[error("plugins.{slot}: {source}")]
    Configured {
        /// The slot.
        slot: PluginSlot,
        /// What failed.
        #[source]
        source: PluginError,
    },
    /// A plugin the chain activated earlier no longer loads.
    #[error(
        "plugins.{slot}: {plugin} (activated at block {block} by {by}) no longer loads; name a \
         replacement in [plugins.{slot}] of the config: {source}"
    )]
    Activated {
        /// The slot.
        slot: PluginSlot,
        /// The plugin.
        plugin: PluginId,
        /// Its first block.
        block: u64,
        /// Who activated it (`config`, `admin`).
        by: &'static str,
        /// What failed.
        #[source]
        source: Box<StartError>,
    },
    /// A swap the chain has pending no longer loads.
    #[error("plugins.{slot}: the pending swap to {plugin} no longer loads: {source}")]
    Pending {
        /// The slot.
        slot: PluginSlot,
        /// The plugin.
        plugin: PluginId,
        /// What failed.
        #[source]
        source: Box<StartError>,
    },
    /// A recorded plugin's component bytes are not in the records.
    #[error("the component of {0} is missing from the database")]
    MissingCode(PluginId),
    /// A stored plugin fails to compile or its conformance run.
    #[error(transparent)]
    Plugin(#[from] PluginError),
    /// The records could not be read or written.
    #[error("plugin records: {0}")]
    Records(RecordsError),
}

/// What a slot's plugin gets when a load request does not say: the limits and settings of the
/// slot in the node's config (or the defaults), and the code hash of the component the config
/// names there (recorded with a swap, see [`PluginActivation::config_hash`]).
#[derive(Debug, Clone, Default)]
struct SlotDefaults {
    limits: PluginLimits,
    settings: Vec<(String, String)>,
    config_hash: Option<B256>,
}

/// Owns the node's plugins: the engine that runs them, the registry the proposer begins each
/// block with, the bounds of fee rules, and the records of the chain.
#[derive(Debug)]
pub struct PluginManager {
    engine: Arc<PluginEngine>,
    registry: Arc<PluginRegistry>,
    fees: FeeParams,
    /// By slot tag.
    slots: [SlotDefaults; 3],
    records: Arc<dyn PluginRecords>,
}

impl PluginManager {
    /// Resolves, compiles and checks every slot's plugin (see the module docs) and records the
    /// activations the config causes.
    pub fn start(
        engine: Arc<PluginEngine>,
        config: &PluginsConfig,
        fees: FeeParams,
        records: Arc<dyn PluginRecords>,
    ) -> Result<Self, StartError> {
        let next = records.next_block().map_err(StartError::Records)?;
        let pending = records.pending_plugins().map_err(StartError::Records)?;
        let mut active = ActiveSet::default();
        let mut slots: [SlotDefaults; 3] = Default::default();
        let mut decided: Vec<(PluginActivation, Option<Vec<u8>>)> = Vec::new();
        let mut reschedule = Vec::new();
        let prepare = |slot, origin: &Path, spec: &PluginSpec, bytes: &[u8]| {
            let plugin = Plugin::compile(
                &engine,
                slot,
                origin,
                spec.id.clone(),
                bytes,
                PluginLimits::from(spec),
                spec.settings.clone(),
            )?;
            conformance::run(&engine, &plugin, fees)?;
            Ok::<_, PluginError>(plugin)
        };
        let stored = |slot, spec: &PluginSpec| -> Result<Plugin, StartError> {
            let bytes = records
                .plugin_code(spec.id.code_hash)
                .map_err(StartError::Records)?
                .ok_or_else(|| StartError::MissingCode(spec.id.clone()))?;
            let origin = PathBuf::from(format!("<{} from the database>", spec.id));
            Ok(prepare(slot, &origin, spec, &bytes)?)
        };

        for slot in PluginSlot::ALL {
            let configured = match config.slot(slot) {
                None => None,
                Some(c) => {
                    let (id, bytes) = read_component(&c.path)
                        .map_err(|source| StartError::Configured { slot, source })?;
                    Some((c, spec(id, c.limits(), c.settings()), bytes))
                }
            };
            let config_hash = configured.as_ref().map(|(_, spec, _)| spec.id.code_hash);
            slots[usize::from(slot.tag())] = SlotDefaults {
                limits: configured
                    .as_ref()
                    .map_or_else(PluginLimits::default, |(c, ..)| c.limits()),
                settings: configured
                    .as_ref()
                    .map(|(_, spec, _)| spec.settings.clone())
                    .unwrap_or_default(),
                config_hash,
            };
            let last = records.active_plugin(slot).map_err(StartError::Records)?;
            let pending = pending.iter().find(|p| p.slot == slot);

            match last {
                Some(last) if last.config_hash == config_hash => {
                    // The config is as it was: the chain's last activation stands, and with it
                    // a pending swap. Both come from the records, which keep every component.
                    if let Some(spec) = &last.plugin {
                        let plugin =
                            stored(slot, spec).map_err(|source| StartError::Activated {
                                slot,
                                plugin: spec.id.clone(),
                                block: last.block,
                                by: last.source.as_str(),
                                source: Box::new(source),
                            })?;
                        info!(target: "keel::plugins", %slot, plugin = %spec.id, since = last.block, source = last.source.as_str(), "plugin loaded");
                        active.insert(Arc::new(plugin));
                    }
                    if let Some(pending) = pending
                        && let Some(spec) = &pending.plugin
                    {
                        let plugin = stored(slot, spec).map_err(|source| StartError::Pending {
                            slot,
                            plugin: spec.id.clone(),
                            source: Box::new(source),
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
                    let (plugin, code) = match configured {
                        None => (None, None),
                        Some((c, spec, bytes)) => {
                            let plugin = prepare(slot, &c.path, &spec, &bytes)
                                .map_err(|source| StartError::Configured { slot, source })?;
                            info!(target: "keel::plugins", %slot, plugin = %spec.id, "plugin loaded");
                            active.insert(Arc::new(plugin));
                            (Some(spec), Some(bytes))
                        }
                    };
                    decided.push((
                        PluginActivation {
                            slot,
                            block: next,
                            plugin,
                            source: PluginSource::Config,
                            config_hash,
                        },
                        code,
                    ));
                }
            }
        }
        let decided: Vec<(PluginActivation, Option<&[u8]>)> = decided
            .iter()
            .map(|(activation, code)| (activation.clone(), code.as_deref()))
            .collect();
        records
            .record_activations(&decided)
            .map_err(StartError::Records)?;

        let registry = Arc::new(PluginRegistry::new(active, next));
        for (plugin, at) in reschedule {
            // Recorded as pending already: nothing to persist.
            let scheduled = registry.schedule(plugin, Some(at), |_| Ok::<_, Infallible>(()));
            debug_assert!(scheduled.is_ok(), "{at} is not before {next}");
        }
        Ok(Self {
            engine,
            registry,
            fees,
            slots,
            records,
        })
    }

    /// The engine plugins run on.
    pub const fn engine(&self) -> &Arc<PluginEngine> {
        &self.engine
    }

    /// The registry the proposer begins each block with.
    pub const fn registry(&self) -> &Arc<PluginRegistry> {
        &self.registry
    }

    /// The bounds every fee plugin is held to.
    pub const fn fee_params(&self) -> FeeParams {
        self.fees
    }
}

impl PluginAdmin for PluginManager {
    fn load(&self, request: LoadPlugin) -> Result<LoadedPlugin, LoadPluginError> {
        let slot = request.slot;
        let defaults = &self.slots[usize::from(slot.tag())];
        let (origin, mut id, bytes) = match request.component {
            ComponentSource::Bytes(bytes) if bytes.len() as u64 > crate::MAX_COMPONENT_BYTES => {
                return Err(LoadPluginError::InvalidRequest(format!(
                    "the component is {} bytes, more than the {} a component may have",
                    bytes.len(),
                    crate::MAX_COMPONENT_BYTES
                )));
            }
            ComponentSource::Bytes(bytes) => {
                let id = PluginId::new("unnamed", "unversioned", &bytes);
                (PathBuf::from("<keel_loadPlugin bytes>"), id, bytes)
            }
            ComponentSource::File(path) => {
                let (id, bytes) = read_component(&path)
                    .map_err(|e| LoadPluginError::InvalidRequest(e.to_string()))?;
                (path, id, bytes)
            }
        };
        if let Some(name) = request.name {
            id.name = name;
        }
        if let Some(version) = request.version {
            id.version = version;
        }
        let limits = PluginLimits {
            fuel: request.fuel.unwrap_or(defaults.limits.fuel),
            memory_bytes: request
                .memory_mb
                .map_or(defaults.limits.memory_bytes, |mb| {
                    usize::try_from(mb << 20).unwrap_or(usize::MAX)
                }),
            deadline: request.deadline.unwrap_or(defaults.limits.deadline),
        };
        // What the request asks for is held to the bounds a config file is (the slot's own
        // limits were checked with the config).
        crate::config::check_limits(
            request.fuel.unwrap_or(1),
            request.memory_mb.unwrap_or(1),
            request.deadline.unwrap_or(Duration::from_millis(1)),
        )
        .map_err(LoadPluginError::InvalidRequest)?;
        let settings = request
            .settings
            .unwrap_or_else(|| defaults.settings.clone());
        let rejected = |error: PluginError| LoadPluginError::Rejected {
            plugin: id.clone(),
            slot,
            reason: error.to_string(),
        };

        let started = Instant::now();
        let plugin = Plugin::compile(
            &self.engine,
            slot,
            &origin,
            id.clone(),
            &bytes,
            limits,
            settings.clone(),
        )
        .map_err(rejected)?;
        let compile = started.elapsed();
        let started = Instant::now();
        let report = conformance::run(&self.engine, &plugin, self.fees).map_err(rejected)?;
        let conformance = started.elapsed();

        let spec = spec(id.clone(), limits, settings);
        let (activates_at, replaced) = self
            .registry
            .schedule(Arc::new(plugin), request.activate_at, |block| {
                let activation = PluginActivation {
                    slot,
                    block,
                    plugin: Some(spec),
                    source: PluginSource::Admin,
                    config_hash: defaults.config_hash,
                };
                self.records.put_pending_plugin(&activation, &bytes)
            })
            .map_err(|error| match error {
                ScheduleError::Past { .. } => LoadPluginError::InvalidRequest(error.to_string()),
                ScheduleError::Persist(e) => LoadPluginError::Persist {
                    slot,
                    reason: e.to_string(),
                },
            })?;
        info!(target: "keel::plugins", %slot, plugin = %id, activates_at, compile_ms = compile.as_secs_f64() * 1e3, conformance_ms = conformance.as_secs_f64() * 1e3, "plugin swap scheduled");
        Ok(LoadedPlugin {
            slot,
            plugin: id,
            activates_at,
            replaced: replaced.map(|s| s.plugin.id().clone()),
            compile,
            conformance,
            calls: report.calls,
        })
    }
}

/// The record of `id` loaded with `limits` and `settings`.
fn spec(id: PluginId, limits: PluginLimits, settings: Vec<(String, String)>) -> PluginSpec {
    PluginSpec {
        id,
        settings,
        fuel: limits.fuel,
        memory_bytes: limits.memory_bytes as u64,
        deadline: limits.deadline,
    }
}

impl From<&PluginSpec> for PluginLimits {
    fn from(spec: &PluginSpec) -> Self {
        Self {
            fuel: spec.fuel,
            memory_bytes: usize::try_from(spec.memory_bytes).unwrap_or(usize::MAX),
            deadline: spec.deadline,
        }
    }
}
