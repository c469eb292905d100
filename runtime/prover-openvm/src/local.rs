//! [`LocalProver`]: proves inputs of one guest program on the calling thread, reusing its
//! committed executable, and verifies every proof before handing it out.

use std::{
    path::{Path, PathBuf},
    time::Instant,
};

use alloy_primitives::B256;
use openvm_continuations::CommitBytes;
use openvm_sdk::{
    DefaultStarkEngine, F, SC,
    keygen::AppVerifyingKey,
    openvm_circuit::{
        arch::ContinuationVmProof, system::memory::merkle::public_values::extract_public_values,
    },
    prover::{InternalLayerMetadata, StarkProver, verify_app_proof},
};
use openvm_stark_sdk::openvm_stark_backend::p3_field::PrimeField32;
use openvm_verify_stark_host::{
    VmStarkProof, verify_vm_stark_proof_decoded, vk::VmStarkVerifyingKey,
};
use tracing::info;

use crate::{
    BatchProof, Metered, OpenVmError, OpenVmProof, OpenVmResult, ProgramCommitment, ProofMode,
    guest::{commit_word, stdin},
};

#[cfg(not(feature = "cuda"))]
pub(crate) type VmBuilder = openvm_sdk_config::SdkVmCpuBuilder;
#[cfg(feature = "cuda")]
pub(crate) type VmBuilder = openvm_sdk_config::SdkVmGpuBuilder;

/// Proves inputs of one guest program, reusing its committed executable. Not `Send` (the
/// SDK's chips are not): [`OpenVmProver`] runs one on a thread of its own.
pub struct LocalProver {
    pub(crate) program: ProgramCommitment,
    pub(crate) mode: ProofMode,
    pub(crate) app_vk: AppVerifyingKey,
    /// The aggregation verifying key and what an aggregated proof of this program must commit
    /// to (its baseline).
    pub(crate) stark_vk: VmStarkVerifyingKey,
    pub(crate) prover: StarkProver<DefaultStarkEngine, VmBuilder>,
    #[cfg(feature = "evm")]
    pub(crate) evm: Option<crate::evm::EvmStage>,
    pub(crate) proofs_dir: Option<PathBuf>,
}

impl std::fmt::Debug for LocalProver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalProver")
            .field("program", &self.program)
            .finish_non_exhaustive()
    }
}

impl LocalProver {
    /// The program this prover proves.
    pub const fn program(&self) -> ProgramCommitment {
        self.program
    }

    /// Proves the guest on `input` and verifies the proof before returning it. `label` names
    /// the proof file in `proofs_dir` (e.g. the batch number).
    pub fn prove(&mut self, input: &[u8], label: &str) -> OpenVmResult<OpenVmProof> {
        let _progress = tracing::info_span!("prove", indicatif.pb_show = true, label).entered();
        // Metered execution first: the instruction count, and a guest failure stops here,
        // before any proving work.
        let started = Instant::now();
        let Metered {
            instructions,
            segments,
            ..
        } = self.meter(input)?;
        let execute = started.elapsed();
        info!(target: "keel::openvm", instructions, segments, execute_ms = execute.as_millis() as u64, mode = self.mode.name(), "metered execution done; proving");

        let started = Instant::now();
        let app_proof = self
            .prover
            .app_prover
            .prove(stdin(input))
            .map_err(|e| OpenVmError::Prove(e.to_string()))?;
        let prove = started.elapsed();

        let started = Instant::now();
        let proof = match self.mode {
            ProofMode::App => BatchProof::App(app_proof),
            ProofMode::Aggregated => BatchProof::Aggregated(self.aggregate(app_proof)?.0),
            #[cfg(not(feature = "evm"))]
            ProofMode::Evm => return Err(OpenVmError::EvmUnsupported),
            #[cfg(feature = "evm")]
            ProofMode::Evm => {
                let (stark, mut metadata) = self.aggregate(app_proof)?;
                let evm = self
                    .evm
                    .as_ref()
                    .ok_or_else(|| OpenVmError::Prove("the EVM stage was not set up".to_owned()))?;
                BatchProof::Evm(evm.prove(&self.prover.agg_prover, stark, &mut metadata)?)
            }
        };
        let aggregate = started.elapsed();

        let started = Instant::now();
        let (revealed, evm_verify_gas) = self.check(&proof)?;
        let verify = started.elapsed();
        let peak_rss = peak_rss();
        info!(target: "keel::openvm", instructions, segments, execute_ms = execute.as_millis() as u64, prove_ms = prove.as_millis() as u64, aggregate_ms = aggregate.as_millis() as u64, verify_ms = verify.as_millis() as u64, evm_verify_gas, peak_rss_mib = peak_rss.map(|b| b >> 20), revealed = %revealed, "proven and verified");

        if let Some(dir) = &self.proofs_dir {
            proof.write(dir, label, revealed)?;
        }
        Ok(OpenVmProof {
            revealed,
            proof,
            instructions,
            segments,
            execute,
            prove,
            aggregate,
            evm_verify_gas,
            verify,
            peak_rss,
        })
    }

    /// The segment proofs into one STARK: what `StarkProver::prove` does after the app proof
    /// (Keel's guest defers nothing), kept apart so the two phases are timed apart.
    fn aggregate(
        &self,
        app_proof: ContinuationVmProof<SC>,
    ) -> OpenVmResult<(VmStarkProof, InternalLayerMetadata)> {
        let agg = &self.prover.agg_prover;
        let failed = |e: eyre::Report| OpenVmError::Prove(format!("aggregation: {e}"));
        let (proof, mut metadata) = agg.prove_vm(app_proof).map_err(failed)?;
        // One more recursive layer makes the proof smaller (as the SDK's `StarkProver` does).
        let proof = agg.wrap_proof(proof, &mut metadata).map_err(failed)?;
        Ok((proof, metadata))
    }

    /// Writes the Solidity verifier of this program's EVM proofs, and what `keel deploy`
    /// reads (`l1.openvm_evm_verifier`), into `dir`.
    #[cfg(feature = "evm")]
    pub fn write_evm_verifier(&self, dir: &Path) -> OpenVmResult<PathBuf> {
        self.evm
            .as_ref()
            .ok_or_else(|| {
                OpenVmError::Prove("EVM verifiers come with --openvm-proof evm".to_owned())
            })?
            .write_verifier(dir)
    }

    /// Executes the guest on `input` the way proving splits it, without proving: instruction
    /// count, segments and what it revealed.
    pub fn meter(&self, input: &[u8]) -> OpenVmResult<Metered> {
        let vm = self.prover.app_prover.vm();
        let exe = self.prover.app_prover.exe();
        let ctx = vm.build_metered_ctx(&exe);
        let interpreter = vm
            .metered_interpreter(&exe)
            .map_err(|e| OpenVmError::Prove(format!("cannot build the interpreter: {e:?}")))?;
        let (segments, state) = interpreter
            .execute_metered(stdin(input), ctx)
            .map_err(|e| OpenVmError::Guest(e.to_string()))?;
        let public_values =
            extract_public_values(vm.config().as_ref().num_public_values, &state.memory.memory);
        Ok(Metered {
            instructions: segments.iter().map(|s| s.num_insns).sum(),
            segments: segments.len(),
            public_values,
        })
    }

    /// Verifies `proof` (with the app verifying key, the aggregation one and this program's
    /// baseline, or OpenVM's Solidity verifier in a local EVM) and checks it is of this
    /// program; returns the 32 bytes the guest revealed.
    pub fn verify(&self, proof: &BatchProof) -> OpenVmResult<B256> {
        self.check(proof).map(|(revealed, _)| revealed)
    }

    /// [`Self::verify`], and the gas the EVM verifier used on an EVM proof.
    fn check(&self, proof: &BatchProof) -> OpenVmResult<(B256, Option<u64>)> {
        let failed = |e: &dyn std::fmt::Display| OpenVmError::Verify(e.to_string());
        match proof {
            BatchProof::App(proof) => {
                let exe_commit = verify_app_proof::<DefaultStarkEngine>(&self.app_vk, proof)
                    .map_err(|e| failed(&e))?;
                let exe = commit_word(CommitBytes::from(exe_commit));
                if exe != self.program.exe {
                    return Err(OpenVmError::Verify(format!(
                        "the proof is of executable {exe}, not this prover's {}",
                        self.program.exe
                    )));
                }
                Ok((
                    revealed_word(&proof.user_public_values.public_values)?,
                    None,
                ))
            }
            BatchProof::Aggregated(proof) => {
                // The baseline holds this executable's commitment: another program's proof
                // fails here.
                verify_vm_stark_proof_decoded(&self.stark_vk, proof).map_err(|e| failed(&e))?;
                Ok((revealed_word(&proof.user_pvs_proof.public_values)?, None))
            }
            #[cfg(feature = "evm")]
            BatchProof::Evm(proof) => {
                let exe = B256::from(*proof.app_commit.app_exe_commit.as_slice());
                let vm = B256::from(*proof.app_commit.app_vm_commit.as_slice());
                if (exe, vm) != (self.program.exe, self.program.vm) {
                    return Err(OpenVmError::Verify(format!(
                        "the EVM proof is of program (exe {exe}, vm {vm}), not this prover's {}",
                        self.program
                    )));
                }
                let bytes = &proof.user_public_values;
                if bytes.len() != 32 {
                    return Err(OpenVmError::PublicValues(bytes.len()));
                }
                let evm = self.evm.as_ref().ok_or_else(|| {
                    OpenVmError::Verify(
                        "an EVM proof is verified by a prover made with --openvm-proof evm"
                            .to_owned(),
                    )
                })?;
                let gas = evm.verify(proof)?;
                Ok((B256::from_slice(bytes), Some(gas)))
            }
        }
    }

    /// Reads a proof written to `proofs_dir` and verifies it.
    pub fn verify_file(&self, path: &Path) -> OpenVmResult<B256> {
        self.verify(&BatchProof::read(path)?)
    }
}

/// Public values are one byte per field element; Keel's guest reveals exactly 32.
fn revealed_word(values: &[F]) -> OpenVmResult<B256> {
    let bytes: Vec<u8> = values.iter().map(|v| v.as_canonical_u32() as u8).collect();
    if bytes.len() != 32 {
        return Err(OpenVmError::PublicValues(bytes.len()));
    }
    Ok(B256::from_slice(&bytes))
}

/// Peak resident set size (`VmHWM` in /proc/self/status).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
