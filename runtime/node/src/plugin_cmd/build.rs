//! `keel plugin build [DIR]`: the steps of `plugins/build.sh` for one crate anywhere: build the
//! core module for `wasm32-unknown-unknown`, refuse imports, make it a component with
//! `wasm-tools`, check it loads for its world in Keel's own host, write it and its manifest.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use eyre::{WrapErr, bail, eyre};
use keel_plugin_host::{Plugin, PluginEngine, PluginId, PluginLimits, PluginSlot};
use serde::Deserialize;

const TARGET: &str = "wasm32-unknown-unknown";
/// The wasm-tools release `plugins/build.sh` installs.
const WASM_TOOLS_INSTALL: &str = "cargo install wasm-tools --version 1.263.0 --locked --no-default-features --features component,validate,print,parse,strip,metadata";

#[derive(Deserialize)]
struct CargoToml {
    package: Package,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    version: String,
    #[serde(default)]
    metadata: Option<Metadata>,
}

#[derive(Deserialize)]
struct Metadata {
    keel: Option<KeelMetadata>,
}

#[derive(Deserialize)]
struct KeelMetadata {
    world: String,
}

/// Runs `command`, failing with its output when it fails.
fn run_tool(command: &mut Command) -> eyre::Result<String> {
    let output = command
        .output()
        .wrap_err_with(|| format!("cannot run {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// `wasm-tools` on PATH, or in cargo's bin directory.
fn wasm_tools() -> eyre::Result<PathBuf> {
    if Command::new("wasm-tools").arg("--version").output().is_ok() {
        return Ok(PathBuf::from("wasm-tools"));
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")));
    if let Some(path) = cargo_home.map(|home| home.join("bin/wasm-tools"))
        && path.is_file()
    {
        return Ok(path);
    }
    bail!("wasm-tools is not installed; run plugins/build.sh once, or `{WASM_TOOLS_INSTALL}`")
}

/// Builds the plugin crate at `dir` into `out` (default `dir/out`); returns the component path.
pub(crate) fn run(dir: &Path, out: Option<PathBuf>) -> eyre::Result<PathBuf> {
    let manifest_path = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest_path)
        .wrap_err_with(|| format!("no plugin crate at {}", dir.display()))?;
    let manifest: CargoToml = toml::from_str(&text)
        .wrap_err_with(|| format!("{} is not a crate manifest", manifest_path.display()))?;
    let package = manifest.package;
    let world = package
        .metadata
        .and_then(|m| m.keel)
        .map(|k| k.world)
        .ok_or_else(|| {
            eyre!(
                "{}: no [package.metadata.keel] world = \"ordering-policy\" | \"fee-rule\" | \"bridge-rules\"",
                manifest_path.display()
            )
        })?;
    let slot = PluginSlot::ALL
        .into_iter()
        .find(|slot| slot.world() == world)
        .ok_or_else(|| {
            eyre!(
                "{}: world {world:?} is not ordering-policy, fee-rule or bridge-rules",
                manifest_path.display()
            )
        })?;

    // The target, once: rustup is how Keel's scripts install it too.
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l == TARGET)
        })
        .unwrap_or(true);
    if !installed {
        run_tool(Command::new("rustup").args(["target", "add", TARGET]))?;
    }
    eprintln!(
        "==> cargo build --release --target {TARGET} ({})",
        dir.display()
    );
    let status = Command::new("cargo")
        .args(["build", "--release", "--target", TARGET, "--manifest-path"])
        .arg(&manifest_path)
        .status()
        .wrap_err("cannot run cargo")?;
    if !status.success() {
        bail!("cargo build of {} failed ({status})", dir.display());
    }
    let metadata: serde_json::Value = serde_json::from_str(&run_tool(
        Command::new("cargo")
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--manifest-path",
            ])
            .arg(&manifest_path),
    )?)
    .wrap_err("cargo metadata printed no JSON")?;
    let target_dir = metadata["target_directory"]
        .as_str()
        .ok_or_else(|| eyre!("cargo metadata names no target directory"))?;
    let core = Path::new(target_dir)
        .join(TARGET)
        .join("release")
        .join(format!("{}.wasm", package.name.replace('-', "_")));

    let tools = wasm_tools()?;
    // The core module must import nothing: no WASI, no host functions.
    let imports: Vec<String> = run_tool(Command::new(&tools).arg("print").arg(&core))?
        .lines()
        .filter(|line| line.trim_start().starts_with("(import "))
        .map(str::to_owned)
        .collect();
    if !imports.is_empty() {
        bail!(
            "{} imports {}; a plugin may import nothing (no WASI, no host functions):\n{}",
            core.display(),
            imports.len(),
            imports.join("\n")
        );
    }
    let out = out.unwrap_or_else(|| dir.join("out"));
    std::fs::create_dir_all(&out).wrap_err_with(|| format!("cannot create {}", out.display()))?;
    let wasm = out.join(format!("{}.wasm", package.name));
    run_tool(
        Command::new(&tools)
            .args(["component", "new"])
            .arg(&core)
            .arg("-o")
            .arg(&wasm),
    )?;
    // Keel's own host is the judge of the world: it compiles the component for the slot.
    let bytes = std::fs::read(&wasm).wrap_err_with(|| format!("cannot read {}", wasm.display()))?;
    let id = PluginId::new(&package.name, &package.version, &bytes);
    let engine = PluginEngine::new().map_err(|e| eyre!("cannot start the plugin engine: {e:#}"))?;
    Plugin::compile(
        &engine,
        slot,
        &wasm,
        id.clone(),
        &bytes,
        PluginLimits::default(),
        Vec::new(),
    )?;

    let manifest = out.join(format!("{}.toml", package.name));
    let sha256 = alloy_primitives::hex::encode(id.code_hash);
    std::fs::write(
        &manifest,
        format!(
            "# Written by `keel plugin build`; the node reads name and version from here.\nname = \"{}\"\nversion = \"{}\"\nworld = \"keel:plugins/{world}@0.1.0\"\nwasm = \"{}.wasm\"\nsha256 = \"{sha256}\"\nsize = {}\n",
            package.name,
            package.version,
            package.name,
            bytes.len()
        ),
    )
    .wrap_err_with(|| format!("cannot write {}", manifest.display()))?;
    println!(
        "{}: {} ({world}, {} bytes, sha256 {})",
        wasm.display(),
        id,
        bytes.len(),
        &sha256[..16]
    );
    Ok(wasm)
}
