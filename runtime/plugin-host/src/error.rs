//! Plugin errors: each names the plugin, its version and the call.

use std::{path::PathBuf, sync::Arc};

use crate::{PluginId, invariants::InvariantViolation};

/// Which plugin and which call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSite {
    /// The plugin (shared: every call names it, none copies it).
    pub plugin: Arc<PluginId>,
    /// The exported function, e.g. `order`.
    pub call: &'static str,
}

impl core::fmt::Display for CallSite {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "plugin {} `{}`", self.plugin, self.call)
    }
}

/// A plugin failure. The node logs it, counts it, and builds the block with the fallback; it
/// never stops block production.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The `.wasm` file could not be read.
    #[error("cannot read plugin {path} (build the reference plugins with `plugins/build.sh`)")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The component is larger than [`crate::MAX_COMPONENT_BYTES`].
    #[error("plugin {path} is {size} bytes, more than the {max} a component may have")]
    TooLarge {
        /// The file (or `<bytes>`).
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The bytes are not a valid component, or it does not implement the expected world.
    #[error("{path} is not a `{world}` component: {reason}")]
    Invalid {
        /// The file (or `<bytes>`).
        path: PathBuf,
        /// The world it was loaded for.
        world: &'static str,
        /// wasmtime's reason.
        reason: String,
    },
    /// Ran out of fuel: deterministic, the same on every machine.
    #[error("{site} ran out of fuel ({fuel} units); raise `fuel` for this plugin or fix its loop")]
    OutOfFuel {
        /// Where.
        site: CallSite,
        /// The budget.
        fuel: u64,
    },
    /// Tried to grow its memory past the limit.
    #[error("{site} exceeded its memory limit of {limit_bytes} bytes")]
    MemoryLimit {
        /// Where.
        site: CallSite,
        /// The limit.
        limit_bytes: usize,
    },
    /// The wall-clock backstop fired (a local fault, never a consensus result).
    #[error("{site} hit the wall-clock deadline")]
    Deadline {
        /// Where.
        site: CallSite,
    },
    /// The plugin trapped.
    #[error("{site} trapped: {message}")]
    Trap {
        /// Where.
        site: CallSite,
        /// wasmtime's description.
        message: String,
    },
    /// The plugin returned an error of its own.
    #[error("{site} refused: {reason}")]
    Refused {
        /// Where.
        site: CallSite,
        /// The plugin's message.
        reason: String,
    },
    /// The plugin's answer breaks a host invariant.
    #[error("{site} broke an invariant: {violation}")]
    Invariant {
        /// Where.
        site: CallSite,
        /// What.
        violation: InvariantViolation,
    },
    /// The plugin failed on one of the sample inputs a new plugin must handle before it is
    /// activated.
    #[error("failed the conformance run on input `{input}`: {source}")]
    Conformance {
        /// The sample input.
        input: &'static str,
        /// The failure.
        source: Box<PluginError>,
    },
}

impl PluginError {
    /// Whether the failure depends on this machine (deadline, host memory) rather than on the
    /// plugin and its input: such a failure may be retried and is never a consensus outcome.
    pub const fn is_local_fault(&self) -> bool {
        matches!(self, Self::Deadline { .. })
    }
}

/// Result alias for this crate.
pub type PluginResult<T> = Result<T, PluginError>;
