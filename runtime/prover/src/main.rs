//! The `keel-prover` binary.

use std::{net::SocketAddr, process::ExitCode, sync::Arc, time::Duration};

use clap::{Parser, ValueEnum};
use keel_prover::{Backend, ExecBackend, WorkerOptions, run_worker};
use tracing_subscriber::EnvFilter;

/// Proves Keel batches: connects to nodes' proof coordinators, leases sealed batches, proves
/// them and sends the proofs back.
#[derive(Debug, Parser)]
#[command(name = "keel-prover", version)]
struct Cli {
    /// A node's proof coordinator (its `[prover] listen`); repeat for several nodes.
    #[arg(long = "coordinator", required = true, value_name = "ADDR")]
    coordinators: Vec<SocketAddr>,
    /// How batches are proven.
    #[arg(long, value_enum, default_value_t = BackendKind::Exec)]
    backend: BackendKind,
    /// The name this prover gives the coordinator (logs, proof records).
    #[arg(long)]
    name: Option<String>,
    /// Announce this program version instead of the backend's. For testing the refusal.
    #[arg(long, hide = true)]
    program_version: Option<String>,
    /// Wait this many milliseconds after receiving a batch before proving it: simulates a slow
    /// prover in tests.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    hold_ms: u64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum BackendKind {
    /// Runs the stateless STF natively: no cryptographic proof (development, CI).
    Exec,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let backend: Arc<dyn Backend> = match cli.backend {
        BackendKind::Exec => Arc::new(ExecBackend),
    };
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
        let mut results = Vec::new();
        for worker in workers {
            results.push(worker.await);
        }
        results
    });
    // Workers only return when refused; all of them were.
    for result in results {
        match result {
            Ok(Err(e)) => eprintln!("keel-prover: {e}"),
            Ok(Ok(())) => {}
            Err(e) => eprintln!("keel-prover: a worker failed: {e}"),
        }
    }
    ExitCode::from(2)
}
