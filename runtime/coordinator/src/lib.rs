//! The proof coordinator: the node's side of proving.
//!
//! ```text
//!  keel-prover ──TCP──▶ Hello (protocol, backend, program version) ─▶ Welcome | Error + close
//!              ──────▶ RequestWork ─▶ Work (lease, prover input) | NoWork (retry after)
//!              ──────▶ SubmitProof ─▶ ProofAccepted | Error + close
//!              ──────▶ ReportFailure ─▶ FailureRecorded (the batch goes back to the queue)
//! ```
//!
//! [`protocol`] is the wire format (documented in `PROTOCOL.md` next to this crate), shared with
//! the `keel-prover` binary; [`Coordinator`] serves it from the batches, leases and proofs in
//! redb. One batch is leased to one prover at a time; a lease that lapses (the prover died)
//! makes the batch available again; a proof is stored only if it attests the output the node
//! computed itself.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod config;
mod metrics;
pub mod protocol;
mod refusal;
mod server;

pub use config::{
    DEFAULT_BACKUP_AFTER, DEFAULT_LEASE_TIMEOUT, DEFAULT_PROVER_LISTEN, MIN_LEASE_TIMEOUT,
    ProverConfig,
};
pub use metrics::CoordinatorMetrics;
pub use refusal::Refusal;
pub use server::{
    Clock, Coordinator, CoordinatorConfig, FollowedInputs, HELLO_MAX_SKEW_SECS, MAX_CONNECTIONS,
    ProgramId, ProofCheck, SystemClock,
};
