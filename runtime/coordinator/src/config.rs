//! `[prover]`: the section of the config file this crate owns.

use std::{
    net::{Ipv4Addr, SocketAddr, SocketAddrV4},
    time::Duration,
};

use alloy_primitives::{Address, B256};
use keel_units::{Violation, ensure};
use serde::Deserialize;

// ---- [prover] -------------------------------------------------------------------------------

/// Default `prover.listen`: the proof coordinator on loopback port 3900.
pub const DEFAULT_PROVER_LISTEN: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 3900));
/// Default `prover.lease_timeout`: 10 minutes, longer than an `exec` run by far and than a GPU
/// proof of a default batch; a CPU OpenVM prover needs more (set it per deployment).
pub const DEFAULT_LEASE_TIMEOUT: Duration = Duration::from_secs(600);

/// Default `prover.backup_after`: two minutes.
pub const DEFAULT_BACKUP_AFTER: Duration = Duration::from_secs(120);

/// Shortest `prover.lease_timeout`: a second; below it no prover could fetch an input.
pub const MIN_LEASE_TIMEOUT: Duration = Duration::from_secs(1);

/// `[prover]`: the proof coordinator, where `keel-prover` processes fetch batches and return
/// proofs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProverConfig {
    /// Listen address (default [`DEFAULT_PROVER_LISTEN`]; `""` disables the coordinator).
    /// Without `allowed_provers`, any prover may connect: keep it on loopback or a private
    /// network then.
    #[serde(deserialize_with = "keel_units::opt_socket_addr")]
    pub listen: Option<SocketAddr>,
    /// How long a prover holds a batch before it is offered to another (default
    /// [`DEFAULT_LEASE_TIMEOUT`]).
    #[serde(deserialize_with = "keel_units::duration")]
    pub lease_timeout: Duration,
    /// Programs of the `openvm` backend whose proofs this node takes besides those its L1
    /// attesting verifiers pin: the ids `keel-prover --backend openvm --print-program` prints
    /// (default none; a node without `[l1]` needs it to take OpenVM proofs at all).
    #[serde(deserialize_with = "keel_units::b256s")]
    pub openvm_programs: Vec<B256>,
    /// The provers this node takes, by the address of the key each signs its `Hello` with
    /// (`keel-prover --auth-key`); a connection whose `Hello` is not a recent one signed by
    /// one of them is refused (code 10). Default: none listed, any prover is taken.
    #[serde(deserialize_with = "keel_units::addresses")]
    pub allowed_provers: Vec<Address>,
    /// A based node: how long a batch another sequencer committed may wait unverified on L1
    /// before this node's provers prove it too (its leader's provers may be gone; default
    /// [`DEFAULT_BACKUP_AFTER`]).
    #[serde(deserialize_with = "keel_units::duration")]
    pub backup_after: Duration,
}

impl Default for ProverConfig {
    fn default() -> Self {
        Self {
            listen: Some(DEFAULT_PROVER_LISTEN),
            lease_timeout: DEFAULT_LEASE_TIMEOUT,
            openvm_programs: Vec::new(),
            allowed_provers: Vec::new(),
            backup_after: DEFAULT_BACKUP_AFTER,
        }
    }
}

impl ProverConfig {
    /// The first rule the section breaks (keys relative to `[prover]`).
    pub fn validate(&self) -> Result<(), Violation> {
        ensure(
            self.lease_timeout >= MIN_LEASE_TIMEOUT,
            "lease_timeout",
            || {
                format!(
                    "must be at least 1s, got {}",
                    humantime_serde::re::humantime::format_duration(self.lease_timeout)
                )
            },
        )
    }
}
