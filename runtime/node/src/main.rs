//! `keel`: the Keel rollup node.
//!
//! ```text
//! keel node --config configs/devnet.toml [--datadir DIR]   run a node
//! keel config check FILE                                    validate a config file
//! ```

mod cli;
mod launch;
mod metrics;
mod plugins;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    match cli.run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
