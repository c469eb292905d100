//! Block execution for Keel: revm configured for the Prague spec, the base-fee seam, the block
//! builder the proposer drives, and `eth_call`-style simulation.
//!
//! ```text
//!  StateReader (redb snapshot | historical trie | witness)
//!        │  ReaderDb (revm DatabaseRef adapter)
//!        ▼
//!  revm State ──▶ BlockBuilder::push(tx) … ──▶ BlockBuilder::finish(nodes)
//!                                                 │ bundle ─▶ AccountChange list
//!                                                 │ keel_trie::apply_state_changes ─▶ state root
//!                                                 ▼
//!                                             BuiltBlock (sealed header, receipts, state update)
//! ```
//!
//! Nothing here knows about tokio, redb or networking: the prover guest compiles this crate.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod base_fee;
mod builder;
mod call;
mod db;
mod env;
mod error;
mod intrinsic;
#[cfg(feature = "tracing-inspectors")]
mod trace;

pub use base_fee::{BaseFeeRule, Eip1559BaseFee};
pub use builder::{BlockAttributes, BlockBuilder, BuiltBlock, TxOutcome};
pub use call::{CallOutcome, CallRequest, Simulator};
pub use db::ReaderDb;
pub use env::{SPEC_ID, tx_env};
pub use error::{EvmError, EvmResult};
pub use intrinsic::{IntrinsicGas, intrinsic_gas};
pub use revm::context::result::InvalidTransaction;
#[cfg(feature = "tracing-inspectors")]
pub use trace::Tracer;
