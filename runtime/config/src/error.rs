//! [`ConfigError`]: everything that can be wrong with a config, each naming the file, the key
//! and what is allowed.

use std::{fmt, io, path::PathBuf};

/// Where a config value came from: the file (with line and column when known) and, for a
/// `KEEL_*` override, the environment variable that set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The config file.
    pub file: PathBuf,
    /// 1-based line and column in the file, when the value was written there.
    pub line_column: Option<(usize, usize)>,
    /// The environment variable that set or created the key, if any.
    pub env_var: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(var) = &self.env_var {
            write!(f, " (environment variable {var})")
        } else if let Some((line, column)) = self.line_column {
            write!(f, ":{line}:{column}")
        } else {
            Ok(())
        }
    }
}

/// Why a config could not be loaded. The messages are meant for the person running the node:
/// each names the file, the key path (`rpc.listen`, `genesis.alloc.0xabc….balance`) and what is
/// allowed, and names the environment variable when the value came from an override.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: cannot read the config file: {io}; {}", path.display(), read_hint(io))]
    Read {
        /// The path as given.
        path: PathBuf,
        /// The I/O error.
        io: io::Error,
    },
    /// The file is not valid TOML.
    #[error("{location}: TOML syntax error: {message}")]
    Syntax {
        /// File, line and column.
        location: Location,
        /// What the parser expected, followed by the offending line.
        message: String,
    },
    /// A `KEEL_*` variable that cannot be applied (malformed name, not a table, conflict).
    #[error("{location}: {message}")]
    Env {
        /// The file and the variable.
        location: Location,
        /// What is wrong and how to write it instead.
        message: String,
    },
    /// A key the schema does not know (a typo, or a key of another version).
    #[error("{location}: unknown key `{key}`; expected one of: {}", expected.join(", "))]
    UnknownKey {
        /// Where the key was written.
        location: Location,
        /// Full key path, e.g. `rpc.lisen`.
        key: String,
        /// The keys allowed at that place.
        expected: Vec<String>,
    },
    /// A required key is absent.
    #[error("{location}: missing key `{key}`: {expected}")]
    MissingKey {
        /// The file.
        location: Location,
        /// Full key path, e.g. `chain.chain_id`.
        key: String,
        /// What to write there.
        expected: String,
    },
    /// A value of the wrong type or format.
    #[error("{location}: invalid value for `{key}`: {expected}")]
    InvalidValue {
        /// Where the value was written.
        location: Location,
        /// Full key path, e.g. `sequencer.block_time`.
        key: String,
        /// What is allowed, and what was found.
        expected: String,
    },
    /// A well-formed value outside its allowed range, or inconsistent with another key.
    #[error("{location}: `{key}` {message}")]
    Invalid {
        /// Where the value was written (no line for a defaulted value).
        location: Location,
        /// Full key path, e.g. `chain.chain_id`.
        key: String,
        /// The rule and the value found, e.g. `must be > 0`.
        message: String,
    },
}

impl ConfigError {
    /// The key path the error is about, if it is about one key.
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::UnknownKey { key, .. }
            | Self::MissingKey { key, .. }
            | Self::InvalidValue { key, .. }
            | Self::Invalid { key, .. } => Some(key),
            Self::Read { .. } | Self::Syntax { .. } | Self::Env { .. } => None,
        }
    }

    /// Where the error is, if it is inside the config (not for [`ConfigError::Read`]).
    pub fn location(&self) -> Option<&Location> {
        match self {
            Self::Syntax { location, .. }
            | Self::Env { location, .. }
            | Self::UnknownKey { location, .. }
            | Self::MissingKey { location, .. }
            | Self::InvalidValue { location, .. }
            | Self::Invalid { location, .. } => Some(location),
            Self::Read { .. } => None,
        }
    }
}

/// What to do about a read error.
fn read_hint(error: &io::Error) -> &'static str {
    match error.kind() {
        io::ErrorKind::NotFound => {
            "check the path (relative paths are resolved from the working directory), or start \
             from configs/example.toml or configs/devnet.toml"
        }
        io::ErrorKind::PermissionDenied => "make the file readable by the user running keel",
        io::ErrorKind::IsADirectory => "pass the config file itself, not its directory",
        io::ErrorKind::InvalidData => "the config must be UTF-8 text (TOML)",
        _ => "check that the path names a readable TOML file",
    }
}
