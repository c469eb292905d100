//! `keel plugin new NAME --world WORLD`: scaffold a plugin crate anywhere, building against the
//! SDK of the Keel checkout this binary came from.

use std::path::{Path, PathBuf};

use eyre::{WrapErr, bail};
use keel_plugin_host::PluginSlot;

const CARGO_TOML: &str = include_str!("../../templates/plugin/Cargo.toml.in");
const ORDERING: &str = include_str!("../../templates/plugin/ordering.rs.in");
const FEE: &str = include_str!("../../templates/plugin/fee.rs.in");
const BRIDGE: &str = include_str!("../../templates/plugin/bridge.rs.in");
const GITIGNORE: &str = include_str!("../../templates/plugin/gitignore.in");

/// Rust keywords (a crate's lib name must not be one) and the crates a plugin already links.
const RESERVED: &str = "\
    abstract alloc as async await become box break const continue core crate do dyn else \
    enum extern false final fn for gen if impl in keel_plugin_sdk let loop macro match mod \
    move mut override priv proc_macro pub ref return self static std struct super test \
    trait true try type typeof unsafe unsized use virtual where while wit_bindgen yield";

/// Checks `name` is a crate name cargo accepts and a file name everywhere.
fn check_name(name: &str) -> eyre::Result<()> {
    let valid = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !valid {
        bail!(
            "{name:?} is not a plugin name: use up to 64 lowercase letters, digits, `-` and `_`, \
             starting with a letter (e.g. `reverse-arrival`)"
        );
    }
    let lib = name.replace('-', "_");
    if RESERVED.split_whitespace().any(|word| word == lib) {
        bail!(
            "{name:?} is reserved (a Rust keyword or a crate every plugin links); pick another \
             name, e.g. `my-{name}`"
        );
    }
    Ok(())
}

/// The WIT package version `slot`'s template implements: the newest of its world.
fn wit_version(slot: PluginSlot) -> &'static str {
    match slot {
        PluginSlot::Ordering => "0.4.0",
        PluginSlot::Fee => "0.2.0",
        PluginSlot::Bridge => "0.3.0",
    }
}

/// The release profile's `opt-level` for `slot` (the template says why).
fn opt_level(slot: PluginSlot) -> &'static str {
    match slot {
        PluginSlot::Ordering => "3",
        PluginSlot::Fee | PluginSlot::Bridge => "\"s\"",
    }
}

/// Writes the crate `parent/name` for `slot`'s world against the SDK at `sdk` (default: the
/// checkout's `plugins/sdk`); returns its directory.
pub(crate) fn run(
    name: &str,
    slot: PluginSlot,
    parent: &Path,
    sdk: Option<PathBuf>,
) -> eyre::Result<PathBuf> {
    check_name(name)?;
    let sdk = super::checkout_dir(sdk, "plugins/sdk", "--sdk", "the plugins/sdk directory")?;
    if !sdk.join("Cargo.toml").is_file() {
        bail!(
            "{} has no Cargo.toml; pass --sdk PATH to the plugins/sdk directory of a Keel checkout",
            sdk.display()
        );
    }
    let dir = parent.join(name);
    if dir.exists()
        && std::fs::read_dir(&dir)
            .wrap_err_with(|| format!("cannot read {}", dir.display()))?
            .next()
            .is_some()
    {
        bail!(
            "{} exists and is not empty; pick another name, or another parent directory with --dir",
            dir.display()
        );
    }
    let source = match slot {
        PluginSlot::Ordering => ORDERING,
        PluginSlot::Fee => FEE,
        PluginSlot::Bridge => BRIDGE,
    };
    let fill = |template: &str| {
        template
            .replace("{{name}}", name)
            .replace("{{world}}", slot.world())
            .replace("{{wit}}", wit_version(slot))
            .replace("{{opt_level}}", opt_level(slot))
            // A TOML string, quoted and escaped, whatever the path holds.
            .replace(
                "{{sdk}}",
                &toml::Value::String(sdk.display().to_string()).to_string(),
            )
    };
    let write = |path: &Path, text: &str| {
        std::fs::write(path, text).wrap_err_with(|| format!("cannot write {}", path.display()))
    };
    std::fs::create_dir_all(dir.join("src"))
        .wrap_err_with(|| format!("cannot create {}", dir.display()))?;
    write(&dir.join("Cargo.toml"), &fill(CARGO_TOML))?;
    write(&dir.join("src/lib.rs"), &fill(source))?;
    write(&dir.join(".gitignore"), GITIGNORE)?;
    // The reference plugins' lock file pins the SDK's dependencies (wit-bindgen) to versions
    // known to work; cargo drops the entries this crate does not need.
    let lock = sdk.join("../Cargo.lock");
    if lock.is_file() {
        std::fs::copy(&lock, dir.join("Cargo.lock"))
            .wrap_err_with(|| format!("cannot copy {}", lock.display()))?;
    }
    // And their cargo config: a 64 KiB shadow stack, so each call's fresh instance starts with
    // 2 pages of memory instead of 17 (plugins/README.md).
    let cargo_config = sdk.join("../.cargo/config.toml");
    if cargo_config.is_file() {
        std::fs::create_dir_all(dir.join(".cargo"))
            .wrap_err_with(|| format!("cannot create {}", dir.join(".cargo").display()))?;
        std::fs::copy(&cargo_config, dir.join(".cargo/config.toml"))
            .wrap_err_with(|| format!("cannot copy {}", cargo_config.display()))?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaffolds_each_world_and_refuses_bad_names_and_full_dirs() {
        let parent = tempfile::tempdir().unwrap();
        for slot in PluginSlot::ALL {
            let name = format!("my-{slot}");
            let dir = run(&name, slot, parent.path(), None).unwrap();
            let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
            assert!(
                manifest.contains(&format!("world = \"{}\"", slot.world())),
                "{manifest}"
            );
            assert!(
                manifest.contains(&format!("name = \"{name}\"")),
                "{manifest}"
            );
            assert!(!manifest.contains("{{"), "{manifest}");
            let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
            assert!(!lib.contains("{{"), "{lib}");
            assert!(dir.join("Cargo.lock").is_file());
            let config = std::fs::read_to_string(dir.join(".cargo/config.toml")).unwrap();
            assert!(config.contains("stack-size=65536"), "{config}");
            assert!(dir.join(".gitignore").is_file());
            let error = run(&name, slot, parent.path(), None).unwrap_err();
            assert!(error.to_string().contains("is not empty"), "{error}");
        }
        let error = run("Bad Name", PluginSlot::Fee, parent.path(), None).unwrap_err();
        assert!(error.to_string().contains("not a plugin name"), "{error}");
        let error = run("self", PluginSlot::Fee, parent.path(), None).unwrap_err();
        assert!(error.to_string().contains("reserved"), "{error}");
        let error = run("keel-plugin-sdk", PluginSlot::Fee, parent.path(), None).unwrap_err();
        assert!(error.to_string().contains("reserved"), "{error}");
        let error = run(
            "ok",
            PluginSlot::Fee,
            parent.path(),
            Some("/nonexistent".into()),
        )
        .unwrap_err();
        assert!(error.to_string().contains("--sdk"), "{error}");
    }
}
