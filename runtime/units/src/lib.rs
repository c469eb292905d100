//! Human-readable values in Keel's config file, shared by every crate that owns a section.
//!
//! - [`parse`]: amounts of wei (`"1.5 gwei"`, `"10000 ether"`, hex), 0x-hex words and bytes,
//!   EIP-55 addresses, durations (`"250ms"`), socket addresses; and the serde adapters
//!   (`#[serde(deserialize_with = "keel_units::duration")]`) whose errors read
//!   `expected <what is allowed>, got <what was found>`.
//! - [`Violation`]: the rule a parsed section breaks, returned by each section's `validate()`;
//!   the config loader adds the section's name and the file and line.
//!
//! Each section struct lives in the crate that uses it (`keel_rpc::RpcConfig`,
//! `keel_l1::L1Config`, …) and `keel-config` composes them into the file; this crate is what
//! they share, so that the formats are defined once.

#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod parse;
mod violation;

pub use parse::*;
pub use violation::{Violation, ensure};
