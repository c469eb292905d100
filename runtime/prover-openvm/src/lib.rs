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
//!                                    ─ verified locally ─▶ the revealed 32-byte commitment
//! ```
//!
//! The program a proof is for is [`ProgramCommitment`]: OpenVM's app executable commitment
//! (program, initial memory, entry point) and its app VM commitment (the verifying key's
//! Fiat–Shamir pre-hash, i.e. which circuits run). `AttestingVerifier` on L1 pins its
//! [`ProgramCommitment::id`]; the node accepts provers announcing that id.
//!
//! This crate knows nothing of Keel's batches or of the coordinator: it takes the encoded
//! `ProverInput` bytes and hands back what the guest revealed. `keel-prover` (feature `openvm`)
//! checks the revealed commitment against the native STF and signs the attestation.
//!
//! Only the app proof (one STARK per segment, verified here) is made: STARK aggregation and
//! the halo2 EVM wrapper need aggregation keys and (for halo2) KZG parameters of ~16 GB that
//! are not part of this crate; see `docs/PROVING.md`.

mod error;
mod keys;
mod program;
mod prover;

pub use error::{OpenVmError, OpenVmResult};
pub use program::ProgramCommitment;
pub use prover::{
    Executed, GuestProgram, GuestSource, LocalProver, Metered, OpenVmOptions, OpenVmProof,
    OpenVmProver,
};

/// The OpenVM release this backend proves with (`openvm-sdk`, and `openvm` in the guest).
pub const OPENVM_VERSION: &str = "2.0.2";
