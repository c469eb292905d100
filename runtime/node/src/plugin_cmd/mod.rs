//! `keel plugin …`: tools for plugin authors (`new`, `build`, `check`) and operators (`swap`).
//!
//! One module per subcommand; `PluginCommand` gets one variant per subcommand and dispatches in
//! `run`.

mod build;
mod check;
mod new;
mod plugin_crate;
mod swap;
mod tools;

use std::path::{Path, PathBuf};

use clap::Subcommand;
use eyre::{WrapErr, eyre};
use keel_config::Config;
use keel_plugin_host::PluginSlot;

/// `keel plugin` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum PluginCommand {
    /// Scaffold a plugin crate (outside any workspace) for a world, with a working policy and a
    /// test; it builds against the SDK of the Keel checkout this binary came from.
    New {
        /// The crate and component name, e.g. `reverse-arrival`.
        name: String,
        /// The world: ordering-policy, fee-rule or bridge-rules.
        #[arg(long, value_parser = parse_world)]
        world: PluginSlot,
        /// Where to create the crate's directory (default: the current directory).
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// The SDK (`plugins/sdk` of a Keel checkout); default: the one this binary was built from.
        #[arg(long)]
        sdk: Option<PathBuf>,
    },
    /// Build a plugin crate into a checked component: `<out>/<name>.wasm` and its manifest
    /// `<out>/<name>.toml`. Needs rustup (or the wasm32-unknown-unknown target) and wasm-tools.
    Build {
        /// The crate (default: the current directory).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Where to write the component (default: `<dir>/out`).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The WIT package the component is checked against (`wit/vX.Y.Z` of a Keel checkout, X.Y.Z
        /// the crate's `[package.metadata.keel] wit`); default: that of the checkout this binary
        /// was built from.
        #[arg(long)]
        wit: Option<PathBuf>,
    },
    /// Compile a component for a slot, run the conformance inputs the node runs before it
    /// activates a plugin, and print the fuel each call used.
    Check {
        /// The component (`.wasm`).
        file: PathBuf,
        /// The slot it is for: ordering, fee or bridge.
        #[arg(long)]
        slot: PluginSlot,
        /// A setting passed to every call, `KEY=VALUE` (repeatable).
        #[arg(long = "set", value_parser = parse_setting)]
        settings: Vec<(String, String)>,
        /// A node config whose `[fees]` bounds a fee plugin is checked against.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Load a component into a slot of a running node (`keel_loadPlugin` on its admin API). It
    /// is validated there, and becomes active at the next block or at `--at`.
    Swap {
        /// The slot: ordering, fee or bridge.
        slot: PluginSlot,
        /// The component (`.wasm`); its manifest (`.toml` next to it) names it.
        file: PathBuf,
        /// The node's config: the admin address and JWT secret come from it.
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// The admin API URL, e.g. `http://127.0.0.1:1730` (default: `admin.listen`).
        #[arg(long)]
        admin: Option<String>,
        /// The JWT secret file (default: `admin.jwt_secret`, or `<datadir>/admin-jwt.hex`).
        #[arg(long)]
        jwt_secret: Option<PathBuf>,
        /// The first block the plugin shapes (default: the next block).
        #[arg(long)]
        at: Option<u64>,
        /// A setting, `KEY=VALUE` (repeatable; default: the slot's settings in the node's
        /// config).
        #[arg(long = "set", value_parser = parse_setting)]
        settings: Vec<(String, String)>,
        /// Fuel per call (default: the slot's in the node's config).
        #[arg(long)]
        fuel: Option<u64>,
        /// Memory limit, MiB (default: the slot's in the node's config).
        #[arg(long)]
        memory_mb: Option<u64>,
    },
}

fn parse_world(text: &str) -> Result<PluginSlot, String> {
    PluginSlot::ALL
        .into_iter()
        .find(|slot| slot.world() == text)
        .ok_or_else(|| {
            format!("{text:?} is not a world; use ordering-policy, fee-rule or bridge-rules")
        })
}

fn parse_setting(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("expected KEY=VALUE, got {text:?}"))
}

/// `explicit`, or `relative` in the Keel checkout this binary was built from (plugin authors run
/// the `keel` they built, so its checkout has the SDK and WIT that match it), as an absolute
/// directory; an error names `flag` when it is not there.
fn checkout_dir(
    explicit: Option<PathBuf>,
    relative: &str,
    flag: &str,
    what: &str,
) -> eyre::Result<PathBuf> {
    let (path, hint) = match explicit {
        Some(path) => (path, format!("{flag} names no directory")),
        None => (
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(relative),
            "the Keel checkout this keel was built from is not there any more".to_owned(),
        ),
    };
    path.canonicalize()
        .ok()
        .filter(|dir| dir.is_dir())
        .ok_or_else(|| {
            eyre!(
                "{} is missing ({hint}); pass {flag} PATH to {what} of a Keel checkout",
                path.display()
            )
        })
}

fn load_config(path: Option<&PathBuf>) -> eyre::Result<Option<Config>> {
    match path {
        None => Ok(None),
        Some(path) => Ok(Some(Config::load(path)?)),
    }
}

impl PluginCommand {
    pub(crate) fn run(self) -> eyre::Result<()> {
        match self {
            Self::New {
                name,
                world,
                dir,
                sdk,
            } => {
                let created = new::run(&name, world, &dir, sdk)?;
                println!(
                    "created {} ({}); next: edit src/lib.rs, then `keel plugin build {}`",
                    created.display(),
                    world.world(),
                    created.display()
                );
                Ok(())
            }
            Self::Build { dir, out, wit } => {
                let built = build::run(&dir, out, wit)?;
                let slot = built.slot;
                println!("built {} ({})", built.id, slot.world());
                println!("  component {}", built.wasm.display());
                println!("  manifest  {}", built.manifest.display());
                println!("  size      {} bytes", built.size);
                println!(
                    "  sha256    {}",
                    alloy_primitives::hex::encode(built.id.code_hash)
                );
                println!(
                    "next: `keel plugin check {} --slot {slot}`, then load it with \
                     `[plugins.{slot}] path = \"{}\"` in a node config",
                    built.wasm.display(),
                    built.wasm.display()
                );
                Ok(())
            }
            Self::Check {
                file,
                slot,
                settings,
                config,
            } => check::run(
                &file,
                slot,
                settings,
                load_config(config.as_ref())?.as_ref(),
            ),
            Self::Swap {
                slot,
                file,
                config,
                admin,
                jwt_secret,
                at,
                settings,
                fuel,
                memory_mb,
            } => {
                let config = load_config(config.as_ref())?;
                let target = swap::AdminTarget::resolve(config.as_ref(), admin, jwt_secret)?;
                let request = swap::SwapRequest {
                    slot,
                    file,
                    activate_at: at,
                    settings: (!settings.is_empty()).then_some(settings),
                    fuel,
                    memory_mb,
                };
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .wrap_err("cannot start the async runtime")?
                    .block_on(swap::run(&target, request))
            }
        }
    }
}
