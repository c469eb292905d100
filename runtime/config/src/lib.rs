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
//! Sections: `[chain]`, `[node]`, `[metrics]` (this crate's); `[rpc]`, `[admin]` (keel-rpc);
//! `[genesis]` (with `[genesis.alloc."0x…"]` accounts), `[sequencer]`, `[batcher]`, `[fees]`
//! (keel-sequencer); `[mempool]` (keel-mempool); `[plugins]` (keel-plugin-host); `[prover]`
//! (keel-coordinator); `[l1]` (keel-l1); see [`Config`]. **Each section is defined, with its
//! `DEFAULT_*` constants and its `validate()`, by the crate that uses it**; this crate composes
//! them into the file, applies the environment, and turns every error into one that names the
//! file, the line and the key. The environment's typo check reads the section and key names
//! from the structs themselves, so it cannot drift from them.
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
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod env;
mod error;
mod load;
mod schema;
mod validate;

pub use env::{ENV_PREFIX, ENV_SEPARATOR};
pub use error::{ConfigError, Location};
pub use keel_based::BasedNodeConfig;
pub use keel_coordinator::{
    DEFAULT_LEASE_TIMEOUT, DEFAULT_PROVER_LISTEN, MIN_LEASE_TIMEOUT, ProverConfig,
};
pub use keel_follower::FollowerConfig;
pub use keel_l1::{
    DEFAULT_DEPOSIT_INCLUSION_PERIOD, DEFAULT_FEE_BUMP_PERCENT, DEFAULT_L1_CONFIRMATIONS,
    DEFAULT_L1_POLL_INTERVAL, DEFAULT_L1_TX_TIMEOUT, DEFAULT_MAX_DEPOSITS_PER_BLOCK,
    DEFAULT_MAX_SCAN_BLOCKS, L1Config,
};
pub use keel_mempool::{
    DEFAULT_MAX_TX_BYTES, DEFAULT_MAX_TXS as DEFAULT_MEMPOOL_MAX_TXS,
    DEFAULT_MAX_TXS_PER_SENDER as DEFAULT_MEMPOOL_MAX_TXS_PER_SENDER, DEFAULT_PRICE_BUMP_PERCENT,
    MempoolConfig,
};
pub use keel_plugin_host::{
    DEFAULT_DEADLINE as DEFAULT_PLUGIN_DEADLINE, DEFAULT_FUEL as DEFAULT_PLUGIN_FUEL,
    DEFAULT_MEMORY_MB as DEFAULT_PLUGIN_MEMORY_MB, PluginSlotConfig, PluginsConfig,
};
pub use keel_rpc::{
    AdminConfig, DEFAULT_GAS_CAP, DEFAULT_MAX_BATCH_REQUESTS, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_RPC_LISTEN, MIN_GAS_CAP, RpcConfig,
};
pub use keel_sequencer::config::*;
pub use keel_status::StatusConfig;
pub use keel_units::parse_wei;
pub use schema::*;
pub use validate::MAX_CHAIN_ID;

#[cfg(test)]
mod tests;
