//! `[sequencer]`, `[batcher]`, `[fees]` and `[genesis]`: the sections of the config file this
//! crate owns.

mod genesis;

use std::time::Duration;

use alloy_primitives::Address;
use humantime_serde::re::humantime::format_duration;
pub use keel_primitives::DataAvailability;
use keel_units::{Violation, ensure};
use serde::Deserialize;

pub use genesis::{
    DEFAULT_GAS_LIMIT, DEFAULT_GENESIS_BASE_FEE, DEFAULT_GENESIS_TIMESTAMP, GenesisAccount,
    GenesisConfig, MAX_EXTRA_DATA_BYTES, MAX_GAS_LIMIT, MIN_GAS_LIMIT,
};

/// Smallest `sequencer.block_time`: below 10 ms the proposer spends its time sealing empty
/// blocks and every block is a disk sync.
pub const MIN_BLOCK_TIME: Duration = Duration::from_millis(10);
/// Largest `sequencer.block_time`: an hour; beyond that a "block time" is a misconfiguration
/// (and transactions would wait that long).
pub const MAX_BLOCK_TIME: Duration = Duration::from_secs(3600);

// ---- [sequencer] ----------------------------------------------------------------------------

/// Default `sequencer.block_time`: 1 s, fast feedback for development at a modest disk cost.
pub const DEFAULT_BLOCK_TIME: Duration = Duration::from_secs(1);
/// Default `sequencer.coinbase`: the zero address, so priority fees are burnt unless an
/// operator names an account to receive them.
pub const DEFAULT_COINBASE: Address = Address::ZERO;

// ---- [batcher] ------------------------------------------------------------------------------

/// Default `batcher.commit_interval`: 10 s, so a batch is ready for the prover (and, with
/// settlement, for L1) a few seconds after its blocks, without one batch per block.
pub const DEFAULT_COMMIT_INTERVAL: Duration = Duration::from_secs(10);
/// Default `batcher.max_blocks`: 600 (10 minutes of 1 s blocks).
pub const DEFAULT_BATCH_MAX_BLOCKS: u64 = 600;
/// Default `batcher.max_gas`: 300M gas, ten full default blocks: ~14,000 ETH transfers. The
/// STF's memory grows with the gas it executes (witness, revm state, new trie nodes); this bound
/// keeps a batch's guest run well inside [`GUEST_MEMORY_LIMIT_BYTES`] (see `docs/PROVING.md`).
pub const DEFAULT_BATCH_MAX_GAS: u64 = 300_000_000;
/// Default `batcher.max_blobs`: 6, the most blobs one L1 transaction may carry (EIP-7594's
/// per-transaction limit; Prague blocks take at most 9): ~744 KiB of compressed payload.
pub const DEFAULT_MAX_BLOBS: u8 = 6;
/// Largest `batcher.max_blobs`: 9, Prague's blobs per L1 block.
pub const MAX_BLOBS: u8 = 9;
/// Default `batcher.max_witness_bytes`: 64 MiB of trie nodes and codes.
pub const DEFAULT_BATCH_MAX_WITNESS_BYTES: u64 = 64 * 1024 * 1024;
/// The memory the prover guest may use for one batch, which the batch bounds are chosen to
/// respect: 512 MiB (OpenVM's guest address space is 2^29 bytes).
pub const GUEST_MEMORY_LIMIT_BYTES: u64 = 512 * 1024 * 1024;

// ---- [fees] ---------------------------------------------------------------------------------

/// Default `fees.min_base_fee`: 0 wei, i.e. no floor beyond EIP-1559's own: the base fee of an
/// idle chain falls by 1/8 per block and stops at 7 wei, where the decrease rounds to 0 (as on
/// Ethereum).
pub const DEFAULT_MIN_BASE_FEE: u64 = 0;
/// Default `fees.max_base_fee`: `u64::MAX` wei, i.e. no ceiling (as on Ethereum).
pub const DEFAULT_MAX_BASE_FEE: u64 = u64::MAX;
/// Default `fees.elasticity_multiplier`: 2, EIP-1559's: the gas target is half the gas limit.
pub const DEFAULT_ELASTICITY_MULTIPLIER: u64 = 2;
/// Default `fees.base_fee_max_change_denominator`: 8, EIP-1559's: the base fee moves by at most
/// 12.5% per block.
pub const DEFAULT_BASE_FEE_MAX_CHANGE_DENOMINATOR: u64 = 8;
/// Default `fees.min_priority_fee`: 0 wei, so wallets that send no tip (common on L2s) work.
pub const DEFAULT_MIN_PRIORITY_FEE: u64 = 0;

/// Default `fees.max_data_price`: 10^15 wei per 1,000 bytes (0.001 ETH per kB), about what
/// blob space costs at a blob base fee of 1,200 gwei, far above any blob fee seen so far: a
/// ceiling against a fee plugin gone wrong, not a price.
pub const DEFAULT_MAX_DATA_PRICE: u64 = 1_000_000_000_000_000;

/// EIP-1559's largest per-block change (1/8 = 12.5 %), in basis points.
pub const DEFAULT_MAX_BASE_FEE_CHANGE_BPS: u64 = 1_250;

/// `[batcher]`: when the open batch is sealed. A batch is sealed before a block would take it
/// past `max_blocks` or `max_gas`, or once its witness reached `max_witness_bytes`, or when
/// `commit_interval` has passed since its first block; never empty.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BatcherConfig {
    /// Longest time between a batch's first block and its sealing (default
    /// [`DEFAULT_COMMIT_INTERVAL`]).
    #[serde(deserialize_with = "keel_units::duration")]
    pub commit_interval: Duration,
    /// Most blocks in a batch (default [`DEFAULT_BATCH_MAX_BLOCKS`]).
    pub max_blocks: u64,
    /// Most gas a batch may use, counting each block at its gas limit (default
    /// [`DEFAULT_BATCH_MAX_GAS`]; at least the block gas limit).
    pub max_gas: u64,
    /// A batch is sealed once its witness (trie nodes and codes) reaches this many bytes
    /// (default [`DEFAULT_BATCH_MAX_WITNESS_BYTES`]).
    pub max_witness_bytes: u64,
    /// Run the STF on every sealed batch and stop the node if it disagrees with the chain
    /// (default `true`: a batch the STF cannot reproduce could be committed but never proven,
    /// and L1 has no way back from a committed batch; turning it off saves about one block
    /// build per batch).
    pub self_check: bool,
    /// Where the batch data goes: `"blobs"` (default: EIP-4844 blobs that every proof is bound
    /// to, the rollup) or `"validium"` (no data on L1; the deployment and every commitment say
    /// so, and nobody can rebuild the chain without the sequencer).
    pub data_availability: DataAvailability,
    /// Most blobs one batch fills (default [`DEFAULT_MAX_BLOBS`]; 1 ..= [`MAX_BLOBS`]): a batch
    /// is sealed before its compressed payload would need more.
    pub max_blobs: u8,
}

impl Default for BatcherConfig {
    fn default() -> Self {
        Self {
            commit_interval: DEFAULT_COMMIT_INTERVAL,
            max_blocks: DEFAULT_BATCH_MAX_BLOCKS,
            max_gas: DEFAULT_BATCH_MAX_GAS,
            max_witness_bytes: DEFAULT_BATCH_MAX_WITNESS_BYTES,
            self_check: true,
            data_availability: DataAvailability::Blobs,
            max_blobs: DEFAULT_MAX_BLOBS,
        }
    }
}

/// `[sequencer]`: block production.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SequencerConfig {
    /// Time between blocks, e.g. `"1s"`, `"250ms"` (default [`DEFAULT_BLOCK_TIME`]; between
    /// [`crate::MIN_BLOCK_TIME`] and [`crate::MAX_BLOCK_TIME`]).
    #[serde(deserialize_with = "keel_units::duration")]
    pub block_time: Duration,
    /// Receives the priority fees (default [`DEFAULT_COINBASE`], the zero address).
    #[serde(deserialize_with = "keel_units::address")]
    pub coinbase: Address,
    /// Most transactions per block (default `None`: only the gas limit bounds a block; `""`
    /// also means none).
    #[serde(deserialize_with = "keel_units::opt_usize")]
    pub max_block_txs: Option<usize>,
}

impl Default for SequencerConfig {
    fn default() -> Self {
        Self {
            block_time: DEFAULT_BLOCK_TIME,
            coinbase: DEFAULT_COINBASE,
            max_block_txs: None,
        }
    }
}

/// `[fees]`: EIP-1559 parameters and fee bounds. Amounts are in wei and also take unit strings
/// such as `"1 gwei"`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeeConfig {
    /// Lowest base fee, wei (default [`DEFAULT_MIN_BASE_FEE`]).
    #[serde(deserialize_with = "keel_units::wei_u64")]
    pub min_base_fee: u64,
    /// Highest base fee, wei (default [`DEFAULT_MAX_BASE_FEE`], unbounded).
    #[serde(deserialize_with = "keel_units::wei_u64")]
    pub max_base_fee: u64,
    /// Gas target = gas limit / this (default [`DEFAULT_ELASTICITY_MULTIPLIER`]).
    pub elasticity_multiplier: u64,
    /// The base fee changes by at most 1/this per block (default
    /// [`DEFAULT_BASE_FEE_MAX_CHANGE_DENOMINATOR`]).
    pub base_fee_max_change_denominator: u64,
    /// Lowest priority fee (tip) per gas the pool accepts, wei (default
    /// [`DEFAULT_MIN_PRIORITY_FEE`]).
    #[serde(deserialize_with = "keel_units::wei_u64")]
    pub min_priority_fee: u64,
    /// Largest change of the base fee from one block to the next that any fee rule (a plugin
    /// included) may make, in basis points of the parent's (default
    /// [`DEFAULT_MAX_BASE_FEE_CHANGE_BPS`], EIP-1559's 12.5 %).
    pub max_base_fee_change_bps: u64,
    /// Highest L1 data price a fee plugin may set, in wei per 1,000 bytes of a transaction
    /// (default [`DEFAULT_MAX_DATA_PRICE`]); above it the block uses the native price.
    #[serde(deserialize_with = "keel_units::wei_u64")]
    pub max_data_price: u64,
}

impl Default for FeeConfig {
    fn default() -> Self {
        Self {
            min_base_fee: DEFAULT_MIN_BASE_FEE,
            max_base_fee: DEFAULT_MAX_BASE_FEE,
            elasticity_multiplier: DEFAULT_ELASTICITY_MULTIPLIER,
            base_fee_max_change_denominator: DEFAULT_BASE_FEE_MAX_CHANGE_DENOMINATOR,
            min_priority_fee: DEFAULT_MIN_PRIORITY_FEE,
            max_base_fee_change_bps: DEFAULT_MAX_BASE_FEE_CHANGE_BPS,
            max_data_price: DEFAULT_MAX_DATA_PRICE,
        }
    }
}

impl SequencerConfig {
    /// The first rule the section breaks (keys relative to `[sequencer]`).
    pub fn validate(&self) -> Result<(), Violation> {
        ensure(
            (MIN_BLOCK_TIME..=MAX_BLOCK_TIME).contains(&self.block_time),
            "block_time",
            || {
                format!(
                    "must be between {} and {}, got {}",
                    format_duration(MIN_BLOCK_TIME),
                    format_duration(MAX_BLOCK_TIME),
                    format_duration(self.block_time)
                )
            },
        )?;
        ensure(self.max_block_txs != Some(0), "max_block_txs", || {
            "must be > 0 when set, got 0".into()
        })
    }
}

impl BatcherConfig {
    /// The first rule the section breaks (keys relative to `[batcher]`). That `max_gas` holds
    /// a full block is checked with `[genesis]`, by the config loader.
    pub fn validate(&self) -> Result<(), Violation> {
        ensure(!self.commit_interval.is_zero(), "commit_interval", || {
            "must be > 0, e.g. \"10s\"".into()
        })?;
        ensure(self.max_blocks > 0, "max_blocks", || {
            "must be >= 1, got 0".into()
        })?;
        ensure(self.max_witness_bytes > 0, "max_witness_bytes", || {
            "must be >= 1, got 0".into()
        })?;
        ensure(
            (1..=MAX_BLOBS).contains(&self.max_blobs),
            "max_blobs",
            || format!("must be within 1..={MAX_BLOBS}, got {}", self.max_blobs),
        )
    }
}

impl FeeConfig {
    /// The first rule the section breaks (keys relative to `[fees]`). The bounds that involve
    /// `[genesis]` are checked by the config loader.
    pub fn validate(&self) -> Result<(), Violation> {
        ensure(
            self.min_base_fee <= self.max_base_fee,
            "min_base_fee",
            || {
                format!(
                    "must be <= fees.max_base_fee ({}), got {}",
                    self.max_base_fee, self.min_base_fee
                )
            },
        )?;
        ensure(
            self.max_base_fee_change_bps > 0,
            "max_base_fee_change_bps",
            || "must be >= 1 (basis points), got 0".into(),
        )?;
        ensure(
            self.elasticity_multiplier > 0,
            "elasticity_multiplier",
            || "must be >= 1, got 0".into(),
        )?;
        ensure(
            self.base_fee_max_change_denominator > 0,
            "base_fee_max_change_denominator",
            || "must be >= 1, got 0".into(),
        )
    }
}

/// A TOML document read for its `[genesis]` section alone, other sections ignored: for tools,
/// benchmarks and tests that need a chain's genesis without a whole node config.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GenesisFile {
    /// `[genesis]` (its defaults if absent).
    #[serde(default)]
    pub genesis: GenesisConfig,
}

impl GenesisFile {
    /// Parses `toml`.
    ///
    /// # Panics
    ///
    /// If `toml` is not valid TOML or its `[genesis]` does not parse: meant for fixed inputs.
    pub fn parse(toml: &str) -> Self {
        match toml::from_str(toml) {
            Ok(file) => file,
            Err(error) => panic!("invalid [genesis] document: {error}"),
        }
    }
}

impl FeeConfig {
    /// The bounds every fee plugin is held to.
    pub const fn plugin_params(&self) -> keel_plugin_host::FeeParams {
        keel_plugin_host::FeeParams {
            min_base_fee: self.min_base_fee,
            max_base_fee: self.max_base_fee,
            elasticity_multiplier: self.elasticity_multiplier,
            max_change_denominator: self.base_fee_max_change_denominator,
            max_change_bps: self.max_base_fee_change_bps,
            max_data_price: self.max_data_price,
        }
    }
}
