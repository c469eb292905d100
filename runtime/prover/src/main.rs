//! The `keel-prover` binary: parses the command line, sets up logging and runs one worker per
//! coordinator until every coordinator has refused this prover.

use std::{net::SocketAddr, process::ExitCode, time::Duration};

use clap::Parser;
use keel_prover::{BackendKind, WorkerOptions, run_worker};
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
    #[arg(long = "coordinator", required = true, value_name = "ADDR")]
    coordinators: Vec<SocketAddr>,
    /// How batches are proven.
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
    /// Wait N ms after receiving work before proving it, to simulate a slow prover in tests.
    #[arg(long, default_value_t = 0, value_name = "N")]
    hold_ms: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let dev_key = match cli
        .dev_key
        .as_deref()
        .map(str::parse::<alloy_signer_local::PrivateKeySigner>)
    {
        None => None,
        Some(Ok(key)) => {
            tracing::info!(target: "keel::prover", attester = %key.address(), "signing dev attestations");
            Some(key)
        }
        Some(Err(_)) => {
            eprintln!(
                "keel-prover: --dev-key is not a private key (expected 0x and 64 hex digits)"
            );
            return ExitCode::FAILURE;
        }
    };
    let backend = cli.backend.backend(dev_key);
    let options = WorkerOptions {
        name: cli
            .name
            .unwrap_or_else(|| format!("keel-prover-{}", std::process::id())),
        program_version: cli.program_version,
        hold: Duration::from_millis(cli.hold_ms),
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
