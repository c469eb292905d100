//! Checks on values that parse but cannot work: each section's own rules (its `validate()`, in
//! the crate that owns it) and the rules between sections, which only the whole file can check.

use std::path::Path;

use keel_units::{Violation, ensure};

use crate::{Config, ConfigError, Location};

/// Largest `chain.chain_id`: EIP-2294's bound, `floor(u64::MAX / 2) - 36`, so that an EIP-155
/// signature's `v = chain_id * 2 + 36` fits 64 bits.
pub const MAX_CHAIN_ID: u64 = u64::MAX / 2 - 36;

impl Config {
    /// Checks values that parse but cannot work (ranges, consistency between keys); `origin`
    /// names the file in the error. [`Config::load`] and [`Config::from_toml_str`] already call
    /// this (and also give the line); use it after changing a config in code.
    pub fn validate(&self, origin: &Path) -> Result<(), ConfigError> {
        self.check().map_err(|v| ConfigError::Invalid {
            location: Location::file(origin),
            key: v.key,
            message: v.message,
        })
    }

    /// The first rule this config breaks, its key a full path (`rpc.gas_cap`).
    pub(crate) fn check(&self) -> Result<(), Violation> {
        let Self {
            chain,
            genesis,
            node,
            pruning,
            rpc,
            metrics,
            status,
            sequencer,
            fees,
            mempool,
            plugins,
            admin,
            batcher,
            prover,
            l1,
            follower,
            based,
        } = self;

        ensure(chain.chain_id > 0, "chain.chain_id", || {
            "must be > 0, got 0".into()
        })?;
        ensure(chain.chain_id <= MAX_CHAIN_ID, "chain.chain_id", || {
            format!(
                "must be at most {MAX_CHAIN_ID} (EIP-2294), got {}",
                chain.chain_id
            )
        })?;
        genesis.validate().map_err(|v| v.in_section("genesis"))?;
        ensure(!node.datadir.as_os_str().is_empty(), "node.datadir", || {
            "must not be empty; use \".\" for the working directory".into()
        })?;
        ensure(pruning.state_history >= 1, "pruning.state_history", || {
            "must be at least 1 (the head's parent); use mode = \"archive\" to keep every state"
                .into()
        })?;
        rpc.validate().map_err(|v| v.in_section("rpc"))?;

        // Two servers on one fixed port cannot both bind (port 0 picks a free one each).
        let listeners = [
            ("rpc.listen", Some(rpc.listen)),
            ("metrics.listen", metrics.listen),
            ("status.listen", status.listen),
            ("admin.listen", admin.listen),
            ("prover.listen", prover.listen),
        ];
        for (i, (key, listen)) in listeners.iter().enumerate() {
            let Some(listen) = listen.filter(|l| l.port() != 0) else {
                continue;
            };
            if let Some((other, _)) = listeners[..i]
                .iter()
                .find(|(_, other)| *other == Some(listen))
            {
                return Err(Violation::new(
                    *key,
                    format!("must differ from {other} (both are {listen})"),
                ));
            }
        }

        prover.validate().map_err(|v| v.in_section("prover"))?;
        batcher.validate().map_err(|v| v.in_section("batcher"))?;
        ensure(
            batcher.max_gas >= genesis.gas_limit,
            "batcher.max_gas",
            || {
                format!(
                    "must be at least the block gas limit (genesis.gas_limit = {}), got {}",
                    genesis.gas_limit, batcher.max_gas
                )
            },
        )?;
        if let Some(l1) = l1 {
            l1.validate().map_err(|v| v.in_section("l1"))?;
        }
        if let Some(based) = based {
            based.validate().map_err(|v| v.in_section("based"))?;
            ensure(follower.is_none(), "based", || {
                "a based node follows L1 between its turns by itself: remove [follower]".into()
            })?;
            let Some(l1) = self.settlement() else {
                return Err(Violation::new(
                    "l1",
                    "a based node takes turns as the L1 sequencer registry schedules them: add                      an enabled [l1] section with rpc_url, beacon_url, sequencer_key and the                      deployment file",
                ));
            };
            ensure(l1.beacon_url.is_some(), "l1.beacon_url", || {
                "is required by a based node: between its turns it rebuilds the other \
                 sequencers' batches from L1's blobs"
                    .into()
            })?;
        }
        match (follower, self.settlement()) {
            (Some(follower), l1) => {
                follower.validate().map_err(|v| v.in_section("follower"))?;
                let Some(l1) = l1 else {
                    return Err(Violation::new(
                        "l1",
                        "a follower rebuilds the chain from L1: add an enabled [l1] section with \
                         rpc_url, beacon_url and the deployment file",
                    ));
                };
                ensure(l1.beacon_url.is_some(), "l1.beacon_url", || {
                    "is required by a follower: the beacon node API that serves L1's blobs \
                         (anvil serves it on its RPC port, with l1.beacon_block_id = \"number\")"
                        .into()
                })?;
            }
            (None, Some(l1)) => ensure(!l1.sequencer_key.is_empty(), "l1.sequencer_key", || {
                "is required by a sequencing node (it commits batches and sends proofs): \
                 \"0x\" and 64 hex digits, best set with KEEL_L1__SEQUENCER_KEY; a node that \
                 only follows L1 has a [follower] section instead"
                    .into()
            })?,
            (None, None) => {}
        }
        sequencer
            .validate()
            .map_err(|v| v.in_section("sequencer"))?;
        fees.validate().map_err(|v| v.in_section("fees"))?;
        plugins.validate().map_err(|v| v.in_section("plugins"))?;
        ensure(
            fees.elasticity_multiplier <= genesis.gas_limit,
            "fees.elasticity_multiplier",
            || {
                format!(
                    "must be <= genesis.gas_limit ({}) so that the gas target (gas_limit / \
                     elasticity_multiplier) is at least 1, got {}",
                    genesis.gas_limit, fees.elasticity_multiplier
                )
            },
        )?;
        ensure(
            (fees.min_base_fee..=fees.max_base_fee).contains(&genesis.base_fee),
            "genesis.base_fee",
            || {
                format!(
                    "must be within [fees.min_base_fee, fees.max_base_fee] = [{}, {}], got {}",
                    fees.min_base_fee, fees.max_base_fee, genesis.base_fee
                )
            },
        )?;
        mempool.validate().map_err(|v| v.in_section("mempool"))
    }
}
