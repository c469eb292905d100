//! What `keel plugin build` needs to know about a plugin crate, asked of `cargo metadata` (so
//! workspace-inherited versions, a renamed `[lib]` and `CARGO_TARGET_DIR` all come out as cargo
//! sees them).

use std::path::{Path, PathBuf};

use eyre::{WrapErr, eyre};
use keel_plugin_host::PluginSlot;
use serde::Deserialize;

use super::tools::{self, WASM_TARGET};

/// A plugin crate on disk.
#[derive(Debug)]
pub(super) struct PluginCrate {
    /// The crate's directory (where cargo runs).
    pub(super) dir: PathBuf,
    /// The package name: the component's and its manifest's name.
    pub(super) name: String,
    /// The package version.
    pub(super) version: String,
    /// The slot of `[package.metadata.keel] world`.
    pub(super) slot: PluginSlot,
    /// The WIT package version of `[package.metadata.keel] wit` (`0.1.0` when absent, as in
    /// `plugins/build.sh`).
    pub(super) wit_version: String,
    /// The core module cargo writes for the `cdylib`.
    pub(super) core_module: PathBuf,
}

#[derive(Deserialize)]
struct CargoMetadata {
    packages: Vec<Package>,
    target_directory: PathBuf,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    version: String,
    manifest_path: PathBuf,
    #[serde(default)]
    metadata: Option<serde_json::Value>,
    targets: Vec<Target>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    crate_types: Vec<String>,
}

const WORLDS: &str = "\"ordering-policy\", \"fee-rule\" or \"bridge-rules\"";

impl PluginCrate {
    /// Reads the crate whose `Cargo.toml` is in `dir`.
    pub(super) fn read(dir: &Path) -> eyre::Result<Self> {
        let manifest_path = dir.join("Cargo.toml");
        if !manifest_path.is_file() {
            return Err(eyre!(
                "no plugin crate at {}: it has no Cargo.toml (create one with `keel plugin new`)",
                dir.display()
            ));
        }
        let dir = dir
            .canonicalize()
            .wrap_err_with(|| format!("cannot resolve {}", dir.display()))?;
        let manifest_path = dir.join("Cargo.toml");
        let json = tools::output(
            tools::command("cargo", &dir)
                .args(["metadata", "--format-version", "1", "--no-deps"])
                .arg("--manifest-path")
                .arg(&manifest_path),
        )?;
        let metadata: CargoMetadata = serde_json::from_str(&json)
            .wrap_err("`cargo metadata` printed JSON in a shape this keel does not know")?;
        let package = metadata
            .packages
            .into_iter()
            .find(|p| p.manifest_path == manifest_path)
            .ok_or_else(|| {
                eyre!(
                    "{} is a workspace without a package; run this in the plugin crate's directory",
                    manifest_path.display()
                )
            })?;
        let world = package
            .metadata
            .as_ref()
            .and_then(|m| m.get("keel")?.get("world")?.as_str())
            .ok_or_else(|| {
                eyre!(
                    "{}: add `[package.metadata.keel]` with `world = {WORLDS}`",
                    manifest_path.display()
                )
            })?;
        let slot = PluginSlot::ALL
            .into_iter()
            .find(|slot| slot.world() == world)
            .ok_or_else(|| {
                eyre!(
                    "{}: world {world:?} is not one of {WORLDS}",
                    manifest_path.display()
                )
            })?;
        let wit_version = match package
            .metadata
            .as_ref()
            .and_then(|m| m.get("keel")?.get("wit"))
        {
            None => "0.1.0".to_owned(),
            Some(version) => version
                .as_str()
                .filter(|v| {
                    v.split('.').count() == 3
                        && v.split('.').all(|part| {
                            !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())
                        })
                })
                .ok_or_else(|| {
                    eyre!(
                        "{}: `[package.metadata.keel] wit` must be a version such as \"0.4.0\", got {version}",
                        manifest_path.display()
                    )
                })?
                .to_owned(),
        };
        let lib = package
            .targets
            .iter()
            .find(|t| t.crate_types.iter().any(|kind| kind == "cdylib"))
            .ok_or_else(|| {
                eyre!(
                    "{}: the library must be a cdylib; add `[lib] crate-type = [\"cdylib\", \"rlib\"]`",
                    manifest_path.display()
                )
            })?;
        let core_module = metadata
            .target_directory
            .join(WASM_TARGET)
            .join("release")
            .join(format!("{}.wasm", lib.name.replace('-', "_")));
        Ok(Self {
            dir,
            name: package.name,
            version: package.version,
            slot,
            wit_version,
            core_module,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_scaffolded_crates_and_names_what_is_missing() {
        let parent = tempfile::tempdir().unwrap();
        for slot in PluginSlot::ALL {
            let dir =
                super::super::new::run("my-plugin", slot, &parent.path().join(slot.as_str()), None)
                    .unwrap();
            let krate = PluginCrate::read(&dir).unwrap();
            assert_eq!(krate.name, "my-plugin");
            assert_eq!(krate.version, "0.1.0");
            assert_eq!(krate.slot, slot);
            // Each template implements the newest version of its world, and says so.
            let newest = match slot {
                PluginSlot::Ordering => "0.4.0",
                PluginSlot::Fee => "0.2.0",
                PluginSlot::Bridge => "0.3.0",
            };
            assert_eq!(krate.wit_version, newest, "{slot}");
            assert!(
                krate
                    .core_module
                    .ends_with("wasm32-unknown-unknown/release/my_plugin.wasm"),
                "{}",
                krate.core_module.display()
            );
        }

        let error = PluginCrate::read(parent.path()).unwrap_err();
        assert!(error.to_string().contains("keel plugin new"), "{error}");

        let bare = parent.path().join("bare");
        std::fs::create_dir_all(bare.join("src")).unwrap();
        std::fs::write(bare.join("src/lib.rs"), "").unwrap();
        std::fs::write(
            bare.join("Cargo.toml"),
            "[package]\nname = \"bare\"\nversion = \"0.1.0\"\nedition = \"2024\"\n[workspace]\n",
        )
        .unwrap();
        let error = PluginCrate::read(&bare).unwrap_err();
        assert!(
            error.to_string().contains("[package.metadata.keel]"),
            "{error:#}"
        );
        std::fs::write(
            bare.join("Cargo.toml"),
            "[package]\nname = \"bare\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\
             [package.metadata.keel]\nworld = \"fee-rule\"\nwit = \"latest\"\n\
             [lib]\ncrate-type = [\"cdylib\"]\n[workspace]\n",
        )
        .unwrap();
        let error = PluginCrate::read(&bare).unwrap_err();
        assert!(
            error.to_string().contains("must be a version such as"),
            "{error:#}"
        );
    }
}
