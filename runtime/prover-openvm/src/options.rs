//! How the backend runs: where the guest comes from and which proof it makes.

use std::path::PathBuf;

pub use keel_primitives::ProofMode;

/// Where the guest comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestSource {
    /// The guest crate (`runtime/guest`): built with `cargo` and OpenVM's pinned nightly
    /// (incremental: a second start reuses the build). Its `openvm.toml` is the VM config.
    Crate(PathBuf),
    /// A guest ELF built elsewhere, with the `openvm.toml` it was built for.
    Elf {
        /// The ELF.
        elf: PathBuf,
        /// The VM config.
        config: PathBuf,
    },
}

impl GuestSource {
    pub(crate) fn config_path(&self) -> PathBuf {
        match self {
            Self::Crate(dir) => dir.join("openvm.toml"),
            Self::Elf { config, .. } => config.clone(),
        }
    }
}

/// How the backend runs.
#[derive(Debug, Clone)]
pub struct OpenVmOptions {
    /// The guest.
    pub guest: GuestSource,
    /// Which proof to make.
    pub mode: ProofMode,
    /// Where app proving keys are kept (see the `keys` module).
    pub cache_dir: PathBuf,
    /// Most memory one segment's proof may take, bytes: execution is split into segments
    /// that fit (OpenVM's default, 15 GiB, does not fit a 24 GiB machine; ~4 GiB does).
    pub segment_max_memory: usize,
    /// Keep every proof there as `batch-<n>-<commitment>.app.proof` (bitcode) or
    /// `….stark.proof` (OpenVM's encoding), for audit.
    pub proofs_dir: Option<PathBuf>,
    /// OpenVM's KZG parameters (`kzg_bn254_<k>.srs`), for `evm` proofs.
    pub halo2_params: Option<PathBuf>,
    /// Extra `cargo build` arguments for the guest crate (e.g. `--no-default-features` to
    /// measure it without OpenVM's accelerations).
    pub guest_cargo_args: Vec<String>,
}
