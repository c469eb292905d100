//! The transaction pool: validation at the door, per-sender nonce queues inside, best-first
//! selection for the proposer.
//!
//! ```text
//! eth_sendRawTransaction ─▶ Mempool::add ─ decode ─ chain id ─ signature ─ intrinsic gas
//!                                          ─ gas limit ─ fee caps ─ nonce ─ balance ─ replacement
//!                                          ─▶ sender queue (nonce-ordered)
//! proposer tick ─▶ Mempool::best(base_fee) ─▶ executable txs by effective tip, nonces in order
//! block sealed  ─▶ Mempool::on_block(mined, new nonces) ─▶ drop mined and stale
//! ```
//!
//! Rejections use go-ethereum's wording so existing tooling recognises them. The pool is memory
//! only: pending transactions do not survive a restart (clients re-send, as with geth's default
//! configuration without a journal).
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod config;
mod error;
mod pool;
mod tx;

pub use config::{
    DEFAULT_MAX_TX_BYTES, DEFAULT_MAX_TXS, DEFAULT_MAX_TXS_PER_SENDER, DEFAULT_PRICE_BUMP_PERCENT,
    MempoolConfig, PoolConfig,
};
pub use error::PoolError;
pub use pool::Mempool;
pub use tx::PooledTx;

#[cfg(test)]
mod tests;
