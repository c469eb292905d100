//! The sequencer: builds the genesis state and produces blocks.
//!
//! ```text
//!  every block_time:  PluginRegistry::begin_block ─▶ the block's plugins (swaps take effect here)
//!                     parent header ─▶ fee plugin or EIP-1559 ─▶ base fee
//!                     Mempool::best(base fee) ─▶ ordering plugin ─▶ BlockBuilder::push …
//!                     ─▶ finish (state root)
//!                     Storage::commit_block (one redb write, with the plugins that shaped
//!                     the block) ─▶ Mempool::on_block
//! ```
//!
//! The proposer runs on its own OS thread: block building is CPU-bound and must not stall the
//! async RPC runtime.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod batcher;
pub mod config;
mod error;
mod feed;
mod followed;
mod genesis;
mod inclusion;
mod metrics;
mod plugins;
mod predeploys;
mod proposer;
mod sealer;
mod turn;
mod witness;

pub use error::{SequencerError, SequencerResult};
pub use feed::{BlockFeed, MadeBlock};
pub use followed::followed_prover_input;
pub use genesis::{Genesis, build_genesis};
pub use inclusion::InclusionWindow;
pub use metrics::SequencerMetrics;
pub use plugins::{
    BlockFees, BlockRules, BridgeVerdict, NATIVE_COMPRESSED_PER_MILLE, PluginFailures,
    native_data_price,
};
pub use predeploys::l2_bridge_code;
pub use proposer::{BlockSummary, Proposer, ProposerConfig};
pub use sealer::{SEAL_QUEUE_CAPACITY, SealQueue, Sealer};
pub use turn::{TurnState, TurnSwitch};

#[cfg(test)]
mod tests;
