//! `keel_getBlockPlugins` and `keel_pluginHistory`: which plugins shaped the chain. Served on the
//! public API (anyone may audit a block) and on the admin API.

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{B256, U64};
use keel_primitives::{BlockPlugin, PluginActivation, PluginId, PluginSlot};
use keel_storage::Snapshot;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::{
    RpcError,
    block_id::resolve_number,
    jsonrpc::{Params, RpcResult, json},
};

/// A plugin as RPC shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PluginView<'a> {
    pub(crate) name: &'a str,
    pub(crate) version: &'a str,
    pub(crate) code_hash: B256,
}

impl<'a> From<&'a PluginId> for PluginView<'a> {
    fn from(id: &'a PluginId) -> Self {
        Self {
            name: &id.name,
            version: &id.version,
            code_hash: id.code_hash,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BlockPluginView<'a> {
    slot: &'static str,
    #[serde(flatten)]
    plugin: PluginView<'a>,
    /// The plugin failed for this block; the native rule decided instead.
    fell_back: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BlockPluginsView<'a> {
    number: U64,
    /// Slots not listed used the native rule.
    plugins: Vec<BlockPluginView<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActivationView<'a> {
    /// First block shaped (for a pending swap: the block asked for).
    block: U64,
    /// `config` or `admin`.
    source: &'static str,
    /// `null`: the native rule.
    plugin: Option<SpecView<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpecView<'a> {
    #[serde(flatten)]
    id: PluginView<'a>,
    fuel: U64,
    memory_bytes: U64,
    deadline_ms: U64,
    config: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HistoryView<'a> {
    slot: &'static str,
    /// Oldest first; the last is the slot's active plugin.
    activations: Vec<ActivationView<'a>>,
    /// A swap waiting for its block.
    pending: Option<ActivationView<'a>>,
}

fn activation_view(activation: &PluginActivation) -> ActivationView<'_> {
    ActivationView {
        block: U64::from(activation.block),
        source: activation.source.as_str(),
        plugin: activation.plugin.as_ref().map(|spec| SpecView {
            id: (&spec.id).into(),
            fuel: U64::from(spec.fuel),
            memory_bytes: U64::from(spec.memory_bytes),
            deadline_ms: U64::from(u64::try_from(spec.deadline.as_millis()).unwrap_or(u64::MAX)),
            config: spec
                .settings
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect(),
        }),
    }
}

/// `keel_getBlockPlugins(block)`: the plugins that shaped a block; `null` for an unknown block.
pub(crate) fn get_block_plugins(
    snapshot: &Snapshot,
    params: &Params<'_>,
) -> RpcResult<Box<RawValue>> {
    let tag: BlockNumberOrTag = params.required(0, "block number")?;
    let Some(number) = resolve_number(snapshot, tag)? else {
        return json(());
    };
    // Genesis was shaped by no plugin.
    let used: Vec<BlockPlugin> = snapshot.block_plugins(number)?.unwrap_or_default();
    json(BlockPluginsView {
        number: U64::from(number),
        plugins: used
            .iter()
            .map(|p| BlockPluginView {
                slot: p.slot.as_str(),
                plugin: (&p.id).into(),
                fell_back: p.fell_back,
            })
            .collect(),
    })
}

/// The slot named by argument `index`.
pub(crate) fn slot_param(params: &Params<'_>, index: usize) -> RpcResult<PluginSlot> {
    let name: String = params.required(index, "slot")?;
    name.parse().map_err(RpcError::invalid_params)
}

/// `keel_pluginHistory(slot)`: every activation of a slot and its pending swap.
pub(crate) fn plugin_history(snapshot: &Snapshot, params: &Params<'_>) -> RpcResult<Box<RawValue>> {
    let slot = slot_param(params, 0)?;
    let history = snapshot.plugin_history(slot)?;
    let pending = snapshot
        .pending_plugins()?
        .into_iter()
        .find(|p| p.slot == slot);
    json(HistoryView {
        slot: slot.as_str(),
        activations: history.iter().map(activation_view).collect(),
        pending: pending.as_ref().map(activation_view),
    })
}
