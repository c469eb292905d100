//! OpenVM's EVM proof (cargo feature `evm`): the aggregated STARK is proven once more by the
//! root verifier (a STARK over BN254-friendly Poseidon2), and that proof by two halo2 circuits
//! over BN254 with KZG commitments, whose proof OpenVM's generated Solidity verifier checks on
//! L1 (`contracts/src/l1/OpenVmVerifier.sol` pins the program in front of it).
//!
//! What it needs that this crate cannot ship: OpenVM's KZG parameters (`kzg_bn254_<k>.srs`,
//! ~16 GB for the wrapper's k; `cargo openvm setup --evm` downloads them to ~/.openvm/params),
//! a machine with the memory for halo2 keygen and proving over them, and `solc` 0.8.19 on PATH (OpenVM's verifier template pins that compiler). Keys are
//! generated on the first run and cached next to the app and aggregation keys.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use alloy_primitives::{B256, hex};
use openvm_continuations::CommitBytes;
use openvm_sdk::{
    Sdk,
    fs::{
        read_evm_halo2_verifier_from_folder, read_halo2_pk_from_file,
        write_evm_halo2_verifier_to_folder, write_halo2_pk_to_file,
    },
    keygen::{Halo2ProvingKey, RootProvingKey},
    prover::{AggProver, Halo2Prover, InternalLayerMetadata, RootProver},
    types::{AppExecutionCommit, EvmHalo2Verifier, EvmProof},
};
use openvm_verify_stark_host::VmStarkProof;
use serde::Serialize;
use tracing::info;

use crate::{OPENVM_VERSION, OpenVmError, OpenVmResult, ProgramCommitment, keys::KeyCache};

/// What `keel deploy` reads from a `--write-evm-verifier` folder (`keel-l1`'s
/// `OpenVmVerifierArtifact` is the reader; the two must agree).
pub const VERIFIER_FILE: &str = "keel-openvm-verifier.json";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VerifierFile {
    openvm_version: String,
    bytecode: String,
    app_exe_commit: B256,
    app_vm_commit: B256,
}

/// The halo2 parameters directory must hold OpenVM's KZG files before the SDK reads them (it
/// panics on a missing one).
pub(crate) fn check_params_dir(dir: &Path) -> OpenVmResult<()> {
    let has_params = std::fs::read_dir(dir)
        .map(|entries| {
            entries.flatten().any(|entry| {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                name.starts_with("kzg_bn254_") && name.ends_with(".srs")
            })
        })
        .unwrap_or(false);
    if has_params {
        return Ok(());
    }
    Err(OpenVmError::Halo2Params {
        dir: dir.to_owned(),
        reason: "holds no kzg_bn254_<k>.srs file".to_owned(),
    })
}

/// The root and halo2 provers of one program, and the Solidity verifier of its proofs.
pub(crate) struct EvmStage {
    root: Arc<RootProver>,
    halo2: Halo2Prover,
    verifier: EvmHalo2Verifier,
    app_commit: AppExecutionCommit,
}

impl EvmStage {
    /// Sets the stage up from `sdk` (built with the halo2 parameters and any cached keys);
    /// generates and caches what `keys` does not hold yet.
    pub(crate) fn setup(
        sdk: &Sdk,
        keys: &KeyCache,
        program: ProgramCommitment,
    ) -> OpenVmResult<Self> {
        let started = std::time::Instant::now();
        let root = sdk.root_prover();
        if !keys.root.exists() {
            keys.store(&keys.root, &sdk.root_pk())?;
        }
        let halo2 = sdk.halo2_prover();
        if !keys.halo2.exists() {
            write_halo2_pk_to_file(&keys.halo2, &halo2.pk()).map_err(|e| OpenVmError::Keys {
                path: keys.halo2.clone(),
                reason: format!("cannot write: {e}"),
            })?;
        }
        let verifier = match read_evm_halo2_verifier_from_folder(&keys.evm_verifier, None) {
            Ok(verifier) => verifier,
            Err(_) => {
                let verifier = sdk.generate_halo2_verifier_solidity().map_err(|e| {
                    OpenVmError::Prove(format!(
                        "cannot generate the EVM verifier (it needs solc 0.8.19 on PATH): {e}"
                    ))
                })?;
                write_evm_halo2_verifier_to_folder(verifier.clone(), &keys.evm_verifier, None)
                    .map_err(|e| OpenVmError::Keys {
                        path: keys.evm_verifier.clone(),
                        reason: format!("cannot write: {e}"),
                    })?;
                verifier
            }
        };
        info!(target: "keel::openvm", setup_ms = started.elapsed().as_millis() as u64, "EVM (halo2) prover ready");
        Ok(Self {
            root,
            halo2,
            verifier,
            app_commit: AppExecutionCommit {
                app_exe_commit: commit_bytes(program.exe)?,
                app_vm_commit: commit_bytes(program.vm)?,
            },
        })
    }

    /// The aggregated proof → root proof → EVM proof.
    pub(crate) fn prove(
        &self,
        agg: &AggProver,
        proof: VmStarkProof,
        metadata: &mut InternalLayerMetadata,
    ) -> OpenVmResult<EvmProof> {
        // What the SDK's `EvmProver` does: the root verifier may need the proof wrapped once
        // more before its trace fits its fixed heights.
        const ROOT_RETRIES: usize = 8;
        let engine = self.root.create_engine();
        let root = self
            .root
            .prove(proof, &engine, ROOT_RETRIES, |p| {
                agg.wrap_proof(p, metadata)
            })
            .map_err(|e| OpenVmError::Prove(format!("root proof: {e}")))?;
        self.halo2
            .prove_for_evm(&root)
            .map_err(|e| OpenVmError::Prove(format!("halo2 proof: {e}")))
    }

    /// Runs the Solidity verifier on `proof` in a local EVM; returns the gas it used.
    pub(crate) fn verify(&self, proof: &EvmProof) -> OpenVmResult<u64> {
        Sdk::verify_evm_halo2_proof(&self.verifier, proof.clone(), Some(self.app_commit.clone()))
            .map_err(|e| OpenVmError::Verify(format!("the EVM verifier refused it: {e}")))
    }

    /// Writes OpenVM's Solidity sources and Keel's `keel-openvm-verifier.json` into `dir`.
    pub(crate) fn write_verifier(&self, dir: &Path) -> OpenVmResult<PathBuf> {
        let path = dir.join(VERIFIER_FILE);
        let error = |reason: String| OpenVmError::ProofFile {
            path: path.clone(),
            reason,
        };
        write_evm_halo2_verifier_to_folder(self.verifier.clone(), dir, None)
            .map_err(|e| error(e.to_string()))?;
        let file = VerifierFile {
            openvm_version: OPENVM_VERSION.to_owned(),
            bytecode: format!("0x{}", hex::encode(&self.verifier.artifact.bytecode)),
            app_exe_commit: B256::from(*self.app_commit.app_exe_commit.as_slice()),
            app_vm_commit: B256::from(*self.app_commit.app_vm_commit.as_slice()),
        };
        let json = serde_json::to_string_pretty(&file).map_err(|e| error(e.to_string()))?;
        std::fs::write(&path, json).map_err(|e| error(e.to_string()))?;
        Ok(path)
    }
}

fn commit_bytes(word: B256) -> OpenVmResult<CommitBytes> {
    CommitBytes::try_new(word.0)
        .map_err(|e| OpenVmError::Prove(format!("commitment {word} is not OpenVM's: {e}")))
}

/// The proof bytes `OpenVmVerifier.verify` takes: `proofData` (accumulator ‖ proof).
pub fn proof_data(proof: &EvmProof) -> Vec<u8> {
    [
        proof.proof_data.accumulator.as_slice(),
        proof.proof_data.proof.as_slice(),
    ]
    .concat()
}

/// Reads cached root and halo2 keys for the SDK builder.
pub(crate) fn cached_keys(
    keys: &KeyCache,
) -> OpenVmResult<(Option<RootProvingKey>, Option<Halo2ProvingKey>)> {
    let root = if keys.root.exists() {
        Some(keys.load(&keys.root)?)
    } else {
        None
    };
    let halo2 = if keys.halo2.exists() {
        Some(
            read_halo2_pk_from_file(&keys.halo2).map_err(|e| OpenVmError::Keys {
                path: keys.halo2.clone(),
                reason: format!("unreadable: {e}"),
            })?,
        )
    } else {
        None
    };
    Ok((root, halo2))
}
