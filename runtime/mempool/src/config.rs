//! Pool tuning.

/// Default capacity: enough for several full blocks of transfers.
pub const DEFAULT_MAX_TXS: usize = 10_000;
/// Default per-sender cap, so one account cannot fill the pool.
pub const DEFAULT_MAX_TXS_PER_SENDER: usize = 256;
/// geth's default replacement bump.
pub const DEFAULT_PRICE_BUMP_PERCENT: u64 = 10;
/// geth's `txMaxSize` (4 slots of 32 KiB).
pub const DEFAULT_MAX_TX_BYTES: usize = 128 * 1024;

/// How the pool validates and bounds its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// Chain id every transaction must carry.
    pub chain_id: u64,
    /// Block gas limit; a transaction above it can never be mined.
    pub block_gas_limit: u64,
    /// Most transactions held at once.
    pub max_txs: usize,
    /// Most transactions held per sender.
    pub max_txs_per_sender: usize,
    /// Minimum increase, in percent, of both fee caps to replace a pending transaction.
    pub price_bump_percent: u64,
    /// Largest accepted encoded transaction.
    pub max_tx_bytes: usize,
    /// Lowest priority fee accepted, in wei.
    pub min_priority_fee: u128,
}

impl PoolConfig {
    /// Defaults for the given chain and gas limit.
    pub const fn new(chain_id: u64, block_gas_limit: u64) -> Self {
        Self {
            chain_id,
            block_gas_limit,
            max_txs: DEFAULT_MAX_TXS,
            max_txs_per_sender: DEFAULT_MAX_TXS_PER_SENDER,
            price_bump_percent: DEFAULT_PRICE_BUMP_PERCENT,
            max_tx_bytes: DEFAULT_MAX_TX_BYTES,
            min_priority_fee: 0,
        }
    }
}
