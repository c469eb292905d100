//! The guest program and its long-lived prover.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex, mpsc},
    time::{Duration, Instant},
};

use alloy_primitives::B256;
use openvm_build::GuestOptions;
use openvm_continuations::CommitBytes;
use openvm_sdk::{
    DefaultStarkEngine, F, SC, Sdk, StdIn,
    config::AppConfig,
    fs::{decode_from_file, read_object_from_file, write_object_to_file},
    keygen::AppVerifyingKey,
    openvm_circuit::{
        arch::{ContinuationVmProof, instructions::exe::VmExe},
        system::memory::merkle::public_values::extract_public_values,
    },
    prover::{InternalLayerMetadata, StarkProver, verify_app_proof},
};
use openvm_sdk_config::SdkVmConfig;
use openvm_stark_sdk::openvm_stark_backend::{codec::Encode as _, p3_field::PrimeField32};
use openvm_transpiler::{elf::Elf, openvm_platform::memory::MEM_SIZE};
use openvm_verify_stark_host::{
    VmStarkProof, verify_vm_stark_proof_decoded, vk::VmStarkVerifyingKey,
};
use tracing::{info, info_span};

use crate::{OpenVmError, OpenVmResult, ProgramCommitment, keys::KeyCache};

#[cfg(not(feature = "cuda"))]
type VmBuilder = openvm_sdk_config::SdkVmCpuBuilder;
#[cfg(feature = "cuda")]
type VmBuilder = openvm_sdk_config::SdkVmGpuBuilder;

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
    fn config_path(&self) -> PathBuf {
        match self {
            Self::Crate(dir) => dir.join("openvm.toml"),
            Self::Elf { config, .. } => config.clone(),
        }
    }
}

/// Which proof the backend makes of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProofMode {
    /// One STARK per segment and the public values' Merkle proof, verified with the app
    /// verifying key: the cheapest to make, its size grows with the batch.
    #[default]
    App,
    /// The segment proofs aggregated (leaf layer, internal layers, one more recursive wrap)
    /// into one STARK whose size does not depend on the batch, verified with the aggregation
    /// verifying key against the program's baseline. What a halo2 EVM wrapper would take.
    Aggregated,
    /// The aggregated STARK wrapped by the root verifier and OpenVM's halo2 circuits into a
    /// BN254 proof that `OpenVmVerifier` checks on L1 (cargo feature `evm`; needs OpenVM's KZG
    /// parameters, see the `evm` module).
    #[cfg(feature = "evm")]
    Evm,
}

impl ProofMode {
    /// The name `--openvm-proof` takes.
    pub const fn name(self) -> &'static str {
        match self {
            Self::App => "app",
            Self::Aggregated => "stark",
            #[cfg(feature = "evm")]
            Self::Evm => "evm",
        }
    }
}

impl std::str::FromStr for ProofMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "app" => Ok(Self::App),
            "stark" => Ok(Self::Aggregated),
            #[cfg(feature = "evm")]
            "evm" => Ok(Self::Evm),
            #[cfg(not(feature = "evm"))]
            "evm" => Err(
                "an `evm` proof needs a keel-prover built with the openvm-evm feature \
                          (`cargo build --release -p keel-prover --features openvm-evm`)"
                    .to_owned(),
            ),
            other => Err(format!(
                "unknown OpenVM proof {other:?}: \"app\" (one STARK per segment) or \"stark\" \
                 (aggregated into one)"
            )),
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

/// What an execution without proof revealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    /// The guest's public values (Keel's guest: the 32-byte batch commitment).
    pub public_values: Vec<u8>,
}

/// A built guest with its keys: it can execute inputs, and becomes a prover.
pub struct GuestProgram {
    sdk: Sdk,
    exe: Arc<VmExe<F>>,
    vk: AppVerifyingKey,
    keys: KeyCache,
    /// Whether the aggregation key came from the cache (else the SDK generates it).
    agg_key_cached: bool,
    options: OpenVmOptions,
}

impl std::fmt::Debug for GuestProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuestProgram")
            .field("guest", &self.options.guest)
            .finish_non_exhaustive()
    }
}

impl GuestProgram {
    /// Reads the VM config, loads or generates the app keys, builds (or reads) and transpiles
    /// the guest.
    pub fn load(options: OpenVmOptions) -> OpenVmResult<Self> {
        let _span = info_span!("openvm_load", guest = ?options.guest).entered();
        let config = read_config(&options.guest.config_path())?;
        let keys = KeyCache::new(&options.cache_dir, &config)?;
        let mut pk = keys.app_key(&config)?;
        // Not part of the key (and not serialised with it): set it on every load.
        if let Some(vm_pk) = Arc::get_mut(&mut pk.app_vm_pk) {
            vm_pk.vm_config.system.config.segmentation_max_memory = options.segment_max_memory;
        }
        let vk = pk.get_app_vk();
        let agg_key = keys.agg_key()?;
        let agg_key_cached = agg_key.is_some();
        let builder = Sdk::builder().app_pk(pk);
        let builder = match agg_key {
            Some(agg_pk) => builder.agg_pk(agg_pk),
            None => builder.agg_params(Default::default()),
        };
        #[cfg(feature = "evm")]
        let builder = match (&options.mode, &options.halo2_params) {
            (ProofMode::Evm, None) => {
                return Err(OpenVmError::Halo2Params {
                    dir: PathBuf::from("(none)"),
                    reason: "an EVM proof needs them".to_owned(),
                });
            }
            (ProofMode::Evm, Some(params)) => {
                crate::evm::check_params_dir(params)?;
                let (root_pk, halo2_pk) = crate::evm::cached_keys(&keys)?;
                let builder = builder.halo2_params_dir(params);
                let builder = match root_pk {
                    Some(pk) => builder.root_pk(pk),
                    None => builder,
                };
                match halo2_pk {
                    Some(pk) => builder.halo2_pk(pk),
                    None => builder,
                }
            }
            _ => builder,
        };
        let sdk = builder.build().map_err(|e| OpenVmError::Config {
            path: options.guest.config_path(),
            reason: format!("the SDK refused it: {e}"),
        })?;
        let started = Instant::now();
        let exe = match &options.guest {
            GuestSource::Crate(dir) => {
                let guest_options = GuestOptions::default()
                    .with_profile("release".to_owned())
                    // Its own target directory, whatever CARGO_TARGET_DIR says: one incremental
                    // build for every run.
                    .with_target_dir(dir.join("target"))
                    // alloy asks for rustc 1.94.1; OpenVM's nightly-2026-01-18 is 1.94.0.
                    .with_options(["--ignore-rust-version"])
                    .with_options(&options.guest_cargo_args);
                let elf =
                    sdk.build(guest_options, dir, &None, None)
                        .map_err(|e| OpenVmError::Build {
                            dir: dir.clone(),
                            reason: e.to_string(),
                        })?;
                sdk.convert_to_exe(elf).map_err(|e| OpenVmError::Build {
                    dir: dir.clone(),
                    reason: format!("transpiling the ELF: {e}"),
                })?
            }
            GuestSource::Elf { elf, .. } => {
                let elf_error = |reason: String| OpenVmError::Elf {
                    path: elf.clone(),
                    reason,
                };
                let bytes = std::fs::read(elf).map_err(|e| elf_error(e.to_string()))?;
                let decoded = Elf::decode(&bytes, MEM_SIZE as u32)
                    .map_err(|e| elf_error(format!("not a RISC-V guest ELF: {e}")))?;
                sdk.convert_to_exe(decoded)
                    .map_err(|e| elf_error(format!("does not transpile: {e}")))?
            }
        };
        info!(target: "keel::openvm", build_ms = started.elapsed().as_millis() as u64, instructions = exe.program.num_defined_instructions(), "guest ready");
        Ok(Self {
            sdk,
            exe,
            vk,
            keys,
            agg_key_cached,
            options,
        })
    }

    /// Runs the guest on `input` (an encoded `ProverInput`) without proving: seconds.
    pub fn execute(&self, input: &[u8]) -> OpenVmResult<Executed> {
        let started = Instant::now();
        let public_values = self
            .sdk
            .execute(self.exe.clone(), stdin(input))
            .map_err(|e| OpenVmError::Guest(e.to_string()))?;
        info!(target: "keel::openvm", execute_ms = started.elapsed().as_millis() as u64, "guest executed");
        Ok(Executed { public_values })
    }

    /// Commits the executable (the fixed cost of every proof: minutes on a CPU), sets up the
    /// aggregation provers (their keys are generated on the first run and cached) and returns
    /// the prover that reuses both for every batch.
    pub fn into_prover(self) -> OpenVmResult<LocalProver> {
        let _span = info_span!("openvm_prover").entered();
        let started = Instant::now();
        let prover = self
            .sdk
            .prover(self.exe.clone())
            .map_err(|e| OpenVmError::Prove(format!("cannot set up the prover: {e}")))?
            .with_program_name("keel-guest");
        let exe_commit_ms = started.elapsed().as_millis() as u64;
        if !self.agg_key_cached {
            self.keys.store_agg_key(&self.sdk.agg_pk())?;
        }
        let baseline = prover.generate_baseline();
        // The pair the SDK's `AppExecutionCommit` names and OpenVM's EVM verifier takes.
        let program = ProgramCommitment {
            exe: commit_word(CommitBytes::from(baseline.app_exe_commit)),
            vm: commit_word(CommitBytes::from(prover.app_vm_commit())),
        };
        #[cfg(feature = "evm")]
        let evm = match self.options.mode {
            ProofMode::Evm => Some(crate::evm::EvmStage::setup(&self.sdk, &self.keys, program)?),
            _ => None,
        };
        info!(target: "keel::openvm", exe_commit_ms, total_ms = started.elapsed().as_millis() as u64, program = %program, mode = self.options.mode.name(), "prover ready");
        Ok(LocalProver {
            #[cfg(feature = "evm")]
            evm,
            program,
            mode: self.options.mode,
            app_vk: self.vk,
            stark_vk: VmStarkVerifyingKey {
                mvk: (*self.sdk.agg_vk()).clone(),
                baseline,
            },
            prover,
            proofs_dir: self.options.proofs_dir,
        })
    }
}

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

    fn write(&self, dir: &Path, label: &str, revealed: B256) -> OpenVmResult<PathBuf> {
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

/// Proves inputs of one guest program, reusing its committed executable. Not `Send` (the
/// SDK's chips are not): [`OpenVmProver`] runs one on a thread of its own.
pub struct LocalProver {
    program: ProgramCommitment,
    mode: ProofMode,
    app_vk: AppVerifyingKey,
    /// The aggregation verifying key and what an aggregated proof of this program must commit
    /// to (its baseline).
    stark_vk: VmStarkVerifyingKey,
    prover: StarkProver<DefaultStarkEngine, VmBuilder>,
    #[cfg(feature = "evm")]
    evm: Option<crate::evm::EvmStage>,
    proofs_dir: Option<PathBuf>,
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

/// A request to the prover thread.
struct Job {
    input: Vec<u8>,
    label: String,
    reply: mpsc::Sender<OpenVmResult<OpenVmProof>>,
}

/// A [`LocalProver`] on a thread of its own: `Send + Sync`, one proof at a time (each uses
/// every core anyway). The thread ends when the handle is dropped.
pub struct OpenVmProver {
    program: ProgramCommitment,
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl std::fmt::Debug for OpenVmProver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenVmProver")
            .field("program", &self.program)
            .finish_non_exhaustive()
    }
}

impl OpenVmProver {
    /// Loads the guest and makes its prover on a new thread ([`GuestProgram::load`], then
    /// [`GuestProgram::into_prover`]); returns once it is ready or has failed.
    pub fn spawn(options: OpenVmOptions) -> OpenVmResult<Self> {
        let (ready_tx, ready) = mpsc::channel();
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("openvm-prover".to_owned())
            .spawn(move || {
                let mut prover =
                    match GuestProgram::load(options).and_then(GuestProgram::into_prover) {
                        Ok(prover) => {
                            let _ = ready_tx.send(Ok(prover.program()));
                            prover
                        }
                        Err(error) => {
                            let _ = ready_tx.send(Err(error));
                            return;
                        }
                    };
                for job in queue {
                    let _ = job.reply.send(prover.prove(&job.input, &job.label));
                }
            })
            .map_err(|e| OpenVmError::Prove(format!("cannot start the prover thread: {e}")))?;
        let program = ready.recv().map_err(|_| {
            let panic = thread.join().err().map(panic_message).unwrap_or_default();
            OpenVmError::Prove(format!(
                "the prover thread died while loading the guest: {panic}"
            ))
        })??;
        Ok(Self {
            program,
            jobs: Mutex::new(jobs),
        })
    }

    /// The program this prover proves.
    pub const fn program(&self) -> ProgramCommitment {
        self.program
    }

    /// [`LocalProver::prove`] on the prover thread. A panic there (the SDK asserts) is an
    /// error here, and the next call says the thread is gone.
    pub fn prove(&self, input: &[u8], label: &str) -> OpenVmResult<OpenVmProof> {
        let (reply, answer) = mpsc::channel();
        let job = Job {
            input: input.to_vec(),
            label: label.to_owned(),
            reply,
        };
        let gone = || {
            OpenVmError::Prove(
                "the prover thread is gone (it panicked on an earlier proof); restart keel-prover"
                    .to_owned(),
            )
        };
        self.jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .send(job)
            .map_err(|_| gone())?;
        answer.recv().map_err(|_| gone())?
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_owned())
}

/// The guest reads its input with one `openvm::io::read_vec()`: one stream item.
fn stdin(input: &[u8]) -> StdIn {
    let mut stdin = StdIn::default();
    stdin.write_bytes(input);
    stdin
}

fn read_config(path: &Path) -> OpenVmResult<AppConfig<SdkVmConfig>> {
    let error = |reason: String| OpenVmError::Config {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
    toml::from_str(&text).map_err(|e| error(format!("not an OpenVM app config: {e}")))
}

fn commit_word(commit: CommitBytes) -> B256 {
    B256::from(*commit.as_slice())
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
