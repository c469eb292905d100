//! `keel`: the Keel rollup node.
//!
//! ```text
//! keel node --config configs/devnet.toml [--datadir DIR]   run a node
//! keel config check FILE                                    validate a config file
//! keel plugin new NAME --world WORLD [--dir DIR]           scaffold a plugin crate anywhere
//! keel plugin build [DIR]                                   build it into a component
//! keel plugin check FILE.wasm --slot SLOT                  conformance run, fuel per call
//! keel plugin swap SLOT FILE.wasm --config NODE.toml       hot-swap a plugin on a running node
//! keel deploy --config NODE.toml                            deploy the L1 contracts for this L2
//! keel withdraw claim --tx HASH --config NODE.toml --key K  claim a withdrawal on L1
//! keel revert --to-batch N --config NODE.toml [--key K]      re-form blocks after an L1 revert
//! ```
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod cli;
mod l1;
mod launch;
mod metrics;
mod parts;
mod plugin_cmd;
mod pruner;
mod revert;
mod withdraw;

use clap::Parser;

fn main() -> std::process::ExitCode {
    // Senders the pool recovers are not recovered again by the sealer's self-check.
    keel_primitives::senders::install_sender_cache();
    let cli = cli::Cli::parse();
    match cli.run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
