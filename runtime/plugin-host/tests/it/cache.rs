//! The compiled-code cache: a second load comes from disk, a corrupt entry is recompiled.

use keel_plugin_host::{
    FeeParams, FeePlugin, L1Summary, ParentSummary, PluginEngine, PluginId, PluginLimits,
};

use crate::component;

fn load(engine: &PluginEngine) -> FeePlugin {
    let (path, bytes) = component("fee-eip1559");
    FeePlugin::new(
        engine,
        &path,
        PluginId::new("fee-eip1559", "test", &bytes),
        &bytes,
        PluginLimits::default(),
        vec![],
    )
    .unwrap()
}

fn answer(engine: &PluginEngine, plugin: &FeePlugin) -> u64 {
    let params = FeeParams {
        min_base_fee: 0,
        max_base_fee: u64::MAX,
        elasticity_multiplier: 2,
        max_change_denominator: 8,
        max_change_bps: 1_250,
        max_data_price: u64::MAX,
    };
    let parent = ParentSummary {
        number: 1,
        timestamp: 0,
        gas_used: 30_000_000,
        gas_limit: 30_000_000,
        base_fee: 1_000,
    };
    plugin
        .next_fees(engine, parent, L1Summary::default(), params)
        .unwrap()
        .base_fee
}

#[test]
fn compiled_components_are_cached_and_corruption_is_survived() {
    let dir = tempfile::tempdir().unwrap();
    let engine = PluginEngine::new().unwrap().with_cache_dir(dir.path());
    assert_eq!(answer(&engine, &load(&engine)), 1_125);
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("cache.key")), 0o600);
    }

    // From the cache.
    assert_eq!(answer(&engine, &load(&engine)), 1_125);

    // A corrupt entry is replaced, not trusted.
    std::fs::write(&entries[0], b"not a compiled component").unwrap();
    assert_eq!(answer(&engine, &load(&engine)), 1_125);
    let sealed = std::fs::read(&entries[0]).unwrap();
    assert_ne!(sealed, b"not a compiled component");

    // Native code changed in place (its tag no longer matches) is never loaded: recompiled.
    let mut tampered = sealed.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0xff;
    std::fs::write(&entries[0], &tampered).unwrap();
    assert_eq!(answer(&engine, &load(&engine)), 1_125);
    assert_eq!(std::fs::read(&entries[0]).unwrap(), sealed);
}
