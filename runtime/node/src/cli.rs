//! Command-line interface.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use eyre::WrapErr;
use keel_config::Config;

/// Keel: a rollup node that executes EVM blocks and settles on Ethereum.
#[derive(Debug, Parser)]
#[command(name = "keel", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a node.
    Node {
        /// The node config (TOML). `KEEL_<SECTION>__<KEY>` environment variables override it.
        #[arg(long, short)]
        config: PathBuf,
        /// Data directory; overrides `node.datadir` from the config.
        #[arg(long)]
        datadir: Option<PathBuf>,
    },
    /// Config file tools.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Deploy the L1 contracts (`KeelTimelock`, `CommonBridge`, the verifiers,
    /// `OnChainProposer`) for this config's L2 with `l1.sequencer_key`, owned by the timelock
    /// that `l1.owner` schedules changes through, and write the deployment file the node reads.
    Deploy {
        /// The node config; its `[l1]` section names the L1 and the key.
        #[arg(long, short)]
        config: PathBuf,
        /// Data directory; overrides `node.datadir` (the file goes to `<datadir>/l1-deployment.json`
        /// unless `l1.deployment` names another).
        #[arg(long)]
        datadir: Option<PathBuf>,
        /// Write the deployment file here instead.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Deploy even if the deployment file already names live contracts.
        #[arg(long)]
        force: bool,
        /// Accept a genesis that gives accounts ETH nobody deposited on an L1 that is not a
        /// development chain (the bridge cannot pay it out; `keel deploy` prints the total).
        #[arg(long)]
        allow_unbacked_genesis: bool,
    },
    /// Withdrawals: claim on L1 what was withdrawn on L2.
    Withdraw {
        #[command(subcommand)]
        command: crate::withdraw::WithdrawCommand,
    },
    /// Re-form the chain after L1 reverted committed, unverified batches (run with the node
    /// stopped; sends the revert itself with an owner or security-council key).
    Revert(crate::revert::RevertCommand),
    /// Database tools.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Plugin tools: scaffold and build a plugin crate, check a component, swap one into a running
    /// node.
    Plugin {
        #[command(subcommand)]
        command: crate::plugin_cmd::PluginCommand,
    },
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Print what each table of the chain database takes on disk, largest first (run with the
    /// node stopped: the database is opened for reading, and redb allows one process at a time).
    Stats {
        /// Data directory (holds `keel.redb`).
        #[arg(long)]
        datadir: PathBuf,
    },
}

impl DbCommand {
    fn run(self) -> eyre::Result<()> {
        match self {
            Self::Stats { datadir } => {
                let path = datadir.join(crate::launch::DB_FILE);
                if !path.exists() {
                    eyre::bail!("no chain database at {}", path.display());
                }
                let storage = keel_storage::Storage::open(&path)
                    .wrap_err_with(|| format!("cannot open {}", path.display()))?;
                let sizes = storage.table_sizes()?;
                let file = std::fs::metadata(&path)?.len();
                let row = |name: &str, entries: &str, stored: &str, total: u64| {
                    println!("{name:<22} {entries:>12} {stored:>14} {total:>14}");
                };
                println!(
                    "{:<22} {:>12} {:>14} {:>14}",
                    "table", "entries", "stored bytes", "with pages"
                );
                for size in &sizes {
                    row(
                        &size.name,
                        &size.entries.to_string(),
                        &size.stored_bytes.to_string(),
                        size.total_bytes(),
                    );
                }
                row(
                    "(all tables)",
                    "",
                    "",
                    sizes.iter().map(keel_storage::TableSize::total_bytes).sum(),
                );
                row("(file)", "", "", file);
                Ok(())
            }
        }
    }
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Parse and validate a config file (with `KEEL_*` overrides applied) and print a summary.
    Check {
        /// The config file.
        file: PathBuf,
    },
}

impl Cli {
    pub(crate) fn run(self) -> eyre::Result<()> {
        match self.command {
            Command::Node { config, datadir } => {
                let mut config = Config::load(&config)?;
                if let Some(datadir) = datadir {
                    config.node.datadir = datadir;
                }
                runtime()?.block_on(crate::launch::run(config))
            }
            Command::Plugin { command } => command.run(),
            Command::Db { command } => command.run(),
            Command::Deploy {
                config,
                datadir,
                out,
                force,
                allow_unbacked_genesis,
            } => {
                let mut config = Config::load(&config)?;
                if let Some(datadir) = datadir {
                    config.node.datadir = datadir;
                }
                crate::launch::init_tracing(&config.node.log)?;
                runtime()?.block_on(crate::l1::deploy(
                    &config,
                    out,
                    force,
                    allow_unbacked_genesis,
                ))
            }
            Command::Withdraw { command } => runtime()?.block_on(command.run()),
            Command::Revert(command) => runtime()?.block_on(command.run()),
            Command::Config {
                command: ConfigCommand::Check { file },
            } => {
                let config = Config::load(&file)?;
                let genesis = keel_sequencer::build_genesis(&config.genesis);
                println!("{}: ok", file.display());
                println!("  chain id       {}", config.chain.chain_id);
                println!("  genesis hash   {}", genesis.header.hash());
                println!("  genesis root   {}", genesis.header.state_root);
                println!("  funded accounts {}", config.genesis.alloc.len());
                println!("  rpc            {}", config.rpc.listen);
                println!("  block time     {:?}", config.sequencer.block_time);
                Ok(())
            }
        }
    }
}

fn runtime() -> eyre::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("keel-rt")
        .build()
        .wrap_err("cannot start the async runtime")
}
