//! `[l1]`: the section of the config file this crate owns.

use std::{path::PathBuf, time::Duration};

use alloy::primitives::{Address, B256, U256};
use humantime_serde::re::humantime::format_duration;
use keel_units::{Violation, ensure};
use serde::Deserialize;

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
/// Default `l1.max_batches_per_tx`: 8. With 12 s L1 blocks, one commit and one verification
/// per block settle up to 8 batches every 24 s, well ahead of one batch per `commit_interval`.
pub const DEFAULT_MAX_BATCHES_PER_TX: usize = 8;
/// Default `l1.max_fee_per_gas`: 1,000 gwei. Fee bumps stop there: a stuck transaction waits
/// at the cap rather than paying any price an L1 fee spike asks.
pub const DEFAULT_MAX_FEE_PER_GAS: u64 = 1_000_000_000_000;
/// Default `l1.max_fee_per_blob_gas`: 1,000 gwei, the cap of a commit's blob fee likewise.
pub const DEFAULT_MAX_FEE_PER_BLOB_GAS: u64 = 1_000_000_000_000;
/// Default `l1.deposit_inclusion_period`: 1 hour, what `keel deploy` gives the bridge as the
/// time every deposit has to be included on L2.
pub const DEFAULT_DEPOSIT_INCLUSION_PERIOD: Duration = Duration::from_secs(3600);
/// Default `l1.exit_window`: 7 days ([`crate::MIN_EXIT_WINDOW`], the least `keel deploy`
/// accepts outside development chains).
pub const DEFAULT_EXIT_WINDOW: Duration = Duration::from_secs(crate::MIN_EXIT_WINDOW);
/// Default `l1.max_scan_blocks`: 1,000 L1 blocks per `eth_getLogs` query, under the limits
/// public L1 endpoints set.
pub const DEFAULT_MAX_SCAN_BLOCKS: u64 = 1_000;

/// Shortest `l1.poll_interval`: 10 ms; polling faster only loads the L1 node.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(10);

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
    #[serde(deserialize_with = "keel_units::string")]
    pub rpc_url: String,
    /// The deployment file `keel deploy` wrote: L1 chain id and contract addresses (default
    /// `None`: `<datadir>/l1-deployment.json`; a relative path is resolved from the config
    /// file's directory).
    #[serde(default, deserialize_with = "keel_units::opt_path")]
    pub deployment: Option<PathBuf>,
    /// The sequencer's L1 private key (hex): it deploys, commits batches and sends proofs
    /// (required by `keel deploy` and a sequencing node; a follower needs none). Prefer
    /// `KEEL_L1__SEQUENCER_KEY` in the environment to writing it here.
    #[serde(default, deserialize_with = "keel_units::string")]
    pub sequencer_key: String,
    /// A second L1 private key (hex) that sends the proofs (`verifyBatches` is open to anyone),
    /// in a task of its own (`l1-verifier`): the proofs' gas comes from another account than
    /// the commits'. Default empty: the sequencer key sends both, a commit and a verification
    /// ready together in one `multicall` (so they share an L1 block either way). Prefer
    /// `KEEL_L1__VERIFIER_KEY`.
    #[serde(default, deserialize_with = "keel_units::string")]
    pub verifier_key: String,
    /// L1 blocks a deposit needs (its own included) before it is credited on L2 (default
    /// [`DEFAULT_L1_CONFIRMATIONS`]; at least 1).
    #[serde(default = "default_confirmations")]
    pub confirmations: u64,
    /// How often the L1 is asked for new blocks, commits and verifications (default
    /// [`DEFAULT_L1_POLL_INTERVAL`]).
    #[serde(
        default = "default_poll_interval",
        deserialize_with = "keel_units::duration"
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
    /// Keep each batch's prover input after L1 verified it (default `false`: it is dropped
    /// then, as no prover needs it and L1 never reverts a verified batch; the inputs are most
    /// of the database's growth). `true` keeps them all, e.g. to re-prove by hand.
    #[serde(default)]
    pub keep_prover_inputs: bool,
    /// A settlement transaction not mined within this is replaced with higher fees (default
    /// [`DEFAULT_L1_TX_TIMEOUT`]).
    #[serde(
        default = "default_tx_timeout",
        deserialize_with = "keel_units::duration"
    )]
    pub tx_timeout: Duration,
    /// How much a replacement raises both fee caps, percent (default
    /// [`DEFAULT_FEE_BUMP_PERCENT`]; at least 13, what every L1 client accepts).
    #[serde(default = "default_fee_bump_percent")]
    pub fee_bump_percent: u64,
    /// The most a settlement transaction pays per gas, tip included, however many times it
    /// is re-sent (default [`DEFAULT_MAX_FEE_PER_GAS`]).
    #[serde(
        default = "default_max_fee_per_gas",
        deserialize_with = "keel_units::wei_u64"
    )]
    pub max_fee_per_gas: u64,
    /// Most batches one commit or one verification transaction carries (default
    /// [`DEFAULT_MAX_BATCHES_PER_TX`]; commits also stop at 6 blobs): how settlement catches
    /// up on a slow L1.
    #[serde(default = "default_max_batches_per_tx")]
    pub max_batches_per_tx: usize,
    /// The most a commit pays per blob gas (default [`DEFAULT_MAX_FEE_PER_BLOB_GAS`]).
    #[serde(
        default = "default_max_fee_per_blob_gas",
        deserialize_with = "keel_units::wei_u64"
    )]
    pub max_fee_per_blob_gas: u64,
    /// `keel deploy` only: how long the bridge gives each deposit to be included on L2 (default
    /// [`DEFAULT_DEPOSIT_INCLUSION_PERIOD`]).
    #[serde(
        default = "default_inclusion_period",
        deserialize_with = "keel_units::duration"
    )]
    pub deposit_inclusion_period: Duration,
    /// `keel deploy` only: the account that owns the contracts, through the timelock: it
    /// schedules verifier, program, prover-key and sequencer changes, which take effect
    /// `exit_window` later. A multisig on a real chain; never the sequencer's key (required by
    /// `keel deploy`).
    #[serde(default, deserialize_with = "keel_units::opt_address")]
    pub owner: Option<Address>,
    /// `keel deploy` only: the account that may pause the bridge's deposits and claims (once,
    /// for at most `exit_window`, until the owner re-arms it) and cancel scheduled changes.
    /// Unset (the default): no security council.
    #[serde(default, deserialize_with = "keel_units::opt_address")]
    pub security_council: Option<Address>,
    /// `keel deploy` only: the timelock's delay, and its floor for good: how long users have to
    /// leave before a change takes effect (default [`DEFAULT_EXIT_WINDOW`]; at least 7 days
    /// unless the L1 is a development chain).
    #[serde(
        default = "default_exit_window",
        deserialize_with = "keel_units::duration"
    )]
    pub exit_window: Duration,
    /// `keel deploy` only: the prover keys the development verifier accepts (addresses). Empty
    /// (the default) deploys no development verifier; it can be deployed only on dev chains.
    #[serde(default, deserialize_with = "keel_units::addresses")]
    pub dev_provers: Vec<Address>,
    /// `keel deploy` only: the prover keys the attesting verifier accepts (addresses of
    /// `keel-prover --backend openvm --attester-key`). Empty (the default) deploys none.
    #[serde(default, deserialize_with = "keel_units::addresses")]
    pub attesting_provers: Vec<Address>,
    /// `keel deploy` only: the guest program the attesting verifier pins, as
    /// `keel-prover --backend openvm --print-program` prints it (0x and 64 hex digits; required
    /// with `attesting_provers`).
    #[serde(default, deserialize_with = "keel_units::opt_b256")]
    pub attesting_program: Option<B256>,
    /// `keel deploy` only: the folder `keel-prover --backend openvm --openvm-proof evm
    /// --write-evm-verifier DIR` wrote (OpenVM's generated halo2 verifier and the program it
    /// pins): deploys it and an `OpenVmVerifier` in front of it. Unset (the default): none.
    #[serde(default)]
    pub openvm_evm_verifier: Option<std::path::PathBuf>,
    /// The beacon node API that serves L1's blobs (`GET /eth/v1/beacon/blobs/{block_id}`),
    /// e.g. `"http://127.0.0.1:5052"`; anvil serves it on its RPC port. Required by a follower
    /// of a rollup (it rebuilds the chain from the blobs); unused by the sequencer.
    #[serde(default, deserialize_with = "keel_units::opt_string")]
    pub beacon_url: Option<String>,
    /// How the beacon API names blocks: `"slot"` (default: a real L1's beacon node; the slot
    /// is computed from the block's timestamp and the beacon genesis time) or `"number"` (the
    /// execution block number, what anvil serves).
    #[serde(default)]
    pub beacon_block_id: crate::BeaconBlockId,
    /// `keel deploy` only: a based deployment, where sequencers registered in a
    /// `SequencerRegistry` take turns (see [`BasedConfig`]). Absent (the default): only
    /// `sequencer_key` commits.
    #[serde(default)]
    pub based: Option<BasedConfig>,
}

/// `[l1.based]`: the `SequencerRegistry` `keel deploy` deploys and sets on `OnChainProposer`
/// from the start. The schedule: epochs of `epoch_length` L1 blocks; each epoch's leader is
/// the next of the sequencers active in it (registration order), and only it commits; a
/// sequencer is active from two epochs after it registers until two epochs after it asks to
/// leave; its bond comes back `exit_delay` after that request (and not before it left the
/// schedule); when no batch was committed for `fallback_after`, any active sequencer commits.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasedConfig {
    /// The bond each sequencer locks to register (e.g. `"1 ether"`; > 0).
    #[serde(deserialize_with = "keel_units::wei_u256")]
    pub min_bond: U256,
    /// How long a leaving sequencer's bond stays locked (e.g. `"7d"`).
    #[serde(deserialize_with = "keel_units::duration")]
    pub exit_delay: Duration,
    /// L1 blocks per epoch, each with one leader (> 0).
    pub epoch_length: u64,
    /// Silence after which any active sequencer may commit (e.g. `"1h"`).
    #[serde(deserialize_with = "keel_units::duration")]
    pub fallback_after: Duration,
    /// The most sequencers registered at once (1..=128; default 16).
    #[serde(default = "default_max_sequencers")]
    pub max_sequencers: u64,
}

const fn default_max_sequencers() -> u64 {
    16
}

impl BasedConfig {
    fn validate(&self) -> Result<(), Violation> {
        ensure(!self.min_bond.is_zero(), "based.min_bond", || {
            "must be > 0 (a free registration lets anyone fill every slot)".into()
        })?;
        ensure(self.epoch_length > 0, "based.epoch_length", || {
            "must be >= 1 L1 block".into()
        })?;
        ensure(
            (1..=128).contains(&self.max_sequencers),
            "based.max_sequencers",
            || format!("must be within 1..=128, got {}", self.max_sequencers),
        )
    }
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
const fn default_max_batches_per_tx() -> usize {
    DEFAULT_MAX_BATCHES_PER_TX
}
const fn default_max_fee_per_gas() -> u64 {
    DEFAULT_MAX_FEE_PER_GAS
}
const fn default_max_fee_per_blob_gas() -> u64 {
    DEFAULT_MAX_FEE_PER_BLOB_GAS
}
const fn default_exit_window() -> Duration {
    DEFAULT_EXIT_WINDOW
}
const fn default_inclusion_period() -> Duration {
    DEFAULT_DEPOSIT_INCLUSION_PERIOD
}

impl L1Config {
    /// The first rule the section breaks (keys relative to `[l1]`).
    pub fn validate(&self) -> Result<(), Violation> {
        ensure(!self.rpc_url.is_empty(), "rpc_url", || {
            "must be the L1 node's JSON-RPC URL, e.g. \"http://127.0.0.1:8545\"".into()
        })?;
        ensure(
            self.rpc_url.starts_with("http://") || self.rpc_url.starts_with("https://"),
            "rpc_url",
            || format!("must be an http:// or https:// URL, got {:?}", self.rpc_url),
        )?;
        for (field, key, variable) in [
            (
                "sequencer_key",
                &self.sequencer_key,
                "KEEL_L1__SEQUENCER_KEY",
            ),
            ("verifier_key", &self.verifier_key, "KEEL_L1__VERIFIER_KEY"),
        ] {
            ensure(
                key.is_empty() || key.trim().parse::<B256>().is_ok(),
                field,
                || {
                    format!(
                        "must be a private key: \"0x\" and 64 hex digits (set it with {variable} \
                         to keep it out of the file)"
                    )
                },
            )?;
        }
        ensure(
            self.verifier_key.is_empty() || self.verifier_key.trim() != self.sequencer_key.trim(),
            "verifier_key",
            || {
                "must differ from sequencer_key (leave it empty to send proofs with that key)"
                    .into()
            },
        )?;
        ensure(self.confirmations > 0, "confirmations", || {
            "must be >= 1, got 0".into()
        })?;
        ensure(self.max_scan_blocks > 0, "max_scan_blocks", || {
            "must be >= 1, got 0".into()
        })?;
        ensure(
            self.max_deposits_per_block > 0,
            "max_deposits_per_block",
            || "must be >= 1, got 0".into(),
        )?;
        ensure(
            self.poll_interval >= MIN_POLL_INTERVAL,
            "poll_interval",
            || {
                format!(
                    "must be at least {}, got {}",
                    format_duration(MIN_POLL_INTERVAL),
                    format_duration(self.poll_interval)
                )
            },
        )?;
        ensure(
            self.tx_timeout >= Duration::from_secs(1),
            "tx_timeout",
            || "must be at least 1s".into(),
        )?;
        ensure(
            (13..=1000).contains(&self.fee_bump_percent),
            "fee_bump_percent",
            || {
                format!(
                    "must be within 13..=1000 (L1 nodes refuse a replacement under 12.5 %), got {}",
                    self.fee_bump_percent
                )
            },
        )?;
        ensure(
            (1..=64).contains(&self.max_batches_per_tx),
            "max_batches_per_tx",
            || format!("must be within 1..=64, got {}", self.max_batches_per_tx),
        )?;
        ensure(self.max_fee_per_gas > 0, "max_fee_per_gas", || {
            "must be > 0".into()
        })?;
        ensure(
            self.max_fee_per_blob_gas > 0,
            "max_fee_per_blob_gas",
            || "must be > 0".into(),
        )?;
        ensure(
            self.attesting_provers.is_empty() || self.attesting_program.is_some(),
            "attesting_program",
            || {
                "is required with l1.attesting_provers: the program commitment that \
                 `keel-prover --backend openvm --print-program` prints"
                    .into()
            },
        )?;
        ensure(
            self.beacon_url
                .as_deref()
                .is_none_or(|url| url.starts_with("http://") || url.starts_with("https://")),
            "beacon_url",
            || {
                format!(
                    "must be an http:// or https:// URL, got {:?}",
                    self.beacon_url.as_deref().unwrap_or_default()
                )
            },
        )?;
        ensure(
            self.deposit_inclusion_period.as_secs() > 0,
            "deposit_inclusion_period",
            || "must be at least 1s, e.g. \"1h\"".into(),
        )?;
        self.based.as_ref().map_or(Ok(()), BasedConfig::validate)
    }
}

impl From<&L1Config> for crate::WatcherConfig {
    fn from(l1: &L1Config) -> Self {
        Self {
            confirmations: l1.confirmations,
            poll_interval: l1.poll_interval,
            max_scan_blocks: l1.max_scan_blocks,
        }
    }
}

impl From<&L1Config> for crate::SettlerConfig {
    fn from(l1: &L1Config) -> Self {
        Self {
            poll_interval: l1.poll_interval,
            commit: l1.commit,
            verify: l1.verify,
            max_batches_per_tx: l1.max_batches_per_tx,
            keep_prover_inputs: l1.keep_prover_inputs,
        }
    }
}
