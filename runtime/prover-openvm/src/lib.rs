//! Keel's OpenVM backend: the guest program (`runtime/guest`), its keys and one long-lived
//! app prover, so that `keel-prover --backend openvm` proves batches with real STARKs.
//!
//! ```text
//!  GuestProgram::load ─ openvm.toml ─▶ app config ─▶ app proving key (cached on disk)
//!                     ─ guest crate (cargo, OpenVM's nightly) or ELF ─▶ VmExe
//!  GuestProgram::execute(input)      ─ OpenVM execution, no proof: the revealed bytes
//!  GuestProgram::into_prover         ─ commits the exe once (minutes on a CPU) ─▶ LocalProver
//!  OpenVmProver::spawn               ─ the same on a thread of its own (the SDK is not Send)
//!  OpenVmProver::prove(input)        ─ metered execution (instructions, segments; a guest
//!                                      failure stops here) ─▶ app STARK per segment
//!                                    ─ [stark] aggregated into one STARK
//!                                    ─ [evm] root STARK ─▶ halo2 (BN254, KZG) EVM proof
//!                                    ─ verified locally ─▶ the revealed 32-byte commitment
//! ```
//!
//! The program a proof is for is [`ProgramCommitment`]: OpenVM's app executable commitment
//! (program, initial memory, entry point) and its app VM commitment (which circuits run, and
//! the aggregation keys over them). `AttestingVerifier` and `OpenVmVerifier` on L1 pin its
//! [`ProgramCommitment::id`]; the node accepts provers announcing that id.
//!
//! This crate knows nothing of Keel's batches or of the coordinator: it takes the encoded
//! `ProverInput` bytes and hands back what the guest revealed. `keel-prover` (feature `openvm`)
//! checks the revealed commitment against the native STF and signs the attestation.
//!
//! [`ProofMode`] says which proof: `App` (one STARK per segment), `Aggregated` (one STARK)
//! or, with the `evm` feature, `Evm` (what L1 verifies in full; it needs OpenVM's ~16 GB of
//! KZG parameters, see the `evm` module and `docs/PROVING.md`). Proving keys are generated on
//! the first run and cached (`keys`).
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod error;
#[cfg(feature = "evm")]
pub mod evm;
mod guest;
mod keys;
mod local;
mod options;
mod program;
mod proof;
mod thread;

pub use error::{OpenVmError, OpenVmResult};
pub use guest::{Executed, GuestProgram};
pub use local::LocalProver;
pub use options::{GuestSource, OpenVmOptions, ProofMode};
pub use program::ProgramCommitment;
pub use proof::{BatchProof, Metered, OpenVmProof};
pub use thread::OpenVmProver;

/// The OpenVM release this backend proves with (`openvm-sdk`, and `openvm` in the guest).
pub const OPENVM_VERSION: &str = "2.0.2";
