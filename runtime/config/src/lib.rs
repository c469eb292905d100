//! The node's config file: TOML schema, defaults, validation and `KEEL_*` overrides.
//!
//! ```toml
//! [chain]
//! chain_id = 65536999
//!
//! [genesis]
//! gas_limit = 30000000
//! [genesis.alloc."0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"]
//! balance = "10000 ether"
//!
//! [sequencer]
//! block_time = "1s"
//! ```
//!
//! Precedence: environment > file > defaults. `KEEL_<SECTION>__<KEY>=value` (double underscore
//! between path segments, case-insensitive) overrides `section.key`; other `KEEL_*` variables are
//! not config. Every section has defaults (see the `DEFAULT_*` constants); unknown keys are
//! errors. Every error names the file, the key and what is allowed.

mod env;
mod error;
mod schema;
mod units;

pub use error::ConfigError;
pub use schema::*;

#[cfg(test)]
mod tests;
