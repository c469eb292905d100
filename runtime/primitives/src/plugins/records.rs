//! What the chain remembers about plugins, and [`PluginRecords`]: where it keeps it.
//!
//! Each slot's activations form its history (the last one is the slot's active plugin); a swap
//! waits as pending until its block; every block records the plugins that shaped it. The node's
//! database implements [`PluginRecords`]; the plugin manager reads it at start-up and writes a
//! pending swap through it, so the host that runs plugins never sees the database.

use std::time::Duration;

use alloy_primitives::B256;

use crate::{PluginId, PluginSlot};

/// Who asked for an activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginSource {
    /// The node's config (`[plugins.<slot>]`) at start-up.
    Config,
    /// The admin API (`keel_loadPlugin`, `keel plugin swap`).
    Admin,
}

impl PluginSource {
    /// `config` or `admin`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Config => "config",
            Self::Admin => "admin",
        }
    }
}

/// A plugin as it was loaded: which component, with which settings and limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginSpec {
    /// Name, version and code hash (the bytes are kept by the records).
    pub id: PluginId,
    /// Settings passed to every call.
    pub settings: Vec<(String, String)>,
    /// Fuel per call.
    pub fuel: u64,
    /// Linear-memory limit, bytes.
    pub memory_bytes: u64,
    /// Wall-clock backstop per call.
    pub deadline: Duration,
}

/// A slot taking a new plugin (or going back to the native rule) from a block on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginActivation {
    /// The slot.
    pub slot: PluginSlot,
    /// The first block it shapes.
    pub block: u64,
    /// The plugin; `None` is the native rule.
    pub plugin: Option<PluginSpec>,
    /// Who asked.
    pub source: PluginSource,
    /// The code hash of the component the config named for this slot when this was recorded
    /// (`None`: the config named none). At start-up a config that still names the same
    /// component keeps the chain's last activation; a changed config wins.
    pub config_hash: Option<B256>,
}

/// One plugin that shaped a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockPlugin {
    /// Its slot.
    pub slot: PluginSlot,
    /// The plugin.
    pub id: PluginId,
    /// It failed for this block and the native rule was used instead.
    pub fell_back: bool,
}

/// A failure of the store behind [`PluginRecords`] (the node's database), passed through as is.
pub type RecordsError = Box<dyn core::error::Error + Send + Sync>;

/// Where the chain keeps its plugin records. Implemented by the node's database.
pub trait PluginRecords: Send + Sync + core::fmt::Debug {
    /// The first block not built yet: the earliest a swap can take effect at.
    fn next_block(&self) -> Result<u64, RecordsError>;

    /// The slot's last activation (its active plugin), if it ever had one.
    fn active_plugin(&self, slot: PluginSlot) -> Result<Option<PluginActivation>, RecordsError>;

    /// The swaps waiting for their block, at most one per slot.
    fn pending_plugins(&self) -> Result<Vec<PluginActivation>, RecordsError>;

    /// The component bytes of the plugin with `code_hash`, if it was ever loaded.
    fn plugin_code(&self, code_hash: B256) -> Result<Option<Vec<u8>>, RecordsError>;

    /// Records activations decided at start-up, with the component bytes of each new plugin,
    /// all at once; a pending swap of the same slot is dropped.
    fn record_activations(
        &self,
        activations: &[(PluginActivation, Option<&[u8]>)],
    ) -> Result<(), RecordsError>;

    /// Records a swap that waits for its block, with its component bytes, replacing any swap
    /// pending for the same slot.
    fn put_pending_plugin(
        &self,
        activation: &PluginActivation,
        code: &[u8],
    ) -> Result<(), RecordsError>;
}
