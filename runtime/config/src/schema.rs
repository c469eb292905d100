//! The sections of the config file, their defaults, loading and validation.

use std::{
    collections::BTreeMap,
    net::{Ipv4Addr, SocketAddr, SocketAddrV4},
    path::{Path, PathBuf},
    time::Duration,
};

use alloy_primitives::{Address, Bytes, U256};
use serde::Deserialize;

use crate::{ConfigError, env};

/// Default JSON-RPC address: loopback only, port 1729.
pub const DEFAULT_RPC_LISTEN: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 1729));
/// Default largest request body: 10 MiB, room for a batch of large transactions.
pub const DEFAULT_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// Default largest batch (geth's `BatchRequestLimit`).
pub const DEFAULT_MAX_BATCH_REQUESTS: usize = 1000;
/// Default gas cap of `eth_call`/`eth_estimateGas` (geth's `RPCGasCap`).
pub const DEFAULT_GAS_CAP: u64 = 50_000_000;
/// Default block time.
pub const DEFAULT_BLOCK_TIME: Duration = Duration::from_secs(1);
/// Default block gas limit (Ethereum's, mid-2024).
pub const DEFAULT_GAS_LIMIT: u64 = 30_000_000;
/// Default genesis base fee: 1 gwei, as geth and anvil dev chains.
pub const DEFAULT_GENESIS_BASE_FEE: u64 = 1_000_000_000;
/// EIP-1559's elasticity multiplier.
pub const DEFAULT_ELASTICITY_MULTIPLIER: u64 = 2;
/// EIP-1559's base-fee max change denominator.
pub const DEFAULT_BASE_FEE_MAX_CHANGE_DENOMINATOR: u64 = 8;
/// Default pool capacity: several full blocks of transfers.
pub const DEFAULT_MEMPOOL_MAX_TXS: usize = 10_000;
/// Default per-sender cap, so one account cannot fill the pool.
pub const DEFAULT_MEMPOOL_MAX_TXS_PER_SENDER: usize = 256;
/// geth's replacement bump.
pub const DEFAULT_PRICE_BUMP_PERCENT: u64 = 10;
/// geth's largest transaction (4 × 32 KiB).
pub const DEFAULT_MAX_TX_BYTES: usize = 128 * 1024;

/// Block times outside this range are refused.
const BLOCK_TIME_RANGE: (Duration, Duration) =
    (Duration::from_millis(10), Duration::from_secs(3600));
/// EIP-1559 makes no sense below this gas limit (one transfer barely fits).
const MIN_GAS_LIMIT: u64 = 5_000;

/// The whole config file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[chain]`
    pub chain: ChainConfig,
    /// `[genesis]`
    #[serde(default)]
    pub genesis: GenesisConfig,
    /// `[node]`
    #[serde(default)]
    pub node: NodeConfig,
    /// `[rpc]`
    #[serde(default)]
    pub rpc: RpcConfig,
    /// `[metrics]`
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// `[sequencer]`
    #[serde(default)]
    pub sequencer: SequencerConfig,
    /// `[fees]`
    #[serde(default)]
    pub fees: FeeConfig,
    /// `[mempool]`
    #[serde(default)]
    pub mempool: MempoolConfig,
}

/// `[chain]`: which chain this is.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    /// EIP-155 chain id (required, > 0).
    pub chain_id: u64,
}

/// `[genesis]`: block 0 and its state.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenesisConfig {
    /// Genesis timestamp, seconds (default 0).
    pub timestamp: u64,
    /// Gas limit of every block (default [`DEFAULT_GAS_LIMIT`]).
    pub gas_limit: u64,
    /// Base fee of the genesis block, wei (default [`DEFAULT_GENESIS_BASE_FEE`]).
    pub base_fee: u64,
    /// Header extra data, at most 32 bytes (default empty).
    pub extra_data: Bytes,
    /// Accounts at genesis, by address.
    pub alloc: BTreeMap<Address, GenesisAccount>,
}

impl Default for GenesisConfig {
    fn default() -> Self {
        Self {
            timestamp: 0,
            gas_limit: DEFAULT_GAS_LIMIT,
            base_fee: DEFAULT_GENESIS_BASE_FEE,
            extra_data: Bytes::new(),
            alloc: BTreeMap::new(),
        }
    }
}

/// One genesis account: `[genesis.alloc."0x…"]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenesisAccount {
    /// Balance in wei: an integer, `"0x…"`, `"123"`, or `"10000 ether"` / `"1 gwei"`.
    #[serde(deserialize_with = "crate::units::wei")]
    pub balance: U256,
    /// Nonce (default 0).
    pub nonce: u64,
    /// Contract code, hex (default none).
    pub code: Bytes,
    /// Storage: hex slot → hex value.
    #[serde(deserialize_with = "crate::units::storage")]
    pub storage: BTreeMap<U256, U256>,
}

/// `[node]`: where the node keeps its data and what it logs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// Data directory (default `./data`); `--datadir` overrides it.
    pub datadir: PathBuf,
    /// tracing filter directive (default `info`); `RUST_LOG` overrides it.
    pub log: String,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            datadir: PathBuf::from("./data"),
            log: "info".to_owned(),
        }
    }
}

/// `[rpc]`: the JSON-RPC server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RpcConfig {
    /// Listen address (default [`DEFAULT_RPC_LISTEN`]).
    pub listen: SocketAddr,
    /// Largest request body in bytes (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub max_body_bytes: usize,
    /// Most calls in one batch (default [`DEFAULT_MAX_BATCH_REQUESTS`]).
    pub max_batch_requests: usize,
    /// Gas cap of `eth_call`/`eth_estimateGas` (default [`DEFAULT_GAS_CAP`]).
    pub gas_cap: u64,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            listen: DEFAULT_RPC_LISTEN,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_batch_requests: DEFAULT_MAX_BATCH_REQUESTS,
            gas_cap: DEFAULT_GAS_CAP,
        }
    }
}

/// `[metrics]`: the Prometheus endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Listen address of `GET /metrics` (default: off).
    pub listen: Option<SocketAddr>,
}

/// `[sequencer]`: block production.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SequencerConfig {
    /// Time between blocks, e.g. `"1s"`, `"250ms"` (default 1 s).
    #[serde(with = "humantime_serde")]
    pub block_time: Duration,
    /// Receives priority fees (default the zero address).
    pub coinbase: Address,
    /// Most transactions per block (default: only gas bounds a block).
    pub max_block_txs: Option<usize>,
}

impl Default for SequencerConfig {
    fn default() -> Self {
        Self {
            block_time: DEFAULT_BLOCK_TIME,
            coinbase: Address::ZERO,
            max_block_txs: None,
        }
    }
}

/// `[fees]`: EIP-1559 parameters and bounds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeeConfig {
    /// Lowest base fee, wei (default 0).
    pub min_base_fee: u64,
    /// Highest base fee, wei (default unbounded).
    pub max_base_fee: u64,
    /// EIP-1559 elasticity multiplier (default 2).
    pub elasticity_multiplier: u64,
    /// EIP-1559 max change denominator (default 8).
    pub base_fee_max_change_denominator: u64,
    /// Lowest priority fee the pool accepts, wei (default 0).
    pub min_priority_fee: u64,
}

impl Default for FeeConfig {
    fn default() -> Self {
        Self {
            min_base_fee: 0,
            max_base_fee: u64::MAX,
            elasticity_multiplier: DEFAULT_ELASTICITY_MULTIPLIER,
            base_fee_max_change_denominator: DEFAULT_BASE_FEE_MAX_CHANGE_DENOMINATOR,
            min_priority_fee: 0,
        }
    }
}

/// `[mempool]`: pool bounds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MempoolConfig {
    /// Most pooled transactions (default [`DEFAULT_MEMPOOL_MAX_TXS`]).
    pub max_txs: usize,
    /// Most pooled transactions per sender (default [`DEFAULT_MEMPOOL_MAX_TXS_PER_SENDER`]).
    pub max_txs_per_sender: usize,
    /// Fee increase, percent, a replacement must pay (default 10).
    pub price_bump_percent: u64,
    /// Largest encoded transaction, bytes (default 128 KiB).
    pub max_tx_bytes: usize,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        Self {
            max_txs: DEFAULT_MEMPOOL_MAX_TXS,
            max_txs_per_sender: DEFAULT_MEMPOOL_MAX_TXS_PER_SENDER,
            price_bump_percent: DEFAULT_PRICE_BUMP_PERCENT,
            max_tx_bytes: DEFAULT_MAX_TX_BYTES,
        }
    }
}

impl Config {
    /// Reads `path`, applies `KEEL_<SECTION>__<KEY>` overrides from the process environment,
    /// and validates the result.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml_str(&text, path, std::env::vars())
    }

    /// Parses `text` (named `origin` in errors) with the overrides in `env`, and validates it.
    pub fn from_toml_str(
        text: &str,
        origin: &Path,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| ConfigError::Syntax {
                    path: origin.to_owned(),
                    message: e.to_string(),
                })?;
        let overrides = env::apply_overrides(&mut table, env)?;
        let config: Self =
            serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
                let key = e.path().to_string();
                let origin_note = overrides
                    .iter()
                    .find(|(path, _)| path.starts_with(&key) || key.starts_with(path.as_str()))
                    .map(|(_, var)| format!(" (set by {var})"))
                    .unwrap_or_default();
                ConfigError::Key {
                    path: origin.to_owned(),
                    key,
                    problem: e.into_inner().to_string(),
                    origin: origin_note,
                }
            })?;
        config.validate(origin)?;
        Ok(config)
    }

    /// Checks values that parse but cannot work.
    pub fn validate(&self, origin: &Path) -> Result<(), ConfigError> {
        let invalid = |key: &'static str, message: String| {
            Err(ConfigError::Invalid {
                path: origin.to_owned(),
                key,
                message,
            })
        };
        if self.chain.chain_id == 0 {
            return invalid("chain.chain_id", "must be greater than 0".into());
        }
        let (min, max) = BLOCK_TIME_RANGE;
        if !(min..=max).contains(&self.sequencer.block_time) {
            return invalid(
                "sequencer.block_time",
                format!(
                    "{:?} is outside {min:?}..={max:?}",
                    self.sequencer.block_time
                ),
            );
        }
        if self.genesis.gas_limit < MIN_GAS_LIMIT || self.genesis.gas_limit > i64::MAX as u64 {
            return invalid(
                "genesis.gas_limit",
                format!("must be between {MIN_GAS_LIMIT} and 2^63 - 1"),
            );
        }
        if self.genesis.extra_data.len() > 32 {
            return invalid(
                "genesis.extra_data",
                format!(
                    "is {} bytes; at most 32 are allowed",
                    self.genesis.extra_data.len()
                ),
            );
        }
        if self.fees.min_base_fee > self.fees.max_base_fee {
            return invalid(
                "fees.min_base_fee",
                "must not exceed fees.max_base_fee".into(),
            );
        }
        if !(self.fees.min_base_fee..=self.fees.max_base_fee).contains(&self.genesis.base_fee) {
            return invalid(
                "genesis.base_fee",
                "must lie within [fees.min_base_fee, fees.max_base_fee]".into(),
            );
        }
        if self.fees.elasticity_multiplier == 0 {
            return invalid("fees.elasticity_multiplier", "must be at least 1".into());
        }
        if self.fees.base_fee_max_change_denominator == 0 {
            return invalid(
                "fees.base_fee_max_change_denominator",
                "must be at least 1".into(),
            );
        }
        if self.mempool.price_bump_percent == 0 {
            return invalid("mempool.price_bump_percent", "must be at least 1".into());
        }
        for (key, value) in [
            ("mempool.max_txs", self.mempool.max_txs),
            (
                "mempool.max_txs_per_sender",
                self.mempool.max_txs_per_sender,
            ),
            ("mempool.max_tx_bytes", self.mempool.max_tx_bytes),
            ("rpc.max_body_bytes", self.rpc.max_body_bytes),
            ("rpc.max_batch_requests", self.rpc.max_batch_requests),
        ] {
            if value == 0 {
                return invalid(key, "must be greater than 0".into());
            }
        }
        Ok(())
    }
}
