//! End-to-end harness for Keel.
//!
//! Starts the real `keel` binary as a child process (in the spirit of alloy's `Anvil`
//! node-bindings: the child is killed when the handle is dropped) and talks to it only through
//! standard Ethereum JSON-RPC with alloy's provider.
//!
//! ```no_run
//! # async fn example() -> eyre::Result<()> {
//! use alloy::providers::Provider;
//! use keel_e2e::{KeelNode, KeelNodeOptions};
//!
//! let node = KeelNode::spawn(KeelNodeOptions::new().block_time("200ms")).await?;
//! let result = async { eyre::Ok(node.provider().get_block_number().await?) }.await;
//! // On error, `finish` prints the tail of the node's log and keeps its datadir.
//! node.finish(result)?;
//! # Ok(())
//! # }
//! ```
//!
//! The binary is found through [`KeelBinary::locate`]: build it first with
//! `cargo build -p keel-node` (same profile and target dir as the tests), or set `KEEL_BIN`.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod accounts;
pub mod anvil;
pub mod binary;
pub mod browser;
pub mod contracts;
pub mod log_tail;
pub mod node;
pub mod prover;
pub mod rpc_error;
pub mod settlement;
pub mod tx;
pub mod wait;

pub use accounts::{
    CHAIN_ID, DEV_ADDRESSES, DEV_BALANCE, DEV_PRIVATE_KEYS, derived_address, dev_accounts,
};
pub use anvil::{Anvil, AnvilOptions, L1_CHAIN_ID};
pub use binary::KeelBinary;
pub use node::{KeelNode, KeelNodeOptions, default_config_path, free_loopback_addr};
pub use prover::Prover;
