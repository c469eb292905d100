//! [`GuestProgram`]: the guest built (or read) and transpiled, with its keys; it executes
//! inputs and becomes a [`crate::LocalProver`].

use std::{path::Path, sync::Arc, time::Instant};

use alloy_primitives::B256;
use openvm_build::GuestOptions;
use openvm_continuations::CommitBytes;
use openvm_sdk::{
    F, Sdk, StdIn, config::AppConfig, keygen::AppVerifyingKey,
    openvm_circuit::arch::instructions::exe::VmExe,
};
use openvm_sdk_config::SdkVmConfig;
use openvm_transpiler::{elf::Elf, openvm_platform::memory::MEM_SIZE};
use openvm_verify_stark_host::vk::VmStarkVerifyingKey;
use tracing::{info, info_span};

use crate::{
    GuestSource, LocalProver, OpenVmError, OpenVmOptions, OpenVmResult, ProgramCommitment,
    ProofMode, keys::KeyCache,
};

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
        if options.mode == ProofMode::Evm && !cfg!(feature = "evm") {
            return Err(OpenVmError::EvmUnsupported);
        }
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
                    dir: std::path::PathBuf::from("(none)"),
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
                let _progress =
                    info_span!("guest build", indicatif.pb_show = true, dir = %dir.display())
                        .entered();
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
        // `indicatif.pb_show`: a live progress line on a terminal (keel-logging).
        let _span = info_span!("prover setup", indicatif.pb_show = true).entered();
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

/// The guest reads its input with one `openvm::io::read_vec()`: one stream item.
pub(crate) fn stdin(input: &[u8]) -> StdIn {
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

pub(crate) fn commit_word(commit: CommitBytes) -> B256 {
    B256::from(*commit.as_slice())
}
