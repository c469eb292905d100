//! Hosts Keel's policy plugins: WebAssembly components implementing the worlds of
//! `wit/v0.1.0` (`ordering-policy`, `fee-rule`, `bridge-rules`), `wit/v0.2.0` (`fee-rule`
//! with the L1 data price), `wit/v0.3.0` (`bridge-rules` with ERC-20 tokens) and `wit/v0.4.0`
//! (`ordering-policy` by ranks, merged by the host), run by wasmtime.
//!
//! ```text
//!  .wasm ─▶ Component::new (validate, compile) ─▶ Linker::instantiate_pre (no imports linked)
//!        ─▶ per call: fresh Store (fuel, memory limit, epoch deadline) ─▶ instance ─▶ export
//!        ─▶ answer ─▶ host invariants (ranks merged by nonce queue, or an order checked for
//!           subset permutation + nonce order; base-fee bounds, data-price ceiling)
//! ```
//!
//! Every failure is a [`PluginError`] naming the plugin, its version and the call; callers fall
//! back to the native rule and keep producing blocks.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod bridge;
mod config;
pub mod conformance;
mod engine;
mod error;
mod fee;
pub mod invariants;
mod manager;
mod manifest;
mod ordering;
mod plugin;
mod registry;
mod store;
mod world;

pub use bridge::{
    Asset, BridgePlugin, BridgeRules, BridgeRulesPre, Deposit, DepositDecision, Withdrawal,
    WithdrawalDecision,
};
pub use config::{
    DEFAULT_DEADLINE, DEFAULT_FUEL, DEFAULT_MEMORY_MB, MAX_COMPONENT_BYTES, MAX_DEADLINE, MAX_FUEL,
    MAX_MEMORY_MB, PluginSlotConfig, PluginsConfig,
};
pub use engine::{EPOCH_TICK, PluginEngine};
pub use error::{CallSite, PluginError, PluginResult};
pub use fee::{FeeDecision, FeeParams, FeePlugin, FeeRule, FeeRulePre, L1Summary, ParentSummary};
pub use keel_plugin_abi::{encode_candidates, merge_ranks};
pub use keel_primitives::{PluginId, PluginSlot};
pub use manager::{PluginManager, StartError};
pub use manifest::read_component;
pub use ordering::{
    CANDIDATE_SIZE, Candidate, LEAVE_OUT, Ordering, OrderingContext, OrderingPlugin,
    OrderingPolicy, OrderingPolicyPre,
};
pub use plugin::{Plugin, PluginStats};
pub use registry::{ActiveSet, BlockStart, PluginRegistry, ScheduleError, Scheduled};
pub use store::{HostState, PluginLimits};
pub use world::{World, WorldPlugin};
