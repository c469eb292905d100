//! The transaction pool: validation at the door, per-sender nonce queues inside, best-first
//! selection for the proposer.
//!
//! ```text
//! eth_sendRawTransaction ─▶ Mempool::add ─ decode ─ chain id ─ signature ─ intrinsic gas
//!                                          ─ gas limit ─ fee caps ─ nonce ─ balance ─ replacement
//!                                          ─▶ sender queue (nonce-ordered)
//! proposer tick ─▶ Mempool::best(base_fee) ─▶ executable txs by effective tip, nonces in order
//! block sealed  ─▶ Mempool::on_block(mined, new nonces) ─▶ drop mined, stale and expired
//! ```
//!
//! Bounded against floods as geth's pool is: a sender's transactions must be affordable
//! together (not each alone); transactions waiting on a nonce gap ("queued": they cost their
//! sender nothing until they run) are capped per sender and in total far below the pool's size,
//! expire, and are evicted before any executable transaction.
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
    DEFAULT_MAX_QUEUED, DEFAULT_MAX_QUEUED_PER_SENDER, DEFAULT_MAX_TX_BYTES, DEFAULT_MAX_TXS,
    DEFAULT_MAX_TXS_PER_SENDER, DEFAULT_PRICE_BUMP_PERCENT, DEFAULT_QUEUED_LIFETIME, MempoolConfig,
    PoolConfig,
};
pub use error::PoolError;
pub use pool::{Mempool, PoolContent, RECENT_ARRIVALS};
pub use tx::PooledTx;

#[cfg(test)]
mod tests;
