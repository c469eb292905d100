//! The admin API (`keel_*`), served on its own address behind a JWT: loading a plugin into a slot
//! of the running node, and the plugin records of the public API.
//!
//! ```text
//!  keel_loadPlugin ─▶ bytes (hex or a path on the node) ─▶ compile for the slot's world
//!    ─▶ conformance run ─▶ persist as pending ─▶ registry: active from block N
//!  (any failure: an error naming the plugin and the input; the active plugin stays)
//! ```

use std::{collections::BTreeMap, path::PathBuf, sync::Arc, time::Instant};

use alloy_primitives::{B256, Bytes, U64};
use keel_plugin_host::{
    FeeParams, Plugin, PluginEngine, PluginId, PluginLimits, PluginRegistry, PluginSlot,
    ScheduleError, conformance, read_component,
};
use keel_storage::{PluginActivation, PluginSource, PluginSpec, Snapshot, Storage};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tracing::info;

use crate::{
    RpcError,
    jsonrpc::{Params, RpcResult},
    plugins::{PluginView, get_block_plugins, plugin_history},
    server::RpcModule,
};

/// What a slot's plugin gets when `keel_loadPlugin` does not say: the limits and settings of the
/// slot in the node's config (or the defaults), and the code hash of the component the config
/// names there (recorded with the swap, see [`PluginActivation::config_hash`]).
#[derive(Debug, Clone, Default)]
pub struct SlotDefaults {
    /// Limits per call.
    pub limits: PluginLimits,
    /// Settings passed to every call.
    pub settings: Vec<(String, String)>,
    /// The config's component for this slot.
    pub config_hash: Option<B256>,
}

/// Serves the admin methods.
#[derive(Debug)]
pub struct AdminApi {
    storage: Arc<Storage>,
    engine: Arc<PluginEngine>,
    registry: Arc<PluginRegistry>,
    fees: FeeParams,
    /// By slot tag.
    slots: [SlotDefaults; 3],
}

/// `keel_loadPlugin`'s one argument.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LoadRequest {
    /// `ordering`, `fee` or `bridge`.
    slot: String,
    /// The component, hex-encoded; or:
    wasm: Option<Bytes>,
    /// A path to the component on the node's machine (its manifest names it).
    path: Option<PathBuf>,
    /// The first block it shapes (default: the next block not begun).
    activate_at: Option<U64>,
    /// Name and version to record (default: the manifest's, or `unnamed`/`unversioned`).
    name: Option<String>,
    version: Option<String>,
    /// Settings (default: the slot's `config` in the node's config).
    config: Option<BTreeMap<String, String>>,
    /// Limits (default: the slot's in the node's config).
    fuel: Option<u64>,
    memory_mb: Option<u64>,
    deadline_ms: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConformanceView {
    input: &'static str,
    fuel: u64,
    micros: u64,
    answer: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LoadResponse<'a> {
    slot: &'static str,
    plugin: PluginView<'a>,
    /// The first block the plugin shapes.
    activates_at: U64,
    /// A swap of the same slot that was pending and is now replaced.
    replaced: Option<PluginView<'a>>,
    compile_ms: f64,
    conformance_ms: f64,
    conformance: Vec<ConformanceView>,
}

impl AdminApi {
    /// An admin API over the node's storage and plugin registry.
    pub fn new(
        storage: Arc<Storage>,
        engine: Arc<PluginEngine>,
        registry: Arc<PluginRegistry>,
        fees: FeeParams,
        slots: [SlotDefaults; 3],
    ) -> Self {
        Self {
            storage,
            engine,
            registry,
            fees,
            slots,
        }
    }

    fn load_plugin(&self, params: &Params<'_>) -> RpcResult<Box<RawValue>> {
        let request: LoadRequest = params.required(0, "load request")?;
        let slot: PluginSlot = request.slot.parse().map_err(RpcError::invalid_params)?;
        let defaults = &self.slots[usize::from(slot.tag())];
        let (origin, mut id, bytes) = match (request.wasm, request.path) {
            (Some(bytes), None) => {
                let id = PluginId::new("unnamed", "unversioned", &bytes);
                (PathBuf::from("<keel_loadPlugin bytes>"), id, bytes.to_vec())
            }
            (None, Some(path)) => {
                let (id, bytes) = read_component(&path).map_err(RpcError::invalid_params)?;
                (path, id, bytes)
            }
            _ => {
                return Err(RpcError::invalid_params(
                    "give exactly one of `wasm` (hex bytes) and `path`",
                ));
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
            deadline: request
                .deadline_ms
                .map_or(defaults.limits.deadline, std::time::Duration::from_millis),
        };
        let settings: Vec<(String, String)> = match request.config {
            Some(config) => config.into_iter().collect(),
            None => defaults.settings.clone(),
        };

        let rejected = |error: &dyn core::fmt::Display| {
            RpcError::server(format!(
                "plugin {id} rejected for slot {slot}; the active plugin stays: {error}"
            ))
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
        .map_err(|e| rejected(&e))?;
        let compile_ms = started.elapsed().as_secs_f64() * 1e3;
        let started = Instant::now();
        let report =
            conformance::run(&self.engine, &plugin, self.fees).map_err(|e| rejected(&e))?;
        let conformance_ms = started.elapsed().as_secs_f64() * 1e3;

        let spec = PluginSpec {
            id: id.clone(),
            settings,
            fuel: limits.fuel,
            memory_bytes: limits.memory_bytes as u64,
            deadline: limits.deadline,
        };
        let (activates_at, replaced) = self
            .registry
            .schedule(
                Arc::new(plugin),
                request.activate_at.map(|n| n.to()),
                |block| {
                    let activation = PluginActivation {
                        slot,
                        block,
                        plugin: Some(spec),
                        source: PluginSource::Admin,
                        config_hash: defaults.config_hash,
                    };
                    self.storage.put_pending_plugin(&activation, &bytes)
                },
            )
            .map_err(|error| match error {
                ScheduleError::Past { .. } => RpcError::invalid_params(error),
                ScheduleError::Persist(e) => RpcError::internal(format!(
                    "cannot record the swap of slot {slot}; the active plugin stays: {e}"
                )),
            })?;
        info!(target: "keel::plugins", %slot, plugin = %id, activates_at, compile_ms, conformance_ms, "plugin swap scheduled");
        let replaced_id = replaced.map(|s| s.plugin.id().clone());
        let response = LoadResponse {
            slot: slot.as_str(),
            plugin: (&id).into(),
            activates_at: U64::from(activates_at),
            replaced: replaced_id.as_ref().map(Into::into),
            compile_ms,
            conformance_ms,
            conformance: report
                .calls
                .into_iter()
                .map(|c| ConformanceView {
                    input: c.input,
                    fuel: c.fuel,
                    micros: u64::try_from(c.elapsed.as_micros()).unwrap_or(u64::MAX),
                    answer: c.answer,
                })
                .collect(),
        };
        serde_json::value::to_raw_value(&response).map_err(RpcError::internal)
    }
}

impl RpcModule for AdminApi {
    type Context = Snapshot;

    fn begin(&self) -> RpcResult<Snapshot> {
        Ok(self.storage.snapshot()?)
    }

    fn dispatch(
        &self,
        snapshot: &Snapshot,
        method: &str,
        params: &Params<'_>,
    ) -> RpcResult<Box<RawValue>> {
        match method {
            "keel_loadPlugin" => self.load_plugin(params),
            "keel_getBlockPlugins" => get_block_plugins(snapshot, params),
            "keel_pluginHistory" => plugin_history(snapshot, params),
            _ => Err(RpcError::method_not_found(method)),
        }
    }
}
