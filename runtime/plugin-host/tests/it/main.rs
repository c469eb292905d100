//! The host against the real reference components built from `plugins/` (`plugins/build.sh`).
#![expect(clippy::unwrap_used, reason = "test helpers fail loudly")]

mod cache;
mod hostile;
mod reference;

use std::path::PathBuf;

use keel_plugin_host::{
    BridgePlugin, FeePlugin, OrderingPlugin, PluginEngine, PluginId, PluginLimits,
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

pub(crate) fn fee_plugin(
    engine: &PluginEngine,
    name: &str,
    settings: &[(&str, &str)],
) -> FeePlugin {
    let (path, bytes) = component(name);
    let settings = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    FeePlugin::new(
        engine,
        &path,
        PluginId::new(name, "test", &bytes),
        &bytes,
        PluginLimits::default(),
        settings,
    )
    .unwrap()
}

pub(crate) fn ordering_plugin(engine: &PluginEngine, name: &str) -> OrderingPlugin {
    let (path, bytes) = component(name);
    OrderingPlugin::new(
        engine,
        &path,
        PluginId::new(name, "test", &bytes),
        &bytes,
        PluginLimits::default(),
        vec![],
    )
    .unwrap()
}

pub(crate) fn bridge_plugin(
    engine: &PluginEngine,
    name: &str,
    settings: &[(&str, &str)],
) -> BridgePlugin {
    let (path, bytes) = component(name);
    let settings = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    BridgePlugin::new(
        engine,
        &path,
        PluginId::new(name, "test", &bytes),
        &bytes,
        PluginLimits::default(),
        settings,
    )
    .unwrap()
}
