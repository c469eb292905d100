//! Config errors: each names the file, the key and what is allowed.

use std::path::PathBuf;

/// A config file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error(
        "cannot read config file {path}: {source}; pass an existing file with --config (see configs/example.toml)"
    )]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{path}: invalid TOML: {message}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A key is unknown or its value has the wrong type or form.
    #[error("{path}: {problem} at `{key}`{origin}")]
    Key {
        /// The file.
        path: PathBuf,
        /// The key path, e.g. `rpc.listen`.
        key: String,
        /// What is wrong and what is allowed.
        problem: String,
        /// " (set by KEEL_…)" when the value came from the environment.
        origin: String,
    },
    /// An environment override names no config key.
    #[error("environment variable {var} overrides `{key}`, which {reason}")]
    Override {
        /// The variable.
        var: String,
        /// The key it names.
        key: String,
        /// Why it cannot apply.
        reason: String,
    },
    /// The values parse but do not make sense together.
    #[error("{path}: invalid value for `{key}`: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The key path.
        key: &'static str,
        /// What is allowed.
        message: String,
    },
}
