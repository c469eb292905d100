//! What proving a batch gives: [`BatchProof`] (and its file format, one extension per kind),
//! [`OpenVmProof`] with what it took, and a metered execution's [`Metered`] counts.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use alloy_primitives::B256;
use openvm_sdk::{
    SC,
    fs::{decode_from_file, read_object_from_file, write_object_to_file},
    openvm_circuit::arch::ContinuationVmProof,
};
use openvm_stark_sdk::openvm_stark_backend::codec::Encode as _;
use openvm_verify_stark_host::VmStarkProof;

use crate::{OpenVmError, OpenVmResult};

/// What a metered execution counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metered {
    /// Guest instructions executed.
    pub instructions: u64,
    /// Segments the execution is split into for proving.
    pub segments: usize,
    /// What the guest revealed.
    pub public_values: Vec<u8>,
}

/// A proof of one guest run, as [`ProofMode`] asks.
pub enum BatchProof {
    /// One STARK per segment, and the public values' Merkle proof.
    App(ContinuationVmProof<SC>),
    /// One aggregated STARK, with the public values' Merkle proof.
    Aggregated(VmStarkProof),
    /// OpenVM's EVM proof (halo2 over BN254), with the public values and program commitments.
    #[cfg(feature = "evm")]
    Evm(openvm_sdk::types::EvmProof),
}

impl std::fmt::Debug for BatchProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::App(proof) => write!(f, "BatchProof::App({} segments)", proof.per_segment.len()),
            Self::Aggregated(_) => f.write_str("BatchProof::Aggregated"),
            #[cfg(feature = "evm")]
            Self::Evm(_) => f.write_str("BatchProof::Evm"),
        }
    }
}

impl BatchProof {
    /// Reads a proof written to a prover's `proofs_dir`; the extension says which kind it is.
    pub fn read(path: &Path) -> OpenVmResult<Self> {
        let error = |reason: String| OpenVmError::ProofFile {
            path: path.to_owned(),
            reason,
        };
        let name = path.to_string_lossy();
        if name.ends_with(".app.proof") {
            read_object_from_file(path)
                .map(Self::App)
                .map_err(|e| error(e.to_string()))
        } else if name.ends_with(".stark.proof") {
            decode_from_file(path)
                .map(Self::Aggregated)
                .map_err(|e| error(e.to_string()))
        } else if name.ends_with(".evm.proof") {
            #[cfg(feature = "evm")]
            return openvm_sdk::fs::read_from_file_json(path)
                .map(Self::Evm)
                .map_err(|e| error(e.to_string()));
            #[cfg(not(feature = "evm"))]
            Err(error(
                "an EVM proof: read it with the `evm` feature".to_owned(),
            ))
        } else {
            Err(error(
                "not a .app.proof, .stark.proof or .evm.proof file".to_owned(),
            ))
        }
    }

    pub(crate) fn write(&self, dir: &Path, label: &str, revealed: B256) -> OpenVmResult<PathBuf> {
        let extension = match self {
            Self::App(_) => "app",
            Self::Aggregated(_) => "stark",
            #[cfg(feature = "evm")]
            Self::Evm(_) => "evm",
        };
        let path = dir.join(format!("batch-{label}-{revealed}.{extension}.proof"));
        let error = |reason: String| OpenVmError::ProofFile {
            path: path.clone(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|e| error(e.to_string()))?;
        match self {
            Self::App(proof) => write_object_to_file(&path, proof),
            Self::Aggregated(proof) => proof
                .encode_to_vec()
                .map_err(eyre::Report::from)
                .and_then(|bytes| std::fs::write(&path, bytes).map_err(eyre::Report::from)),
            #[cfg(feature = "evm")]
            Self::Evm(proof) => openvm_sdk::fs::write_to_file_json(&path, proof),
        }
        .map_err(|e| error(e.to_string()))?;
        Ok(path)
    }
}

/// A proof and what it took.
pub struct OpenVmProof {
    /// What the guest revealed (Keel's guest: the batch commitment).
    pub revealed: B256,
    /// The proof.
    pub proof: BatchProof,
    /// Guest instructions executed.
    pub instructions: u64,
    /// Segments proven.
    pub segments: usize,
    /// Metered execution time.
    pub execute: Duration,
    /// Proving time of the segment STARKs.
    pub prove: Duration,
    /// Aggregation time (zero for an app proof; with the root and halo2 proofs for an EVM one).
    pub aggregate: Duration,
    /// Gas the EVM verifier used on this proof, in a local EVM (EVM proofs only).
    pub evm_verify_gas: Option<u64>,
    /// Local verification time.
    pub verify: Duration,
    /// The process's peak resident memory so far, bytes (Linux; `None` elsewhere).
    pub peak_rss: Option<u64>,
}

impl std::fmt::Debug for OpenVmProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenVmProof")
            .field("revealed", &self.revealed)
            .field("segments", &self.segments)
            .field("instructions", &self.instructions)
            .finish_non_exhaustive()
    }
}
