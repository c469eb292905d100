//! [`PluginAdmin`]: loading a plugin into a slot of a running node, as the admin API asks it.
//!
//! The admin API parses a request into a [`LoadPlugin`] and hands it to whatever implements the
//! trait (the node's plugin manager): so the API needs no WebAssembly runtime, and the one place
//! that compiles, checks, records and schedules a plugin is the manager.

use std::{path::PathBuf, time::Duration};

use crate::{PluginId, PluginSlot};

/// Where the component comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComponentSource {
    /// The bytes themselves.
    Bytes(Vec<u8>),
    /// A file on the node's machine (its manifest `<file>.toml` names it).
    File(PathBuf),
}

/// A request to load a plugin into a slot. Every `None` takes the slot's value from the node's
/// config (or the default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadPlugin {
    /// The slot.
    pub slot: PluginSlot,
    /// The component.
    pub component: ComponentSource,
    /// The first block it shapes (default: the next block not begun).
    pub activate_at: Option<u64>,
    /// Name to record (default: the manifest's, or `unnamed`).
    pub name: Option<String>,
    /// Version to record (default: the manifest's, or `unversioned`).
    pub version: Option<String>,
    /// Settings passed to every call.
    pub settings: Option<Vec<(String, String)>>,
    /// Fuel per call.
    pub fuel: Option<u64>,
    /// Memory limit per instance, MiB.
    pub memory_mb: Option<u64>,
    /// Wall-clock backstop per call.
    pub deadline: Option<Duration>,
}

/// One sample call of a conformance run and what it cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConformanceCall {
    /// The sample input's name.
    pub input: &'static str,
    /// Fuel the call consumed.
    pub fuel: u64,
    /// Wall-clock time of the call, including a fresh instance.
    pub elapsed: Duration,
    /// What the plugin answered, in a few words.
    pub answer: String,
}

/// A plugin loaded, checked, recorded and scheduled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedPlugin {
    /// Its slot.
    pub slot: PluginSlot,
    /// The plugin.
    pub plugin: PluginId,
    /// The first block it shapes.
    pub activates_at: u64,
    /// A swap of the same slot that was pending and is now replaced.
    pub replaced: Option<PluginId>,
    /// How long compiling took.
    pub compile: Duration,
    /// How long the conformance run took.
    pub conformance: Duration,
    /// The conformance run's calls.
    pub calls: Vec<ConformanceCall>,
}

/// Why a plugin was not loaded. In every case the active plugin stays.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadPluginError {
    /// The request itself cannot work: an unreadable file, a block already built, a limit out
    /// of range.
    #[error("{0}")]
    InvalidRequest(String),
    /// The component does not compile for the slot's world or fails its conformance run.
    #[error("plugin {plugin} rejected for slot {slot}; the active plugin stays: {reason}")]
    Rejected {
        /// The plugin.
        plugin: PluginId,
        /// The slot.
        slot: PluginSlot,
        /// What failed.
        reason: String,
    },
    /// The swap could not be recorded; nothing changed.
    #[error("cannot record the swap of slot {slot}; the active plugin stays: {reason}")]
    Persist {
        /// The slot.
        slot: PluginSlot,
        /// The store's error.
        reason: String,
    },
}

/// Loads plugins into a running node.
pub trait PluginAdmin: Send + Sync + core::fmt::Debug {
    /// Compiles the component for the slot's world, runs the conformance inputs, records the
    /// swap and schedules it at its block.
    fn load(&self, request: LoadPlugin) -> Result<LoadedPlugin, LoadPluginError>;
}
