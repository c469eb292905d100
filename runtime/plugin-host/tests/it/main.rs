//! The host against the real reference components built from `plugins/` (`plugins/build.sh`).
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

mod cache;
mod hostile;
mod manager;
mod reference;
mod swap;

use std::path::{Path, PathBuf};

use keel_plugin_host::{
    BridgePlugin, FeePlugin, OrderingPlugin, PluginEngine, PluginId, PluginLimits, PluginResult,
};

/// `plugins/out/<name>.wasm`, or a failure that says how to build it.
pub(crate) fn component(name: &str) -> (PathBuf, Vec<u8>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../plugins/out")
        .join(format!("{name}.wasm"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build the reference plugins first with `plugins/build.sh`",
            path.display()
        )
    });
    (path, bytes)
}

/// The signature every plugin kind's constructor shares.
type Constructor<P> = fn(
    &PluginEngine,
    &Path,
    PluginId,
    &[u8],
    PluginLimits,
    Vec<(String, String)>,
) -> PluginResult<P>;

/// Loads reference component `name` with `settings` through `new`.
fn load<P>(engine: &PluginEngine, name: &str, settings: &[(&str, &str)], new: Constructor<P>) -> P {
    let (path, bytes) = component(name);
    let settings = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    new(
        engine,
        &path,
        PluginId::new(name, "test", &bytes),
        &bytes,
        PluginLimits::default(),
        settings,
    )
    .unwrap()
}

pub(crate) fn fee_plugin(
    engine: &PluginEngine,
    name: &str,
    settings: &[(&str, &str)],
) -> FeePlugin {
    load(engine, name, settings, FeePlugin::new)
}

pub(crate) fn ordering_plugin(engine: &PluginEngine, name: &str) -> OrderingPlugin {
    load(engine, name, &[], OrderingPlugin::new)
}

pub(crate) fn bridge_plugin(
    engine: &PluginEngine,
    name: &str,
    settings: &[(&str, &str)],
) -> BridgePlugin {
    load(engine, name, settings, BridgePlugin::new)
}
