//! The node's config file: TOML schema, defaults, validation and `KEEL_*` environment
//! overrides.
//!
//! A node is started from one TOML file. Only `[chain] chain_id` is required; every other key
//! has a default (the `DEFAULT_*` constants, and each field's doc), and `configs/example.toml`
//! lists them all:
//!
//! ```toml
//! [chain]
//! chain_id = 65536999
//!
//! [genesis]
//! gas_limit = 30000000
//! base_fee = "1 gwei"
//!
//! [genesis.alloc."0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"]
//! balance = "10000 ether"
//!
//! [rpc]
//! listen = "127.0.0.1:1729"
//!
//! [sequencer]
//! block_time = "250ms"
//! ```
//!
//! Sections: `[chain]`, `[genesis]` (with `[genesis.alloc."0x…"]` accounts), `[node]`, `[rpc]`,
//! `[metrics]`, `[sequencer]`, `[fees]`, `[mempool]`; see [`Config`].
//!
//! **Precedence: environment > file > defaults.** `KEEL_<SECTION>__<KEY>=value` overrides
//! `section.key`: a double underscore separates path segments, single underscores belong to key
//! names, and names are case-insensitive (`KEEL_SEQUENCER__BLOCK_TIME=250ms`,
//! `KEEL_GENESIS__ALLOC__0XF39F…__BALANCE="1 ether"`). The value is a boolean for
//! `true`/`false`, an integer if it is a decimal integer, and a string otherwise. An override
//! naming an unknown key is an error; `KEEL_*` variables without a double underscore
//! (`KEEL_BIN`, `KEEL_DATADIR`, …) are not config and are ignored.
//!
//! Unknown keys are errors, and every [`ConfigError`] names the file (with line and column when
//! the value was written there, or the variable when it came from the environment), the key path
//! and what is allowed:
//!
//! ```text
//! configs/devnet.toml:12:1: unknown key `rpc.lisen`; expected one of: listen, max_body_bytes, max_batch_requests, gas_cap
//! configs/devnet.toml (environment variable KEEL_SEQUENCER__BLOCK_TIME): invalid value for `sequencer.block_time`: expected a duration like "1s" or "250ms", got "soon" (…)
//! ```

mod env;
mod error;
mod genesis;
mod load;
mod plugins;
mod schema;
mod units;
mod validate;

pub use env::{ENV_PREFIX, ENV_SEPARATOR};
pub use error::{ConfigError, Location};
pub use genesis::{
    DEFAULT_GAS_LIMIT, DEFAULT_GENESIS_BASE_FEE, DEFAULT_GENESIS_TIMESTAMP, GenesisAccount,
    GenesisConfig,
};
pub use plugins::{
    DEFAULT_PLUGIN_DEADLINE, DEFAULT_PLUGIN_FUEL, DEFAULT_PLUGIN_MEMORY_MB, PluginSlotConfig,
    PluginsConfig,
};
pub use schema::*;
pub use units::parse_wei;
pub use validate::{
    MAX_BLOCK_TIME, MAX_CHAIN_ID, MAX_EXTRA_DATA_BYTES, MAX_GAS_LIMIT, MIN_BLOCK_TIME, MIN_GAS_CAP,
    MIN_GAS_LIMIT,
};

#[cfg(test)]
mod tests;
