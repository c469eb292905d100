//! The follower: a node that rebuilds the chain from L1 alone.
//!
//! ```text
//!  OnChainProposer ─ BatchCommitted(n, commitment, roots, blob hashes) ─▶ the commit's L1 block
//!    ─▶ beacon API: its blobs, each checked against its versioned hash ─▶ frame ─▶ blocks
//!    ─▶ keel_stf::replay_block, block by block, onto the database (the sequencer's builder)
//!    ─▶ the batch's output must rebuild the committed commitment ─▶ batch recorded with its
//!       frame and where L1 took its commit
//!  each poll: is the last recorded commit's L1 block still L1's? no: unwind to the newest
//!  batch whose commit still is, and follow again from there
//! ```
//!
//! The follower needs no key and trusts nobody: not the sequencer (it never talks to it, except
//! to forward transactions users send), not the beacon node (every blob is checked against the
//! hash L1 recorded), and not its own database after a crash (a half-applied batch is unwound
//! at start). A blob that does not decode, or blocks that do not rebuild the committed roots,
//! stop it with an error naming the batch and what differed.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod apply;
mod config;
mod error;
mod follower;
mod forward;

pub use apply::{ApplyError, apply_batch, apply_block, holds_blocks, stored_batch};
pub use config::FollowerConfig;
pub use error::FollowerError;
pub use follower::{Follower, FollowerSettings, Step, on_storage};
pub use forward::{ForwardError, ForwardToSequencer, Forwarder, RefuseTransactions};
