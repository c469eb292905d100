//! The `keel-prover` binary: parses the command line, sets up logging and runs one worker per
//! coordinator until every coordinator has refused this prover.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration};

use alloy_signer_local::PrivateKeySigner;
use clap::Parser;
use keel_primitives::ProofMode;
use keel_prover::{BackendKind, BackendOptions, WorkerOptions, make_backend, run_worker};
use tracing_subscriber::EnvFilter;

/// Proves Keel batches: connects to nodes' proof coordinators, leases sealed batches, proves
/// them and sends the proofs back.
///
/// Logs go to stderr (`RUST_LOG` filters them; default `info`). Exits with status 2 once every
/// coordinator has refused this prover (another protocol or program version), printing each
/// coordinator's explanation; otherwise runs until killed.
#[derive(Debug, Parser)]
#[command(name = "keel-prover", version)]
struct Cli {
    /// A node's proof coordinator (its `[prover] listen`); repeat to serve several nodes, one
    /// worker each.
    #[arg(
        long = "coordinator",
        required_unless_present_any = ["print_program", "execute", "write_evm_verifier"],
        value_name = "ADDR"
    )]
    coordinators: Vec<SocketAddr>,
    /// How batches are proven: `exec` (the STF run natively: no cryptographic proof, for
    /// development) or `openvm` (the guest proven with OpenVM; a build with the `openvm`
    /// feature).
    #[arg(long, value_enum, default_value_t = BackendKind::Exec)]
    backend: BackendKind,
    /// The name this prover gives the coordinator (logs, proof records) [default:
    /// keel-prover-<pid>].
    #[arg(long)]
    name: Option<String>,
    /// Override the announced program version instead of the backend's; for tests of the
    /// refusal.
    #[arg(long, hide = true, value_name = "STR")]
    program_version: Option<String>,
    /// Development attestation key (hex private key; exec backend): each proof is its
    /// signature over the batch commitment, which L1's `DevVerifier` accepts when the key's
    /// address is registered (`l1.dev_provers`). `KEEL_PROVER_DEV_KEY` works too.
    #[arg(
        long,
        env = "KEEL_PROVER_DEV_KEY",
        hide_env_values = true,
        value_name = "HEX"
    )]
    dev_key: Option<String>,
    /// Attestation key (hex private key; openvm backend): once a batch's STARK proof
    /// verified here, its signature over (program, batch commitment) is the proof L1's
    /// `AttestingVerifier` takes when the key's address is registered
    /// (`l1.attesting_provers`). `KEEL_PROVER_ATTESTER_KEY` works too.
    #[arg(
        long,
        env = "KEEL_PROVER_ATTESTER_KEY",
        hide_env_values = true,
        value_name = "HEX"
    )]
    attester_key: Option<String>,
    /// Identity key (hex private key): signs this prover's `Hello`, for a node that takes
    /// known provers only (`prover.allowed_provers` lists its address).
    /// `KEEL_PROVER_AUTH_KEY` works too.
    #[arg(
        long,
        env = "KEEL_PROVER_AUTH_KEY",
        hide_env_values = true,
        value_name = "HEX"
    )]
    auth_key: Option<String>,
    /// openvm: the guest crate, built on start with OpenVM's toolchain (runtime/guest/setup.sh).
    #[arg(long, default_value = "runtime/guest", value_name = "DIR")]
    openvm_guest: PathBuf,
    /// openvm: a prebuilt guest ELF instead of building --openvm-guest (its VM config is
    /// --openvm-guest's openvm.toml).
    #[arg(long, value_name = "FILE")]
    openvm_elf: Option<PathBuf>,
    /// openvm: where app proving keys are cached [default: ~/.cache/keel/openvm].
    #[arg(long, value_name = "DIR")]
    openvm_cache: Option<PathBuf>,
    /// openvm: most memory one segment's proof may use, GiB (execution is split to fit).
    #[arg(long, default_value_t = 4, value_name = "GIB")]
    segment_max_memory: usize,
    /// openvm: which proof to make: `app` (one STARK per segment, the cheapest) or `stark`
    /// (the segment proofs aggregated into one STARK of fixed size: what a halo2 EVM wrapper
    /// takes; it costs an aggregation key on the first run and the aggregation per batch).
    /// `evm` (a build with the openvm-evm feature) wraps that STARK into OpenVM's halo2 proof,
    /// which L1's `OpenVmVerifier` checks in full.
    #[arg(long, value_enum, default_value_t = ProofMode::App)]
    openvm_proof: ProofMode,
    /// openvm, `--openvm-proof evm`: OpenVM's KZG parameters (`kzg_bn254_<k>.srs`, what
    /// `cargo openvm setup --evm` downloads).
    #[arg(long, value_name = "DIR")]
    halo2_params: Option<PathBuf>,
    /// openvm, `--openvm-proof evm`: write the Solidity verifier of this program's EVM proofs
    /// and `keel-openvm-verifier.json` (what `l1.openvm_evm_verifier` names for `keel deploy`)
    /// into DIR, and exit.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["print_program", "execute"])]
    write_evm_verifier: Option<PathBuf>,
    /// openvm: keep every proof in DIR, for audit.
    #[arg(long, value_name = "DIR")]
    proofs_dir: Option<PathBuf>,
    /// Print the program this backend proves and exit: for openvm, the id that
    /// `l1.attesting_program` pins (the last line of stdout; building the guest prints before it).
    #[arg(long)]
    print_program: bool,
    /// openvm: execute the guest on FILE (a batch's RLP prover input, as `keel_getProverInput`
    /// returns it) without proving, print the 32 bytes it revealed and exit; a guest failure
    /// is printed and exits 1. Seconds, with no executable commit.
    #[arg(long, value_name = "FILE", conflicts_with = "print_program")]
    execute: Option<PathBuf>,
    /// Wait N ms after receiving work before proving it, to simulate a slow prover in tests.
    #[arg(long, default_value_t = 0, value_name = "N")]
    hold_ms: u64,
}

/// `--execute FILE`.
fn execute(kind: BackendKind, options: BackendOptions, file: &std::path::Path) -> ExitCode {
    #[cfg(feature = "openvm")]
    if kind == BackendKind::OpenVm
        && let Some(openvm) = options.openvm
    {
        let result = std::fs::read(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))
            .and_then(|input| {
                keel_prover_openvm::GuestProgram::load(openvm)
                    .and_then(|guest| guest.execute(&input))
                    .map_err(|e| e.to_string())
            });
        return match result {
            Ok(executed) => {
                println!(
                    "0x{}",
                    alloy_primitives::hex::encode(executed.public_values)
                );
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("keel-prover: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let _ = (kind, options, file);
    eprintln!(
        "keel-prover: --execute runs the openvm backend's guest: use --backend openvm with a \
         build that has the openvm feature"
    );
    ExitCode::FAILURE
}

/// `--write-evm-verifier DIR`.
fn write_evm_verifier(options: BackendOptions, dir: &std::path::Path) -> ExitCode {
    #[cfg(feature = "openvm-evm")]
    if let Some(openvm) = options.openvm {
        let result = keel_prover_openvm::GuestProgram::load(openvm)
            .and_then(keel_prover_openvm::GuestProgram::into_prover)
            .and_then(|prover| prover.write_evm_verifier(dir));
        return match result {
            Ok(path) => {
                println!("{}", path.display());
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("keel-prover: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let _ = (options, dir);
    eprintln!(
        "keel-prover: --write-evm-verifier needs a build with the openvm-evm feature and \
         --backend openvm --openvm-proof evm"
    );
    ExitCode::FAILURE
}

/// A `--*-key` value: 0x and 64 hex digits.
fn parse_key(
    flag: &str,
    what: &str,
    value: Option<&str>,
) -> Result<Option<PrivateKeySigner>, String> {
    match value.map(str::parse::<PrivateKeySigner>) {
        None => Ok(None),
        Some(Ok(key)) => {
            tracing::info!(target: "keel::prover", signer = %key.address(), "signing {what}");
            Ok(Some(key))
        }
        Some(Err(_)) => Err(format!(
            "{flag} is not a private key (expected 0x and 64 hex digits)"
        )),
    }
}

impl Cli {
    fn backend_options(&self) -> Result<BackendOptions, String> {
        if self.openvm_proof == ProofMode::Evm && !cfg!(feature = "openvm-evm") {
            return Err(
                "an `evm` proof needs a keel-prover built with the openvm-evm feature \
                        (`cargo build --release -p keel-prover --features openvm-evm`)"
                    .to_owned(),
            );
        }
        Ok(BackendOptions {
            dev_key: parse_key("--dev-key", "dev attestations", self.dev_key.as_deref())?,
            attester_key: parse_key(
                "--attester-key",
                "OpenVM attestations",
                self.attester_key.as_deref(),
            )?,
            #[cfg(feature = "openvm")]
            openvm: Some(keel_prover_openvm::OpenVmOptions {
                guest: match &self.openvm_elf {
                    None => keel_prover_openvm::GuestSource::Crate(self.openvm_guest.clone()),
                    Some(elf) => keel_prover_openvm::GuestSource::Elf {
                        elf: elf.clone(),
                        config: self.openvm_guest.join("openvm.toml"),
                    },
                },
                cache_dir: self.openvm_cache.clone().unwrap_or_else(|| {
                    std::env::var_os("HOME")
                        .map(PathBuf::from)
                        .unwrap_or_default()
                        .join(".cache/keel/openvm")
                }),
                segment_max_memory: self.segment_max_memory << 30,
                proofs_dir: self.proofs_dir.clone(),
                mode: self.openvm_proof,
                halo2_params: self.halo2_params.clone(),
                guest_cargo_args: Vec::new(),
            }),
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    keel_logging::init(
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    );
    let options = match cli.backend_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("keel-prover: {message}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(file) = &cli.execute {
        return execute(cli.backend, options, file);
    }
    if let Some(dir) = &cli.write_evm_verifier {
        return write_evm_verifier(options, dir);
    }
    let backend = match make_backend(cli.backend, options) {
        Ok(backend) => backend,
        Err(error) => {
            eprintln!("keel-prover: {error}");
            return ExitCode::FAILURE;
        }
    };
    if cli.print_program {
        println!("{}", backend.program_version());
        return ExitCode::SUCCESS;
    }
    if cli.backend == BackendKind::OpenVm && cli.attester_key.is_none() {
        tracing::warn!(target: "keel::prover", "no --attester-key: proofs carry no attesting part, which an L1 AttestingVerifier needs");
    }
    let auth_key = match parse_key(
        "--auth-key",
        "Hello (prover identity)",
        cli.auth_key.as_deref(),
    ) {
        Ok(key) => key,
        Err(message) => {
            eprintln!("keel-prover: {message}");
            return ExitCode::FAILURE;
        }
    };
    let options = WorkerOptions {
        name: cli
            .name
            .unwrap_or_else(|| format!("keel-prover-{}", std::process::id())),
        program_version: cli.program_version,
        hold: Duration::from_millis(cli.hold_ms),
        auth_key,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("keel-prover: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let results = runtime.block_on(async {
        let workers: Vec<_> = cli
            .coordinators
            .iter()
            .map(|&addr| tokio::spawn(run_worker(addr, backend.clone(), options.clone())))
            .collect();
        let mut results = Vec::with_capacity(workers.len());
        for worker in workers {
            results.push(worker.await);
        }
        results
    });
    // Workers only return when refused: every coordinator has refused this prover.
    for result in results {
        match result {
            Ok(Ok(never)) => match never {},
            Ok(Err(e)) => eprintln!("keel-prover: {e}"),
            Err(e) => eprintln!("keel-prover: a worker failed: {e}"),
        }
    }
    ExitCode::from(2)
}
