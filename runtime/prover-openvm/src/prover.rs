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
    fs::{read_object_from_file, write_object_to_file},
    keygen::AppVerifyingKey,
    openvm_circuit::{
        arch::{ContinuationVmProof, instructions::exe::VmExe},
        system::memory::merkle::public_values::extract_public_values,
    },
    prover::{AppProver, verify_app_proof},
};
use openvm_sdk_config::SdkVmConfig;
use openvm_stark_sdk::openvm_stark_backend::p3_field::PrimeField32;
use openvm_transpiler::{elf::Elf, openvm_platform::memory::MEM_SIZE};
use tracing::{info, info_span};

use crate::{OpenVmError, OpenVmResult, ProgramCommitment, keys};

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

/// How the backend runs.
#[derive(Debug, Clone)]
pub struct OpenVmOptions {
    /// The guest.
    pub guest: GuestSource,
    /// Where app proving keys are kept (see the `keys` module).
    pub cache_dir: PathBuf,
    /// Most memory one segment's proof may take, bytes: execution is split into segments
    /// that fit (OpenVM's default, 15 GiB, does not fit a 24 GiB machine; ~4 GiB does).
    pub segment_max_memory: usize,
    /// Keep every app proof there as `batch-<n>-<commitment>.app.proof` (bitcode), for audit.
    pub proofs_dir: Option<PathBuf>,
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
        let mut pk = keys::load_or_keygen(&options.cache_dir, &config)?;
        // Not part of the key (and not serialised with it): set it on every load.
        if let Some(vm_pk) = Arc::get_mut(&mut pk.app_vm_pk) {
            vm_pk.vm_config.system.config.segmentation_max_memory = options.segment_max_memory;
        }
        let vk = pk.get_app_vk();
        let sdk = Sdk::builder()
            .app_pk(pk)
            .agg_params(Default::default())
            .build()
            .map_err(|e| OpenVmError::Config {
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

    /// Commits the executable (the fixed cost of every proof: minutes on a CPU) and returns the
    /// prover that reuses it for every batch.
    pub fn into_prover(self) -> OpenVmResult<LocalProver> {
        let _span = info_span!("openvm_prover").entered();
        let started = Instant::now();
        let prover = self
            .sdk
            .app_prover(self.exe.clone())
            .map_err(|e| OpenVmError::Prove(format!("cannot set up the app prover: {e}")))?
            .with_program_name("keel-guest");
        let program = ProgramCommitment {
            exe: commit_word(CommitBytes::from(prover.app_exe_commit())),
            vm: commit_word(CommitBytes::from(self.vk.vk.pre_hash)),
        };
        info!(target: "keel::openvm", exe_commit_ms = started.elapsed().as_millis() as u64, program = %program, "app prover ready");
        Ok(LocalProver {
            program,
            vk: self.vk,
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

/// A proof and what it took.
pub struct OpenVmProof {
    /// What the guest revealed (Keel's guest: the batch commitment).
    pub revealed: B256,
    /// The app proof: one STARK per segment, and the public values' Merkle proof.
    pub app_proof: ContinuationVmProof<SC>,
    /// Guest instructions executed.
    pub instructions: u64,
    /// Segments proven.
    pub segments: usize,
    /// Metered execution time.
    pub execute: Duration,
    /// Proving time.
    pub prove: Duration,
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
    vk: AppVerifyingKey,
    prover: AppProver<DefaultStarkEngine, VmBuilder>,
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
        info!(target: "keel::openvm", instructions, segments, execute_ms = execute.as_millis() as u64, "metered execution done; proving");

        let prover = &mut self.prover;
        let started = Instant::now();
        let app_proof = prover
            .prove(stdin(input))
            .map_err(|e| OpenVmError::Prove(e.to_string()))?;
        let prove = started.elapsed();

        let started = Instant::now();
        let revealed = self.verify(&app_proof)?;
        let verify = started.elapsed();
        let peak_rss = peak_rss();
        info!(target: "keel::openvm", instructions, segments, execute_ms = execute.as_millis() as u64, prove_ms = prove.as_millis() as u64, verify_ms = verify.as_millis() as u64, peak_rss_mib = peak_rss.map(|b| b >> 20), revealed = %revealed, "proven and verified");

        if let Some(dir) = &self.proofs_dir {
            let path = dir.join(format!("batch-{label}-{revealed}.app.proof"));
            let error = |reason: String| OpenVmError::ProofFile {
                path: path.clone(),
                reason,
            };
            std::fs::create_dir_all(dir).map_err(|e| error(e.to_string()))?;
            write_object_to_file(&path, &app_proof).map_err(|e| error(e.to_string()))?;
        }
        Ok(OpenVmProof {
            revealed,
            app_proof,
            instructions,
            segments,
            execute,
            prove,
            verify,
            peak_rss,
        })
    }

    /// Executes the guest on `input` the way proving splits it, without proving: instruction
    /// count, segments and what it revealed.
    pub fn meter(&self, input: &[u8]) -> OpenVmResult<Metered> {
        let vm = self.prover.vm();
        let exe = self.prover.exe();
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

    /// Verifies `proof` with this program's verifying key and checks it is this executable's;
    /// returns the 32 bytes the guest revealed.
    pub fn verify(&self, proof: &ContinuationVmProof<SC>) -> OpenVmResult<B256> {
        let exe_commit = verify_app_proof::<DefaultStarkEngine>(&self.vk, proof)
            .map_err(|e| OpenVmError::Verify(e.to_string()))?;
        let exe = commit_word(CommitBytes::from(exe_commit));
        if exe != self.program.exe {
            return Err(OpenVmError::Verify(format!(
                "the proof is of executable {exe}, not this prover's {}",
                self.program.exe
            )));
        }
        revealed_word(&proof.user_public_values.public_values)
    }

    /// Reads a proof written to `proofs_dir` and verifies it.
    pub fn verify_file(&self, path: &Path) -> OpenVmResult<B256> {
        let proof: ContinuationVmProof<SC> = read_object_from_file(path)
            .map_err(|e| OpenVmError::Verify(format!("{}: {e}", path.display())))?;
        self.verify(&proof)
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
