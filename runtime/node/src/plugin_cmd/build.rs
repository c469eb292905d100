//! `keel plugin build [DIR]`: the steps of `plugins/build.sh` for one crate anywhere.
//!
//! ```text
//! cargo build --release --target wasm32-unknown-unknown   (rustup target add, if missing)
//!   → core module (cargo metadata: target dir, lib name) ─ must import nothing
//!   → wasm-tools component new → validate → component targets <wit> --world <world>
//!   → Keel's own host compiles it for the slot (what a node does before it loads it)
//!   → <out>/<name>.wasm + <out>/<name>.toml (name, version, world, wasm, sha256, size)
//! ```

use std::path::{Path, PathBuf};

use eyre::{WrapErr, bail, eyre};
use keel_plugin_host::{Plugin, PluginEngine, PluginId, PluginLimits, PluginSlot};

use super::{
    plugin_crate::PluginCrate,
    tools::{self, WASM_TARGET},
};

/// What `build` wrote.
#[derive(Debug)]
pub(crate) struct Built {
    /// The component.
    pub(crate) wasm: PathBuf,
    /// Its manifest, next to it.
    pub(crate) manifest: PathBuf,
    /// `name@version (sha256 …)`.
    pub(crate) id: PluginId,
    /// The component's size in bytes.
    pub(crate) size: usize,
    /// The slot of the world it implements.
    pub(crate) slot: PluginSlot,
}

/// Builds the plugin crate at `dir` into `out` (default `dir/out`), checking the component
/// against the WIT package in `wit` (default: the checkout's `wit/v<version>` for the crate's
/// `[package.metadata.keel] wit`). Nothing in `out` changes unless every check passes.
pub(crate) fn run(dir: &Path, out: Option<PathBuf>, wit: Option<PathBuf>) -> eyre::Result<Built> {
    let krate = PluginCrate::read(dir)?;
    let package = format!("wit/v{}", krate.wit_version);
    let wit = super::checkout_dir(wit, &package, "--wit", &format!("the {package} directory"))?;
    // Before the build, so a missing tool fails fast.
    let wasm_tools = tools::wasm_tools()?;
    build_core(&krate)?;
    check_no_imports(&wasm_tools, &krate)?;

    let out = out.unwrap_or_else(|| krate.dir.join("out"));
    std::fs::create_dir_all(&out).wrap_err_with(|| format!("cannot create {}", out.display()))?;
    let out = out
        .canonicalize()
        .wrap_err_with(|| format!("cannot resolve {}", out.display()))?;
    // Made and checked under a temporary name, so a failed build leaves no component behind
    // (nor a previous one next to a manifest that no longer describes it).
    let partial = out.join(format!(".{}.wasm.partial", krate.name));
    let made = make_component(&wasm_tools, &krate, &wit, &partial);
    if made.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    let (id, size) = made?;

    let wasm = out.join(format!("{}.wasm", krate.name));
    let manifest = out.join(format!("{}.toml", krate.name));
    std::fs::write(
        &manifest,
        manifest_text(&id, krate.slot.world(), &krate.wit_version, size),
    )
    .wrap_err_with(|| format!("cannot write {}", manifest.display()))?;
    std::fs::rename(&partial, &wasm)
        .wrap_err_with(|| format!("cannot move {} to {}", partial.display(), wasm.display()))?;
    Ok(Built {
        wasm,
        manifest,
        id,
        size,
        slot: krate.slot,
    })
}

/// `cargo build --release --target wasm32-unknown-unknown` in the crate, the target first
/// installed if its toolchain lacks it.
fn build_core(krate: &PluginCrate) -> eyre::Result<()> {
    tools::ensure_wasm_target(&krate.dir)?;
    eprintln!(
        "==> cargo build --release --target {WASM_TARGET} ({})",
        krate.dir.display()
    );
    tools::stream(tools::command("cargo", &krate.dir).args([
        "build",
        "--release",
        "--target",
        WASM_TARGET,
    ]))?;
    if !krate.core_module.is_file() {
        bail!(
            "cargo built no core module at {}",
            krate.core_module.display()
        );
    }
    Ok(())
}

/// The core module must import nothing: no WASI, no host functions.
fn check_no_imports(wasm_tools: &Path, krate: &PluginCrate) -> eyre::Result<()> {
    let imports: Vec<String> = tools::output(
        tools::command(wasm_tools, &krate.dir)
            .arg("print")
            .arg(&krate.core_module),
    )?
    .lines()
    .filter(|line| line.trim_start().starts_with("(import "))
    .map(|line| line.trim().to_owned())
    .collect();
    if !imports.is_empty() {
        bail!(
            "{} imports {} item(s); a plugin may import nothing (no WASI, no host functions, so no \
             std::time, std::fs or randomness):\n{}",
            krate.core_module.display(),
            imports.len(),
            imports.join("\n")
        );
    }
    Ok(())
}

/// Wraps the core module into the component `wasm` and checks it: valid, implements its world,
/// and loads in Keel's own host for its slot. Returns its identity and size.
fn make_component(
    wasm_tools: &Path,
    krate: &PluginCrate,
    wit: &Path,
    wasm: &Path,
) -> eyre::Result<(PluginId, usize)> {
    let world = krate.slot.world();
    let tool = || tools::command(wasm_tools, &krate.dir);
    tools::output(
        tool()
            .args(["component", "new"])
            .arg(&krate.core_module)
            .arg("-o")
            .arg(wasm),
    )?;
    tools::output(tool().arg("validate").arg(wasm))?;
    // It implements its world: exports it, and imports nothing the world does not.
    tools::output(
        tool()
            .args(["component", "targets"])
            .arg(wit)
            .arg(wasm)
            .args(["--world", world]),
    )
    .wrap_err_with(|| format!("{} does not implement world {world}", krate.name))?;

    // Keel's own host has the last word: it compiles the component for the slot, linking no
    // imports at all, as a node does before it loads a plugin.
    let bytes = std::fs::read(wasm).wrap_err_with(|| format!("cannot read {}", wasm.display()))?;
    let id = PluginId::new(&krate.name, &krate.version, &bytes);
    let engine = PluginEngine::new().map_err(|e| eyre!("cannot start the plugin engine: {e:#}"))?;
    Plugin::compile(
        &engine,
        krate.slot,
        wasm,
        id.clone(),
        &bytes,
        PluginLimits::default(),
        Vec::new(),
    )?;
    Ok((id, bytes.len()))
}

/// The manifest `plugins/build.sh` writes; the node reads `name` and `version` from it.
fn manifest_text(id: &PluginId, world: &str, wit_version: &str, size: usize) -> String {
    format!(
        "# Written by `keel plugin build`; the node reads name and version from here.\n\
         name = \"{name}\"\n\
         version = \"{version}\"\n\
         world = \"keel:plugins/{world}@{wit_version}\"\n\
         wasm = \"{name}.wasm\"\n\
         sha256 = \"{sha256}\"\n\
         size = {size}\n",
        name = id.name,
        version = id.version,
        sha256 = alloy_primitives::hex::encode(id.code_hash),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_has_the_fields_of_build_sh() {
        let id = PluginId::new("reverse-arrival", "0.1.0", b"\0asm");
        let text = manifest_text(&id, "ordering-policy", "0.4.0", 4);
        let parsed: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(parsed["name"].as_str(), Some("reverse-arrival"));
        assert_eq!(parsed["version"].as_str(), Some("0.1.0"));
        assert_eq!(
            parsed["world"].as_str(),
            Some("keel:plugins/ordering-policy@0.4.0")
        );
        assert_eq!(parsed["wasm"].as_str(), Some("reverse-arrival.wasm"));
        assert_eq!(parsed["sha256"].as_str().map(str::len), Some(64));
        assert_eq!(parsed["size"].as_integer(), Some(4));
    }
}
