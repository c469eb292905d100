//! Based sequencing: several Keel nodes take turns as sequencer, as the L1
//! `SequencerRegistry` schedules them (one leader per epoch of L1 blocks), and keep one chain.
//!
//! ```text
//!  Conductor ─ every poll: Schedule::read (epoch, leader, epoch end) at one L1 block
//!   ├ following: Follower::step (L1 commits + blobs, re-executed and checked)
//!   ├ its epoch starts, every L1 batch applied ─▶ TurnSwitch::open ─▶ the proposer builds
//!   ├ turn_margin L1 blocks before the end ─▶ TurnSwitch::close ─▶ open batch sealed
//!   │                                         ─▶ the settler commits it (mayCommit)
//!   └ epoch over ─▶ blocks L1 did not take unwound; their transactions and the pool's
//!                   forwarded to the new leader
//!  ToLeader (eth_sendRawTransaction) ─ this node's pool while it leads, else the leader's
//! ```
//!
//! L1 is the record: a block is part of the chain once L1 committed its batch, and a node
//! only ever builds on batches it has applied from L1 or committed itself.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod conductor;
mod config;
mod gossip;
mod sink;
mod status;
mod unsafe_block;

pub use conductor::{Conductor, ConductorSettings};
pub use config::{BasedNodeConfig, DEFAULT_TURN_MARGIN};
pub use gossip::{GossipFeed, unsafe_blocks_topic};
pub use sink::ToLeader;
pub use status::{BasedMetrics, Role, Sequencing, SequencingStatus};
pub use unsafe_block::{
    MAX_UNSAFE_BLOCK_BYTES, UNSAFE_BLOCK_VERSION, UnsafeBlock, UnsafeBlockError,
};
