//! The sections of the config file (except `[genesis]`, in [`crate::genesis`]) and their
//! defaults.

use std::{
    net::{Ipv4Addr, SocketAddr, SocketAddrV4},
    path::PathBuf,
    time::Duration,
};

use alloy_primitives::{Address, B256};
use serde::Deserialize;

use crate::plugins::PluginsConfig;

use crate::{GenesisConfig, units};

// ---- [node] ---------------------------------------------------------------------------------

/// Default `node.datadir`: `./data`, next to wherever the node is started, so a first run
/// needs no setup; production deployments set an absolute path.
pub const DEFAULT_DATADIR: &str = "./data";
/// Default `node.log`: `info` shows startup, every sealed block and warnings without the
/// per-transaction noise of `debug`.
pub const DEFAULT_LOG: &str = "info";

// ---- [rpc] ----------------------------------------------------------------------------------

/// Default `rpc.listen`: loopback only (the API is unauthenticated), port 1729 — free on common
/// setups and not geth's 8545, so a local geth or anvil can run alongside.
pub const DEFAULT_RPC_LISTEN: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 1729));
/// Default `rpc.max_body_bytes`: 10 MiB. A hex-encoded transaction of the largest size the pool
/// takes ([`DEFAULT_MAX_TX_BYTES`]) is ~256 KiB, so this leaves room for a batch of ~40 of them
/// while bounding the memory one request can pin.
pub const DEFAULT_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// Default `rpc.max_batch_requests`: 1000, geth's `BatchRequestLimit`.
pub const DEFAULT_MAX_BATCH_REQUESTS: usize = 1000;
/// Default `rpc.gas_cap`: 50 000 000 gas for `eth_call`/`eth_estimateGas`, geth's `RPCGasCap`;
/// above the default block gas limit so any transaction that fits a block can be simulated.
pub const DEFAULT_GAS_CAP: u64 = 50_000_000;

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
/// Default `batcher.deposit_margin`: 30 s. A batch holding a deposit is sealed once the
/// deposit's L1 deadline is this close, leaving the committer time to land it on L1 (a few L1
/// blocks) before the bridge starts refusing batches without it.
pub const DEFAULT_DEPOSIT_MARGIN: Duration = Duration::from_secs(30);
/// Default `batcher.max_blocks`: 600 (10 minutes of 1 s blocks).
pub const DEFAULT_BATCH_MAX_BLOCKS: u64 = 600;
/// Default `batcher.max_gas`: 300M gas, ten full default blocks: ~14,000 ETH transfers. The
/// STF's memory grows with the gas it executes (witness, revm state, new trie nodes); this bound
/// keeps a batch's guest run well inside [`GUEST_MEMORY_LIMIT_BYTES`] (see `docs/PROVING.md`).
pub const DEFAULT_BATCH_MAX_GAS: u64 = 300_000_000;
/// Default `batcher.max_witness_bytes`: 64 MiB of trie nodes and codes.
pub const DEFAULT_BATCH_MAX_WITNESS_BYTES: u64 = 64 * 1024 * 1024;
/// The memory the prover guest may use for one batch, which the batch bounds are chosen to
/// respect: 512 MiB (OpenVM's guest address space is 2^29 bytes).
pub const GUEST_MEMORY_LIMIT_BYTES: u64 = 512 * 1024 * 1024;

// ---- [prover] -------------------------------------------------------------------------------

/// Default `prover.listen`: the proof coordinator on loopback port 3900.
pub const DEFAULT_PROVER_LISTEN: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 3900));
/// Default `prover.lease_timeout`: 10 minutes, longer than an `exec` run by far and than a GPU
/// proof of a default batch; a CPU OpenVM prover needs more (set it per deployment).
pub const DEFAULT_LEASE_TIMEOUT: Duration = Duration::from_secs(600);

// ---- [l1] -----------------------------------------------------------------------------------

/// Default `l1.confirmations`: 2 L1 blocks. A deposit is credited on L2 only once this many
/// blocks sit on top of it (counting its own), so a shallow L1 reorganisation cannot un-make a
/// credited deposit.
pub const DEFAULT_L1_CONFIRMATIONS: u64 = 2;
/// Default `l1.poll_interval`: 1 s, about an L1 dev node's block time (mainnet's is 12 s).
pub const DEFAULT_L1_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Default `l1.max_deposits_per_block`: 64. Deposits use no L2 gas; the bound keeps one block's
/// work (and its witness) small when a backlog has built up.
pub const DEFAULT_MAX_DEPOSITS_PER_BLOCK: usize = 64;
/// Default `l1.tx_timeout`: 30 s. A settlement transaction not mined by then is sent again with
/// the same nonce and higher fees.
pub const DEFAULT_L1_TX_TIMEOUT: Duration = Duration::from_secs(30);
/// Default `l1.fee_bump_percent`: 25 %, above the 10 % (geth) and 12.5 % (anvil, reth) that a
/// replacement must pay.
pub const DEFAULT_FEE_BUMP_PERCENT: u64 = 25;
/// Default `l1.deposit_inclusion_period`: 1 hour, what `keel deploy` gives the bridge as the
/// time every deposit has to be included on L2.
pub const DEFAULT_DEPOSIT_INCLUSION_PERIOD: Duration = Duration::from_secs(3600);
/// Default `l1.max_scan_blocks`: 1,000 L1 blocks per `eth_getLogs` query, under the limits
/// public L1 endpoints set.
pub const DEFAULT_MAX_SCAN_BLOCKS: u64 = 1_000;

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

// ---- [mempool] ------------------------------------------------------------------------------

/// Default `mempool.max_txs`: 10 000 transactions, ~14 full default blocks of plain transfers
/// (30M gas / 21 000 gas); memory stays bounded (≤ 10 000 × [`DEFAULT_MAX_TX_BYTES`]) and is
/// typically a few MB.
pub const DEFAULT_MEMPOOL_MAX_TXS: usize = 10_000;
/// Default `mempool.max_txs_per_sender`: 256, so one account cannot fill the pool, yet a script
/// can queue a few hundred transactions ahead. Also the furthest a nonce may run ahead of the
/// account's current nonce.
pub const DEFAULT_MEMPOOL_MAX_TXS_PER_SENDER: usize = 256;
/// Default `mempool.price_bump_percent`: 10%, geth's `PriceBump`; what wallets assume when they
/// speed up or cancel a transaction.
pub const DEFAULT_PRICE_BUMP_PERCENT: u64 = 10;
/// Default `mempool.max_tx_bytes`: 128 KiB, geth's `txMaxSize` (4 slots of 32 KiB); enough for
/// any contract deployment within EIP-3860's 48 KiB initcode limit.
pub const DEFAULT_MAX_TX_BYTES: usize = 128 * 1024;

/// EIP-1559's largest per-block change (1/8 = 12.5 %), in basis points.
pub const DEFAULT_MAX_BASE_FEE_CHANGE_BPS: u64 = 1_250;

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
    /// `[rpc]`: the JSON-RPC server.
    #[serde(default)]
    pub rpc: RpcConfig,
    /// `[metrics]`: the Prometheus endpoint.
    #[serde(default)]
    pub metrics: MetricsConfig,
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
            rpc: RpcConfig::default(),
            metrics: MetricsConfig::default(),
            sequencer: SequencerConfig::default(),
            fees: FeeConfig::default(),
            mempool: MempoolConfig::default(),
            plugins: PluginsConfig::default(),
            admin: AdminConfig::default(),
            batcher: BatcherConfig::default(),
            prover: ProverConfig::default(),
            l1: None,
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
    #[serde(deserialize_with = "units::path")]
    pub datadir: PathBuf,
    /// `tracing` `EnvFilter` directive, e.g. `"info,keel::sequencer=debug"` (default
    /// [`DEFAULT_LOG`]); `RUST_LOG`, when set, replaces it.
    #[serde(deserialize_with = "units::string")]
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

/// `[rpc]`: the JSON-RPC server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RpcConfig {
    /// Listen address, an IP and port (default [`DEFAULT_RPC_LISTEN`]); port 0 picks a free one.
    #[serde(deserialize_with = "units::socket_addr")]
    pub listen: SocketAddr,
    /// Largest request body in bytes (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub max_body_bytes: usize,
    /// Most calls in one JSON-RPC batch (default [`DEFAULT_MAX_BATCH_REQUESTS`]).
    pub max_batch_requests: usize,
    /// Gas cap of `eth_call` and `eth_estimateGas` (default [`DEFAULT_GAS_CAP`]; at least
    /// [`crate::MIN_GAS_CAP`]).
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

/// `[metrics]`: the Prometheus endpoint. (Its default, disabled, is `Option`'s, hence the
/// derived `Default`.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Listen address of `GET /metrics` (default `None`: disabled; `""` also disables it).
    #[serde(deserialize_with = "units::opt_socket_addr")]
    pub listen: Option<SocketAddr>,
}

/// `[admin]`: the admin JSON-RPC (`keel_*` methods: plugin swaps and their history), on its own
/// address and behind a JWT secret, as the Engine API is. Disabled unless `listen` is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// Listen address (default `None`: no admin API; `""` also disables it). Keep it on
    /// loopback or a private network: the JWT authenticates, it does not encrypt.
    #[serde(deserialize_with = "units::opt_socket_addr")]
    pub listen: Option<SocketAddr>,
    /// File with the hex-encoded 32-byte HS256 secret (default `None`:
    /// `<datadir>/admin-jwt.hex`). A missing file is created with a random secret; a relative
    /// path is resolved from the config file's directory.
    #[serde(default, deserialize_with = "units::opt_path")]
    pub jwt_secret: Option<PathBuf>,
}

/// `[batcher]`: when the open batch is sealed. A batch is sealed before a block would take it
/// past `max_blocks` or `max_gas`, or once its witness reached `max_witness_bytes`, or when
/// `commit_interval` has passed since its first block; never empty.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BatcherConfig {
    /// Longest time between a batch's first block and its sealing (default
    /// [`DEFAULT_COMMIT_INTERVAL`]).
    #[serde(deserialize_with = "units::duration")]
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
    /// (default `false`; the devnet and the tests turn it on).
    pub self_check: bool,
    /// Seal the open batch early once a deposit in it is this close to its L1 inclusion
    /// deadline, so the batch is committed in time (default [`DEFAULT_DEPOSIT_MARGIN`]).
    #[serde(deserialize_with = "units::duration")]
    pub deposit_margin: Duration,
}

impl Default for BatcherConfig {
    fn default() -> Self {
        Self {
            commit_interval: DEFAULT_COMMIT_INTERVAL,
            max_blocks: DEFAULT_BATCH_MAX_BLOCKS,
            max_gas: DEFAULT_BATCH_MAX_GAS,
            max_witness_bytes: DEFAULT_BATCH_MAX_WITNESS_BYTES,
            self_check: false,
            deposit_margin: DEFAULT_DEPOSIT_MARGIN,
        }
    }
}

/// `[prover]`: the proof coordinator, where `keel-prover` processes fetch batches and return
/// proofs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProverConfig {
    /// Listen address (default [`DEFAULT_PROVER_LISTEN`]; `""` disables the coordinator).
    /// Provers are not authenticated: keep it on loopback or a private network.
    #[serde(deserialize_with = "units::opt_socket_addr")]
    pub listen: Option<SocketAddr>,
    /// How long a prover holds a batch before it is offered to another (default
    /// [`DEFAULT_LEASE_TIMEOUT`]).
    #[serde(deserialize_with = "units::duration")]
    pub lease_timeout: Duration,
    /// Programs of the `openvm` backend whose proofs this node takes besides those its L1
    /// attesting verifiers pin: the ids `keel-prover --backend openvm --print-program` prints
    /// (default none; a node without `[l1]` needs it to take OpenVM proofs at all).
    #[serde(deserialize_with = "units::b256s")]
    pub openvm_programs: Vec<B256>,
}

impl Default for ProverConfig {
    fn default() -> Self {
        Self {
            listen: Some(DEFAULT_PROVER_LISTEN),
            lease_timeout: DEFAULT_LEASE_TIMEOUT,
            openvm_programs: Vec::new(),
        }
    }
}

/// `[l1]`: the L1 the rollup settles on, through the contracts `keel deploy` put there. With it
/// the node watches the bridge for deposits, commits every sealed batch and sends every proof.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct L1Config {
    /// Whether the node settles at all (default `true`). `false` keeps the section (for
    /// `keel deploy` and `keel withdraw`) but runs the node without L1, as if it were absent.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The L1 node's JSON-RPC URL, e.g. `"http://127.0.0.1:8545"` (required).
    #[serde(deserialize_with = "units::string")]
    pub rpc_url: String,
    /// The deployment file `keel deploy` wrote: L1 chain id and contract addresses (default
    /// `None`: `<datadir>/l1-deployment.json`; a relative path is resolved from the config
    /// file's directory).
    #[serde(default, deserialize_with = "units::opt_path")]
    pub deployment: Option<PathBuf>,
    /// The sequencer's L1 private key (hex): it deploys, commits batches and sends proofs
    /// (required). Prefer `KEEL_L1__SEQUENCER_KEY` in the environment to writing it here.
    #[serde(deserialize_with = "units::string")]
    pub sequencer_key: String,
    /// L1 blocks a deposit needs (its own included) before it is credited on L2 (default
    /// [`DEFAULT_L1_CONFIRMATIONS`]; at least 1).
    #[serde(default = "default_confirmations")]
    pub confirmations: u64,
    /// How often the L1 is asked for new blocks, commits and verifications (default
    /// [`DEFAULT_L1_POLL_INTERVAL`]).
    #[serde(
        default = "default_poll_interval",
        deserialize_with = "units::duration"
    )]
    pub poll_interval: Duration,
    /// Most L1 blocks per deposit-log query (default [`DEFAULT_MAX_SCAN_BLOCKS`]).
    #[serde(default = "default_max_scan_blocks")]
    pub max_scan_blocks: u64,
    /// Most deposits one L2 block includes (default [`DEFAULT_MAX_DEPOSITS_PER_BLOCK`]).
    #[serde(default = "default_max_deposits_per_block")]
    pub max_deposits_per_block: usize,
    /// Commit sealed batches to `OnChainProposer` (default `true`; `false` for a node that only
    /// follows deposits).
    #[serde(default = "yes")]
    pub commit: bool,
    /// Send stored proofs to `OnChainProposer.verifyBatch` (default `true`).
    #[serde(default = "yes")]
    pub verify: bool,
    /// A settlement transaction not mined within this is replaced with higher fees (default
    /// [`DEFAULT_L1_TX_TIMEOUT`]).
    #[serde(default = "default_tx_timeout", deserialize_with = "units::duration")]
    pub tx_timeout: Duration,
    /// How much a replacement raises both fee caps, percent (default
    /// [`DEFAULT_FEE_BUMP_PERCENT`]; at least 13, what every L1 client accepts).
    #[serde(default = "default_fee_bump_percent")]
    pub fee_bump_percent: u64,
    /// `keel deploy` only: how long the bridge gives each deposit to be included on L2 (default
    /// [`DEFAULT_DEPOSIT_INCLUSION_PERIOD`]).
    #[serde(
        default = "default_inclusion_period",
        deserialize_with = "units::duration"
    )]
    pub deposit_inclusion_period: Duration,
    /// `keel deploy` only: the prover keys the development verifier accepts (addresses). Empty
    /// (the default) deploys no development verifier; it can be deployed only on dev chains.
    #[serde(default, deserialize_with = "units::addresses")]
    pub dev_provers: Vec<Address>,
    /// `keel deploy` only: the prover keys the attesting verifier accepts (addresses of
    /// `keel-prover --backend openvm --attester-key`). Empty (the default) deploys none.
    #[serde(default, deserialize_with = "units::addresses")]
    pub attesting_provers: Vec<Address>,
    /// `keel deploy` only: the guest program the attesting verifier pins, as
    /// `keel-prover --backend openvm --print-program` prints it (0x and 64 hex digits; required
    /// with `attesting_provers`).
    #[serde(default, deserialize_with = "units::opt_b256")]
    pub attesting_program: Option<B256>,
    /// `keel deploy` only: the folder `keel-prover --backend openvm --openvm-proof evm
    /// --write-evm-verifier DIR` wrote (OpenVM's generated halo2 verifier and the program it
    /// pins): deploys it and an `OpenVmVerifier` in front of it. Unset (the default): none.
    #[serde(default)]
    pub openvm_evm_verifier: Option<std::path::PathBuf>,
}

const fn yes() -> bool {
    true
}
const fn default_confirmations() -> u64 {
    DEFAULT_L1_CONFIRMATIONS
}
const fn default_poll_interval() -> Duration {
    DEFAULT_L1_POLL_INTERVAL
}
const fn default_max_scan_blocks() -> u64 {
    DEFAULT_MAX_SCAN_BLOCKS
}
const fn default_max_deposits_per_block() -> usize {
    DEFAULT_MAX_DEPOSITS_PER_BLOCK
}
const fn default_tx_timeout() -> Duration {
    DEFAULT_L1_TX_TIMEOUT
}
const fn default_fee_bump_percent() -> u64 {
    DEFAULT_FEE_BUMP_PERCENT
}
const fn default_inclusion_period() -> Duration {
    DEFAULT_DEPOSIT_INCLUSION_PERIOD
}

/// `[sequencer]`: block production.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SequencerConfig {
    /// Time between blocks, e.g. `"1s"`, `"250ms"` (default [`DEFAULT_BLOCK_TIME`]; between
    /// [`crate::MIN_BLOCK_TIME`] and [`crate::MAX_BLOCK_TIME`]).
    #[serde(deserialize_with = "units::duration")]
    pub block_time: Duration,
    /// Receives the priority fees (default [`DEFAULT_COINBASE`], the zero address).
    #[serde(deserialize_with = "units::address")]
    pub coinbase: Address,
    /// Most transactions per block (default `None`: only the gas limit bounds a block; `""`
    /// also means none).
    #[serde(deserialize_with = "units::opt_usize")]
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
    #[serde(deserialize_with = "units::wei_u64")]
    pub min_base_fee: u64,
    /// Highest base fee, wei (default [`DEFAULT_MAX_BASE_FEE`], unbounded).
    #[serde(deserialize_with = "units::wei_u64")]
    pub max_base_fee: u64,
    /// Gas target = gas limit / this (default [`DEFAULT_ELASTICITY_MULTIPLIER`]).
    pub elasticity_multiplier: u64,
    /// The base fee changes by at most 1/this per block (default
    /// [`DEFAULT_BASE_FEE_MAX_CHANGE_DENOMINATOR`]).
    pub base_fee_max_change_denominator: u64,
    /// Lowest priority fee (tip) per gas the pool accepts, wei (default
    /// [`DEFAULT_MIN_PRIORITY_FEE`]).
    #[serde(deserialize_with = "units::wei_u64")]
    pub min_priority_fee: u64,
    /// Largest change of the base fee from one block to the next that any fee rule (a plugin
    /// included) may make, in basis points of the parent's (default
    /// [`DEFAULT_MAX_BASE_FEE_CHANGE_BPS`], EIP-1559's 12.5 %).
    pub max_base_fee_change_bps: u64,
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
        }
    }
}

/// `[mempool]`: transaction pool bounds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MempoolConfig {
    /// Most pooled transactions (default [`DEFAULT_MEMPOOL_MAX_TXS`]).
    pub max_txs: usize,
    /// Most pooled transactions per sender, and the furthest a nonce may run ahead of the
    /// account's (default [`DEFAULT_MEMPOOL_MAX_TXS_PER_SENDER`]).
    pub max_txs_per_sender: usize,
    /// A replacement (same sender and nonce) must raise its fees by this percent (default
    /// [`DEFAULT_PRICE_BUMP_PERCENT`]).
    pub price_bump_percent: u64,
    /// Largest encoded transaction in bytes (default [`DEFAULT_MAX_TX_BYTES`]).
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
