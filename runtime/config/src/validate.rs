//! Checks on values that parse but cannot work, and the bounds they use.

use std::{path::Path, time::Duration};

use humantime_serde::re::humantime::format_duration;

use crate::{Config, ConfigError, Location};

/// Largest `chain.chain_id`: EIP-2294's bound, `floor(u64::MAX / 2) - 36`, so that an EIP-155
/// signature's `v = chain_id * 2 + 36` fits 64 bits.
pub const MAX_CHAIN_ID: u64 = u64::MAX / 2 - 36;
/// Smallest `sequencer.block_time`: below 10 ms the proposer spends its time sealing empty
/// blocks and every block is a disk sync.
pub const MIN_BLOCK_TIME: Duration = Duration::from_millis(10);
/// Largest `sequencer.block_time`: an hour; beyond that a "block time" is a misconfiguration
/// (and transactions would wait that long).
pub const MAX_BLOCK_TIME: Duration = Duration::from_secs(3600);
/// Smallest `genesis.gas_limit`: 5000, geth's `MinGasLimit`.
pub const MIN_GAS_LIMIT: u64 = 5000;
/// Largest `genesis.gas_limit`: 2⁶³ − 1, EIP-1985's bound (gas values are signed 64-bit in some
/// clients and tools).
pub const MAX_GAS_LIMIT: u64 = i64::MAX as u64;
/// Largest `genesis.extra_data`: 32 bytes, Ethereum's `MaximumExtraDataSize`.
pub const MAX_EXTRA_DATA_BYTES: usize = 32;
/// Smallest `rpc.gas_cap`: 21 000, the cost of a plain transfer; below it no call can run.
pub const MIN_GAS_CAP: u64 = 21_000;

/// A rule a config breaks: the key and the message (`must be > 0, got 0`).
#[derive(Debug)]
pub(crate) struct Violation {
    pub(crate) key: &'static str,
    pub(crate) message: String,
}

fn violation(key: &'static str, message: String) -> Result<(), Violation> {
    Err(Violation { key, message })
}

impl Config {
    /// Checks values that parse but cannot work (ranges, consistency between keys); `origin`
    /// names the file in the error. [`Config::load`] and [`Config::from_toml_str`] already call
    /// this (and also give the line); use it after changing a config in code.
    pub fn validate(&self, origin: &Path) -> Result<(), ConfigError> {
        self.check().map_err(|v| ConfigError::Invalid {
            location: Location::file(origin),
            key: v.key.to_owned(),
            message: v.message,
        })
    }

    /// The first rule this config breaks.
    pub(crate) fn check(&self) -> Result<(), Violation> {
        let Self {
            chain,
            genesis,
            node,
            rpc,
            metrics,
            sequencer,
            fees,
            mempool,
            plugins,
            admin,
            batcher,
            prover,
            l1,
        } = self;

        if chain.chain_id == 0 {
            return violation("chain.chain_id", "must be > 0, got 0".into());
        }
        if chain.chain_id > MAX_CHAIN_ID {
            return violation(
                "chain.chain_id",
                format!(
                    "must be at most {MAX_CHAIN_ID} (EIP-2294), got {}",
                    chain.chain_id
                ),
            );
        }

        if !(MIN_GAS_LIMIT..=MAX_GAS_LIMIT).contains(&genesis.gas_limit) {
            return violation(
                "genesis.gas_limit",
                format!(
                    "must be between {MIN_GAS_LIMIT} and {MAX_GAS_LIMIT} (2^63 - 1), got {}",
                    genesis.gas_limit
                ),
            );
        }
        if genesis.extra_data.len() > MAX_EXTRA_DATA_BYTES {
            return violation(
                "genesis.extra_data",
                format!(
                    "must be at most {MAX_EXTRA_DATA_BYTES} bytes, got {}",
                    genesis.extra_data.len()
                ),
            );
        }

        if node.datadir.as_os_str().is_empty() {
            return violation(
                "node.datadir",
                "must not be empty; use \".\" for the working directory".into(),
            );
        }

        for (key, value) in [
            ("rpc.max_body_bytes", rpc.max_body_bytes),
            ("rpc.max_batch_requests", rpc.max_batch_requests),
        ] {
            if value == 0 {
                return violation(key, "must be > 0, got 0".into());
            }
        }
        if rpc.gas_cap < MIN_GAS_CAP {
            return violation(
                "rpc.gas_cap",
                format!(
                    "must be at least {MIN_GAS_CAP} (a plain transfer), got {}",
                    rpc.gas_cap
                ),
            );
        }
        if let Some(listen) = metrics.listen
            && listen == rpc.listen
            && listen.port() != 0
        {
            return violation(
                "metrics.listen",
                format!("must differ from rpc.listen (both are {listen})"),
            );
        }

        if let Some(listen) = admin.listen
            && listen.port() != 0
        {
            for (other, key) in [
                (Some(rpc.listen), "rpc.listen"),
                (metrics.listen, "metrics.listen"),
            ] {
                if other == Some(listen) {
                    return violation(
                        "admin.listen",
                        format!("must differ from {key} (both are {listen})"),
                    );
                }
            }
        }

        if let Some(listen) = prover.listen
            && listen.port() != 0
        {
            for (other, key) in [
                (Some(rpc.listen), "rpc.listen"),
                (metrics.listen, "metrics.listen"),
                (admin.listen, "admin.listen"),
            ] {
                if other == Some(listen) {
                    return violation(
                        "prover.listen",
                        format!("must differ from {key} (both are {listen})"),
                    );
                }
            }
        }
        if prover.lease_timeout < Duration::from_secs(1) {
            return violation(
                "prover.lease_timeout",
                format!(
                    "must be at least 1s, got {}",
                    format_duration(prover.lease_timeout)
                ),
            );
        }
        if batcher.commit_interval.is_zero() {
            return violation(
                "batcher.commit_interval",
                "must be > 0, e.g. \"10s\"".into(),
            );
        }
        if batcher.max_blocks == 0 {
            return violation("batcher.max_blocks", "must be >= 1, got 0".into());
        }
        if batcher.max_gas < genesis.gas_limit {
            return violation(
                "batcher.max_gas",
                format!(
                    "must be at least the block gas limit (genesis.gas_limit = {}), got {}",
                    genesis.gas_limit, batcher.max_gas
                ),
            );
        }
        if let Some(l1) = l1 {
            if l1.rpc_url.is_empty() {
                return violation(
                    "l1.rpc_url",
                    "must be the L1 node's JSON-RPC URL, e.g. \"http://127.0.0.1:8545\"".into(),
                );
            }
            if !(l1.rpc_url.starts_with("http://") || l1.rpc_url.starts_with("https://")) {
                return violation(
                    "l1.rpc_url",
                    format!("must be an http:// or https:// URL, got {:?}", l1.rpc_url),
                );
            }
            if l1
                .sequencer_key
                .trim()
                .parse::<alloy_primitives::B256>()
                .is_err()
            {
                return violation(
                    "l1.sequencer_key",
                    "must be a private key: \"0x\" and 64 hex digits (set it with \
                     KEEL_L1__SEQUENCER_KEY to keep it out of the file)"
                        .into(),
                );
            }
            if l1.confirmations == 0 {
                return violation("l1.confirmations", "must be >= 1, got 0".into());
            }
            for (key, value) in [
                ("l1.max_scan_blocks", l1.max_scan_blocks),
                (
                    "l1.max_deposits_per_block",
                    l1.max_deposits_per_block as u64,
                ),
            ] {
                if value == 0 {
                    return violation(key, "must be >= 1, got 0".into());
                }
            }
            if l1.poll_interval < MIN_BLOCK_TIME {
                return violation(
                    "l1.poll_interval",
                    format!(
                        "must be at least {}, got {}",
                        format_duration(MIN_BLOCK_TIME),
                        format_duration(l1.poll_interval)
                    ),
                );
            }
            if l1.tx_timeout < Duration::from_secs(1) {
                return violation("l1.tx_timeout", "must be at least 1s".into());
            }
            if !(13..=1000).contains(&l1.fee_bump_percent) {
                return violation(
                    "l1.fee_bump_percent",
                    format!(
                        "must be within 13..=1000 (L1 nodes refuse a replacement under 12.5 %), \
                         got {}",
                        l1.fee_bump_percent
                    ),
                );
            }
            if !l1.attesting_provers.is_empty() && l1.attesting_program.is_none() {
                return violation(
                    "l1.attesting_program",
                    "is required with l1.attesting_provers: the program commitment that \
                     `keel-prover --backend openvm --print-program` prints"
                        .into(),
                );
            }
            if l1.deposit_inclusion_period.as_secs() == 0 {
                return violation(
                    "l1.deposit_inclusion_period",
                    "must be at least 1s, e.g. \"1h\"".into(),
                );
            }
        }
        if batcher.max_witness_bytes == 0 {
            return violation("batcher.max_witness_bytes", "must be >= 1, got 0".into());
        }

        if !(MIN_BLOCK_TIME..=MAX_BLOCK_TIME).contains(&sequencer.block_time) {
            return violation(
                "sequencer.block_time",
                format!(
                    "must be between {} and {}, got {}",
                    format_duration(MIN_BLOCK_TIME),
                    format_duration(MAX_BLOCK_TIME),
                    format_duration(sequencer.block_time)
                ),
            );
        }
        if sequencer.max_block_txs == Some(0) {
            return violation(
                "sequencer.max_block_txs",
                "must be > 0 when set, got 0".into(),
            );
        }

        if fees.min_base_fee > fees.max_base_fee {
            return violation(
                "fees.min_base_fee",
                format!(
                    "must be <= fees.max_base_fee ({}), got {}",
                    fees.max_base_fee, fees.min_base_fee
                ),
            );
        }
        if fees.max_base_fee_change_bps == 0 {
            return violation(
                "fees.max_base_fee_change_bps",
                "must be >= 1 (basis points), got 0".into(),
            );
        }
        for (key, slot) in [
            ("plugins.ordering", &plugins.ordering),
            ("plugins.fee", &plugins.fee),
            ("plugins.bridge", &plugins.bridge),
        ] {
            if let Some(slot) = slot {
                if slot.fuel == 0 {
                    return violation(key, "fuel must be >= 1".into());
                }
                if slot.memory_mb == 0 || slot.memory_mb > 1024 {
                    return violation(
                        key,
                        format!("memory_mb must be within 1..=1024, got {}", slot.memory_mb),
                    );
                }
            }
        }
        if fees.elasticity_multiplier == 0 {
            return violation("fees.elasticity_multiplier", "must be >= 1, got 0".into());
        }
        if fees.elasticity_multiplier > genesis.gas_limit {
            return violation(
                "fees.elasticity_multiplier",
                format!(
                    "must be <= genesis.gas_limit ({}) so that the gas target (gas_limit / \
                     elasticity_multiplier) is at least 1, got {}",
                    genesis.gas_limit, fees.elasticity_multiplier
                ),
            );
        }
        if fees.base_fee_max_change_denominator == 0 {
            return violation(
                "fees.base_fee_max_change_denominator",
                "must be >= 1, got 0".into(),
            );
        }
        if !(fees.min_base_fee..=fees.max_base_fee).contains(&genesis.base_fee) {
            return violation(
                "genesis.base_fee",
                format!(
                    "must be within [fees.min_base_fee, fees.max_base_fee] = [{}, {}], got {}",
                    fees.min_base_fee, fees.max_base_fee, genesis.base_fee
                ),
            );
        }

        for (key, value) in [
            ("mempool.max_txs", mempool.max_txs),
            ("mempool.max_txs_per_sender", mempool.max_txs_per_sender),
            ("mempool.max_tx_bytes", mempool.max_tx_bytes),
        ] {
            if value == 0 {
                return violation(key, "must be > 0, got 0".into());
            }
        }
        if mempool.price_bump_percent == 0 {
            return violation(
                "mempool.price_bump_percent",
                "must be >= 1, got 0 (a replacement paying the same fee would be accepted)".into(),
            );
        }
        Ok(())
    }
}
