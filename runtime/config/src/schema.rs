//! The file as a whole, and the sections the node binary owns (`[chain]`, `[node]`,
//! `[metrics]`). Every other section is defined by the crate that uses it and composed here.

use std::{net::SocketAddr, path::PathBuf};

use serde::Deserialize;

use crate::{
    AdminConfig, BasedNodeConfig, BatcherConfig, FeeConfig, FollowerConfig, GenesisConfig,
    L1Config, MempoolConfig, PluginsConfig, ProverConfig, RpcConfig, SequencerConfig, StatusConfig,
};

// ---- [node] ---------------------------------------------------------------------------------

/// Default `node.datadir`: `./data`, next to wherever the node is started, so a first run
/// needs no setup; production deployments set an absolute path.
pub const DEFAULT_DATADIR: &str = "./data";
/// Default `node.log`: `info` shows startup, every sealed block and warnings without the
/// per-transaction noise of `debug`.
pub const DEFAULT_LOG: &str = "info";

/// The whole config file. Every section but `[chain]` may be left out.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[chain]`: which chain this is (required).
    pub chain: ChainConfig,
    /// `[genesis]`: block 0 and its state.
    #[serde(default)]
    pub genesis: GenesisConfig,
    /// `[node]`: data directory and logging.
    #[serde(default)]
    pub node: NodeConfig,
    /// `[pruning]`: which past states the node keeps.
    #[serde(default)]
    pub pruning: PruningConfig,
    /// `[rpc]`: the JSON-RPC server.
    #[serde(default)]
    pub rpc: RpcConfig,
    /// `[metrics]`: the Prometheus endpoint.
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// `[status]`: the status page.
    #[serde(default)]
    pub status: StatusConfig,
    /// `[sequencer]`: block production.
    #[serde(default)]
    pub sequencer: SequencerConfig,
    /// `[fees]`: EIP-1559 parameters and fee bounds.
    #[serde(default)]
    pub fees: FeeConfig,
    /// `[mempool]`: transaction pool bounds.
    #[serde(default)]
    pub mempool: MempoolConfig,
    /// `[plugins]`: ordering, fee and bridge plugins; absent slots use the native rules.
    #[serde(default)]
    pub plugins: PluginsConfig,
    /// `[admin]`: the admin JSON-RPC (plugin swaps).
    #[serde(default)]
    pub admin: AdminConfig,
    /// `[batcher]`: when blocks are sealed into batches for proving.
    #[serde(default)]
    pub batcher: BatcherConfig,
    /// `[prover]`: the proof coordinator provers connect to.
    #[serde(default)]
    pub prover: ProverConfig,
    /// `[l1]`: settlement on an Ethereum L1 (absent: the node runs without one).
    #[serde(default)]
    pub l1: Option<L1Config>,
    /// `[follower]`: run as a follower, rebuilding the chain from `[l1]` (absent: the node
    /// sequences).
    #[serde(default)]
    pub follower: Option<FollowerConfig>,
    /// `[based]`: take turns with other sequencers as `[l1]`'s sequencer registry schedules
    /// them, following L1 between turns (absent: the node sequences alone, or follows).
    #[serde(default)]
    pub based: Option<BasedNodeConfig>,
}

impl Config {
    /// `[l1]` if the node settles on L1 (present and `enabled`).
    pub fn settlement(&self) -> Option<&L1Config> {
        self.l1.as_ref().filter(|l1| l1.enabled)
    }
}

impl Config {
    /// A config for `chain_id` with every other key at its default, as if the file were
    /// `[chain] chain_id = …` alone. Not validated (a `chain_id` of 0 is accepted here).
    pub fn new(chain_id: u64) -> Self {
        Self {
            chain: ChainConfig { chain_id },
            genesis: GenesisConfig::default(),
            node: NodeConfig::default(),
            pruning: PruningConfig::default(),
            rpc: RpcConfig::default(),
            metrics: MetricsConfig::default(),
            status: StatusConfig::default(),
            sequencer: SequencerConfig::default(),
            fees: FeeConfig::default(),
            mempool: MempoolConfig::default(),
            plugins: PluginsConfig::default(),
            admin: AdminConfig::default(),
            batcher: BatcherConfig::default(),
            prover: ProverConfig::default(),
            l1: None,
            follower: None,
            based: None,
        }
    }
}

/// `[chain]`: which chain this is. The one required section: there is no sensible default
/// chain id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    /// EIP-155 chain id, signed into every transaction (required; 1 ..= [`crate::MAX_CHAIN_ID`]).
    pub chain_id: u64,
}

/// `[node]`: where the node keeps its data and what it logs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// Data directory, created if missing (default [`DEFAULT_DATADIR`]). Relative paths are
    /// resolved from the working directory; `keel node --datadir` overrides it.
    #[serde(deserialize_with = "keel_units::path")]
    pub datadir: PathBuf,
    /// `tracing` `EnvFilter` directive, e.g. `"info,keel::sequencer=debug"` (default
    /// [`DEFAULT_LOG`]); `RUST_LOG`, when set, replaces it.
    #[serde(deserialize_with = "keel_units::string")]
    pub log: String,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            datadir: PathBuf::from(DEFAULT_DATADIR),
            log: DEFAULT_LOG.to_owned(),
        }
    }
}

/// Default `pruning.state_history`: the state of the last 1,024 blocks (17 minutes of 1 s
/// blocks) answers RPC at past blocks, as reth's full node keeps its last ~10,000.
pub const DEFAULT_STATE_HISTORY: u64 = 1024;

/// `[pruning]`: which past states the node keeps. The latest state, every block, receipt and
/// transaction are always kept; what goes is the trie of old states.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PruningConfig {
    /// `"full"` (default): keep the state of the last `state_history` blocks and of every
    /// block L1 may still take back; RPC at an older block says its state was pruned.
    /// `"archive"`: keep every block's state. A node switched from archive to full answers
    /// only for its recent states but never frees the ones it archived (their blocks listed
    /// no stale nodes).
    pub mode: PruningMode,
    /// How many blocks below the head keep their state on a full node (default
    /// [`DEFAULT_STATE_HISTORY`]; at least 1).
    pub state_history: u64,
}

impl Default for PruningConfig {
    fn default() -> Self {
        Self {
            mode: PruningMode::Full,
            state_history: DEFAULT_STATE_HISTORY,
        }
    }
}

/// `pruning.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PruningMode {
    /// Recent states only.
    Full,
    /// Every state.
    Archive,
}

/// `[metrics]`: the Prometheus endpoint. (Its default, disabled, is `Option`'s, hence the
/// derived `Default`.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Listen address of `GET /metrics` (default `None`: disabled; `""` also disables it).
    #[serde(deserialize_with = "keel_units::opt_socket_addr")]
    pub listen: Option<SocketAddr>,
}
