//! The admin API (`keel_*`), served on its own address behind a JWT: loading a plugin into a slot
//! of the running node, and the plugin records of the public API.
//!
//! ```text
//!  keel_loadPlugin ─▶ parse ─▶ LoadPlugin ─▶ PluginAdmin::load (the node's plugin manager:
//!    compile for the slot's world ─▶ conformance run ─▶ persist as pending ─▶ active from block N)
//!  (any failure: an error naming the plugin and the input; the active plugin stays)
//! ```
//!
//! The API only parses and answers: it runs no plugin itself, so this crate links no
//! WebAssembly runtime.

use std::{collections::BTreeMap, path::PathBuf, sync::Arc, time::Duration};

use alloy_primitives::{Bytes, U64};
use keel_primitives::{
    PluginSlot,
    plugins::{ComponentSource, LoadPlugin, LoadPluginError, PluginAdmin},
};
use keel_storage::{Snapshot, Storage};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::{
    RpcError,
    jsonrpc::{Params, RpcResult},
    plugins::{PluginView, get_block_plugins, plugin_history},
    server::RpcModule,
};

/// Serves the admin methods.
#[derive(Debug)]
pub struct AdminApi {
    storage: Arc<Storage>,
    plugins: Arc<dyn PluginAdmin>,
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

impl LoadRequest {
    /// The request as the plugin manager takes it.
    fn into_load(self) -> RpcResult<LoadPlugin> {
        let slot: PluginSlot = self.slot.parse().map_err(RpcError::invalid_params)?;
        let component = match (self.wasm, self.path) {
            (Some(bytes), None) => ComponentSource::Bytes(bytes.to_vec()),
            (None, Some(path)) => ComponentSource::File(path),
            _ => {
                return Err(RpcError::invalid_params(
                    "give exactly one of `wasm` (hex bytes) and `path`",
                ));
            }
        };
        Ok(LoadPlugin {
            slot,
            component,
            activate_at: self.activate_at.map(|n| n.to()),
            name: self.name,
            version: self.version,
            settings: self.config.map(|config| config.into_iter().collect()),
            fuel: self.fuel,
            memory_mb: self.memory_mb,
            deadline: self.deadline_ms.map(Duration::from_millis),
        })
    }
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
    /// An admin API over the node's storage (the plugin records it serves) and its plugins.
    pub fn new(storage: Arc<Storage>, plugins: Arc<dyn PluginAdmin>) -> Self {
        Self { storage, plugins }
    }

    fn load_plugin(&self, params: &Params<'_>) -> RpcResult<Box<RawValue>> {
        let request: LoadRequest = params.required(0, "load request")?;
        let loaded = self
            .plugins
            .load(request.into_load()?)
            .map_err(|error| match error {
                LoadPluginError::InvalidRequest(_) => RpcError::invalid_params(error),
                LoadPluginError::Rejected { .. } => RpcError::server(error),
                LoadPluginError::Persist { .. } => RpcError::internal(error),
            })?;
        let response = LoadResponse {
            slot: loaded.slot.as_str(),
            plugin: (&loaded.plugin).into(),
            activates_at: U64::from(loaded.activates_at),
            replaced: loaded.replaced.as_ref().map(Into::into),
            compile_ms: loaded.compile.as_secs_f64() * 1e3,
            conformance_ms: loaded.conformance.as_secs_f64() * 1e3,
            conformance: loaded
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
            // Whole prover inputs (megabytes each): for operators, not the public port.
            "keel_getProverInput" => crate::batches::get_prover_input(snapshot, params),
            _ => Err(RpcError::method_not_found(method)),
        }
    }
}
