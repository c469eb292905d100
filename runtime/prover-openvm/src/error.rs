//! What can go wrong, named so that an operator knows what to do.

use std::path::PathBuf;

/// An OpenVM backend failure.
#[derive(Debug, thiserror::Error)]
pub enum OpenVmError {
    /// `openvm.toml` is missing or not an OpenVM app config.
    #[error("OpenVM config {path}: {reason}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The guest crate did not build.
    #[error(
        "cannot build the guest crate {dir}: {reason} (it needs OpenVM's toolchain: run \
         runtime/guest/setup.sh)"
    )]
    Build {
        /// The guest crate.
        dir: PathBuf,
        /// Why.
        reason: String,
    },
    /// The guest ELF cannot be read or transpiled.
    #[error("guest ELF {path}: {reason}")]
    Elf {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The key cache cannot be read or written.
    #[error("OpenVM key cache {path}: {reason} (delete the file to generate the keys again)")]
    Keys {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// An EVM proof was asked of a build without the `evm` feature.
    #[error(
        "an `evm` proof needs a keel-prover built with the openvm-evm feature (`cargo build \
         --release -p keel-prover --features openvm-evm`)"
    )]
    EvmUnsupported,
    /// OpenVM's KZG parameters (EVM proofs) are missing.
    #[error(
        "OpenVM KZG parameters {dir}: {reason} (`cargo openvm setup --evm` downloads them, \
         ~16 GB, to ~/.openvm/params; pass that directory as --halo2-params)"
    )]
    Halo2Params {
        /// The directory given.
        dir: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The guest failed on this input (it panicked, e.g. the STF refused the batch): any
    /// prover fails the same way.
    #[error("the guest program failed on this input: {0}")]
    Guest(String),
    /// The guest ran but did not reveal 32 bytes.
    #[error("the guest revealed {0} public-value bytes, not a 32-byte commitment")]
    PublicValues(usize),
    /// The prover failed (not the input's fault).
    #[error("OpenVM proving failed: {0}")]
    Prove(String),
    /// The proof just made does not verify (a prover bug, or corrupted memory).
    #[error("the OpenVM proof does not verify: {0}")]
    Verify(String),
    /// A proof file could not be written.
    #[error("cannot write the proof to {path}: {reason}")]
    ProofFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

impl OpenVmError {
    /// Whether the input is at fault rather than the backend: another prover would fail the
    /// same way.
    pub const fn is_bad_input(&self) -> bool {
        matches!(self, Self::Guest(_) | Self::PublicValues(_))
    }
}

/// A result with [`OpenVmError`].
pub type OpenVmResult<T> = Result<T, OpenVmError>;
