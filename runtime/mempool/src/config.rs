//! `[mempool]`, the section of the config file this crate owns, and [`PoolConfig`]: the section
//! plus what the chain decides.

use std::time::Duration;

use keel_units::{Violation, ensure};
use serde::Deserialize;

/// Default `mempool.max_txs`: 10 000 transactions, ~14 full default blocks of plain transfers
/// (30M gas / 21 000 gas); memory stays bounded (≤ 10 000 × [`DEFAULT_MAX_TX_BYTES`]) and is
/// typically a few MB.
pub const DEFAULT_MAX_TXS: usize = 10_000;
/// Default `mempool.max_txs_per_sender`: 256, so one account cannot fill the pool, yet a script
/// can queue a few hundred transactions ahead. Also the furthest a nonce may run ahead of the
/// account's current nonce.
pub const DEFAULT_MAX_TXS_PER_SENDER: usize = 256;
/// Default `mempool.max_queued_per_sender`: 64, geth's `AccountQueue`: transactions of one
/// sender that wait on a nonce gap (not executable until the gap is filled).
pub const DEFAULT_MAX_QUEUED_PER_SENDER: usize = 64;
/// Default `mempool.max_queued`: 1 024, geth's `GlobalQueue`: transactions waiting on a nonce
/// gap, all senders together. Far below [`DEFAULT_MAX_TXS`], so gapped transactions (which cost
/// their sender nothing until they run) can never crowd executable ones out.
pub const DEFAULT_MAX_QUEUED: usize = 1_024;
/// Default `mempool.queued_lifetime`: 3 hours, geth's `Lifetime`: a transaction still waiting
/// on a nonce gap after this long is dropped.
pub const DEFAULT_QUEUED_LIFETIME: Duration = Duration::from_secs(3 * 3600);
/// Default `mempool.price_bump_percent`: 10%, geth's `PriceBump`; what wallets assume when they
/// speed up or cancel a transaction.
pub const DEFAULT_PRICE_BUMP_PERCENT: u64 = 10;
/// Default `mempool.max_tx_bytes`: 128 KiB, geth's `txMaxSize` (4 slots of 32 KiB); enough for
/// any contract deployment within EIP-3860's 48 KiB initcode limit.
pub const DEFAULT_MAX_TX_BYTES: usize = 128 * 1024;

/// `[mempool]`: transaction pool bounds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MempoolConfig {
    /// Most pooled transactions (default [`DEFAULT_MAX_TXS`]).
    pub max_txs: usize,
    /// Most pooled transactions per sender, and the furthest a nonce may run ahead of the
    /// account's (default [`DEFAULT_MAX_TXS_PER_SENDER`]).
    pub max_txs_per_sender: usize,
    /// A replacement (same sender and nonce) must raise its fees by this percent (default
    /// [`DEFAULT_PRICE_BUMP_PERCENT`]).
    pub price_bump_percent: u64,
    /// Largest encoded transaction in bytes (default [`DEFAULT_MAX_TX_BYTES`]).
    pub max_tx_bytes: usize,
    /// Most transactions of one sender waiting on a nonce gap (default
    /// [`DEFAULT_MAX_QUEUED_PER_SENDER`]).
    pub max_queued_per_sender: usize,
    /// Most transactions waiting on a nonce gap, all senders together (default
    /// [`DEFAULT_MAX_QUEUED`]; at most `max_txs`).
    pub max_queued: usize,
    /// A transaction waiting on a nonce gap longer than this is dropped (default
    /// [`DEFAULT_QUEUED_LIFETIME`]).
    #[serde(deserialize_with = "keel_units::duration")]
    pub queued_lifetime: Duration,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        Self {
            max_txs: DEFAULT_MAX_TXS,
            max_txs_per_sender: DEFAULT_MAX_TXS_PER_SENDER,
            price_bump_percent: DEFAULT_PRICE_BUMP_PERCENT,
            max_tx_bytes: DEFAULT_MAX_TX_BYTES,
            max_queued_per_sender: DEFAULT_MAX_QUEUED_PER_SENDER,
            max_queued: DEFAULT_MAX_QUEUED,
            queued_lifetime: DEFAULT_QUEUED_LIFETIME,
        }
    }
}

impl MempoolConfig {
    /// The first rule the section breaks (keys relative to `[mempool]`).
    pub fn validate(&self) -> Result<(), Violation> {
        for (key, value) in [
            ("max_txs", self.max_txs),
            ("max_txs_per_sender", self.max_txs_per_sender),
            ("max_tx_bytes", self.max_tx_bytes),
            ("max_queued_per_sender", self.max_queued_per_sender),
            ("max_queued", self.max_queued),
        ] {
            ensure(value > 0, key, || "must be > 0, got 0".into())?;
        }
        ensure(self.max_queued <= self.max_txs, "max_queued", || {
            format!(
                "must be <= max_txs ({}), got {}",
                self.max_txs, self.max_queued
            )
        })?;
        ensure(!self.queued_lifetime.is_zero(), "queued_lifetime", || {
            "must be > 0".into()
        })?;
        ensure(self.price_bump_percent > 0, "price_bump_percent", || {
            "must be >= 1, got 0 (a replacement paying the same fee would be accepted)".into()
        })
    }
}

/// How the pool validates and bounds its contents: `[mempool]` and what the chain decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// Chain id every transaction must carry.
    pub chain_id: u64,
    /// Block gas limit; a transaction above it can never be mined.
    pub block_gas_limit: u64,
    /// Lowest priority fee accepted, in wei (`fees.min_priority_fee`).
    pub min_priority_fee: u128,
    /// The `[mempool]` bounds.
    pub limits: MempoolConfig,
}

impl PoolConfig {
    /// The default bounds for the given chain and gas limit, with no minimum tip.
    pub fn new(chain_id: u64, block_gas_limit: u64) -> Self {
        Self {
            chain_id,
            block_gas_limit,
            min_priority_fee: 0,
            limits: MempoolConfig::default(),
        }
    }
}
