//! The plugin manager's lifecycle against in-memory records: what a start keeps, what a changed
//! config replaces, and what a load through the admin interface records and schedules.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use alloy_primitives::B256;
use keel_plugin_host::{
    FeeParams, PluginEngine, PluginManager, PluginSlot, PluginSlotConfig, PluginsConfig, StartError,
};
use keel_primitives::{
    PluginActivation, PluginRecords, PluginSource,
    plugins::{ComponentSource, LoadPlugin, LoadPluginError, PluginAdmin, RecordsError},
};

use crate::component;

/// The chain's plugin records, in memory.
#[derive(Debug, Default)]
struct Records {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_block: u64,
    history: Vec<PluginActivation>,
    pending: BTreeMap<u8, PluginActivation>,
    code: BTreeMap<B256, Vec<u8>>,
}

impl PluginRecords for Records {
    fn next_block(&self) -> Result<u64, RecordsError> {
        Ok(self.inner.lock().unwrap().next_block)
    }

    fn active_plugin(&self, slot: PluginSlot) -> Result<Option<PluginActivation>, RecordsError> {
        let inner = self.inner.lock().unwrap();
        Ok(inner.history.iter().rev().find(|a| a.slot == slot).cloned())
    }

    fn pending_plugins(&self) -> Result<Vec<PluginActivation>, RecordsError> {
        Ok(self
            .inner
            .lock()
            .unwrap()
            .pending
            .values()
            .cloned()
            .collect())
    }

    fn plugin_code(&self, code_hash: B256) -> Result<Option<Vec<u8>>, RecordsError> {
        Ok(self.inner.lock().unwrap().code.get(&code_hash).cloned())
    }

    fn record_activations(
        &self,
        activations: &[(PluginActivation, Option<&[u8]>)],
    ) -> Result<(), RecordsError> {
        let mut inner = self.inner.lock().unwrap();
        for (activation, code) in activations {
            if let Some(code) = code {
                inner
                    .code
                    .insert(keel_primitives::plugins::code_hash(code), code.to_vec());
            }
            inner.pending.remove(&activation.slot.tag());
            inner.history.push(activation.clone());
        }
        Ok(())
    }

    fn put_pending_plugin(
        &self,
        activation: &PluginActivation,
        code: &[u8],
    ) -> Result<(), RecordsError> {
        let mut inner = self.inner.lock().unwrap();
        inner
            .code
            .insert(keel_primitives::plugins::code_hash(code), code.to_vec());
        inner
            .pending
            .insert(activation.slot.tag(), activation.clone());
        Ok(())
    }
}

/// A floor above zero: a fixed fee rule cannot follow a parent at 0 within any bound.
const FEES: FeeParams = FeeParams {
    min_base_fee: 1_000_000_000,
    max_base_fee: u64::MAX,
    elasticity_multiplier: 2,
    max_change_denominator: 8,
    max_change_bps: 1_250,
    max_data_price: u64::MAX,
};

fn fee_slot(name: &str, base_fee: &str) -> PluginsConfig {
    let (path, _) = component(name);
    let mut config =
        toml::from_str::<PluginSlotConfig>(&format!("path = {:?}", path.display())).unwrap();
    config
        .config
        .insert("base-fee".to_owned(), base_fee.to_owned());
    PluginsConfig {
        fee: Some(config),
        ..PluginsConfig::default()
    }
}

/// A load of `component` into `slot` with every other field at the slot's defaults.
fn load(slot: PluginSlot, component: ComponentSource) -> LoadPlugin {
    LoadPlugin {
        slot,
        component,
        activate_at: None,
        name: None,
        version: None,
        settings: None,
        fuel: None,
        memory_mb: None,
        deadline: None,
    }
}

fn start(config: &PluginsConfig, records: &Arc<Records>) -> Result<PluginManager, StartError> {
    let engine = Arc::new(PluginEngine::new().unwrap());
    PluginManager::start(engine, config, FEES, records.clone())
}

fn active_fee(manager: &PluginManager, block: u64) -> Option<String> {
    manager
        .registry()
        .at(block)
        .get(PluginSlot::Fee)
        .map(|p| p.id().name.clone())
}

#[test]
fn a_restart_keeps_the_chains_plugins_and_a_changed_config_wins() {
    let records = Arc::new(Records {
        inner: Mutex::new(Inner {
            next_block: 5,
            ..Inner::default()
        }),
    });
    let config = fee_slot("fee-fixed", "2 gwei");
    let manager = start(&config, &records).unwrap();
    assert_eq!(active_fee(&manager, 5).as_deref(), Some("fee-fixed"));
    {
        let inner = records.inner.lock().unwrap();
        assert_eq!(inner.history.len(), 1, "the config's choice is recorded");
        assert_eq!(inner.history[0].block, 5);
        assert_eq!(inner.history[0].source, PluginSource::Config);
    }

    // An operator swaps in the EIP-1559 rule at block 9 through the admin interface.
    let (_, bytes) = component("fee-eip1559");
    let loaded = manager
        .load(LoadPlugin {
            activate_at: Some(9),
            name: Some("fee-eip1559".into()),
            settings: Some(vec![]),
            ..load(PluginSlot::Fee, ComponentSource::Bytes(bytes))
        })
        .unwrap();
    assert_eq!(loaded.activates_at, 9);
    assert!(!loaded.calls.is_empty(), "the conformance run is reported");
    assert_eq!(active_fee(&manager, 8).as_deref(), Some("fee-fixed"));
    assert_eq!(active_fee(&manager, 9).as_deref(), Some("fee-eip1559"));
    assert_eq!(records.inner.lock().unwrap().pending.len(), 1);

    // A restart with the same config keeps both the active plugin and the pending swap.
    drop(manager);
    let manager = start(&config, &records).unwrap();
    assert_eq!(active_fee(&manager, 8).as_deref(), Some("fee-fixed"));
    assert_eq!(active_fee(&manager, 9).as_deref(), Some("fee-eip1559"));
    assert_eq!(records.inner.lock().unwrap().history.len(), 1);

    // A changed config wins from the next block and drops the pending swap.
    drop(manager);
    let manager = start(&PluginsConfig::default(), &records).unwrap();
    assert_eq!(active_fee(&manager, 9), None);
    let inner = records.inner.lock().unwrap();
    assert!(inner.pending.is_empty());
    assert_eq!(inner.history.last().map(|a| a.plugin.is_none()), Some(true));
}

#[test]
fn a_load_that_fails_leaves_everything_as_it_was() {
    let records = Arc::new(Records::default());
    let manager = start(&PluginsConfig::default(), &records).unwrap();
    let (_, ordering) = component("ordering-fifo");
    let error = manager
        .load(load(PluginSlot::Fee, ComponentSource::Bytes(ordering)))
        .unwrap_err();
    assert!(
        matches!(
            &error,
            LoadPluginError::Rejected {
                slot: PluginSlot::Fee,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("fee-rule"), "{error}");
    let error = manager
        .load(load(
            PluginSlot::Fee,
            ComponentSource::File("/nonexistent/plugin.wasm".into()),
        ))
        .unwrap_err();
    assert!(
        matches!(error, LoadPluginError::InvalidRequest(_)),
        "{error}"
    );
    // Limits beyond what a config may set, and oversized components, are refused as well.
    let (_, fee) = component("fee-eip1559");
    for (what, request) in [
        (
            "fuel",
            LoadPlugin {
                fuel: Some(keel_plugin_host::MAX_FUEL + 1),
                ..load(PluginSlot::Fee, ComponentSource::Bytes(fee.clone()))
            },
        ),
        (
            "memory_mb",
            LoadPlugin {
                memory_mb: Some(keel_plugin_host::MAX_MEMORY_MB + 1),
                ..load(PluginSlot::Fee, ComponentSource::Bytes(fee.clone()))
            },
        ),
        (
            "deadline",
            LoadPlugin {
                deadline: Some(keel_plugin_host::MAX_DEADLINE * 2),
                ..load(PluginSlot::Fee, ComponentSource::Bytes(fee.clone()))
            },
        ),
        (
            "bytes",
            load(
                PluginSlot::Fee,
                ComponentSource::Bytes(vec![0; keel_plugin_host::MAX_COMPONENT_BYTES as usize + 1]),
            ),
        ),
    ] {
        let error = manager.load(request).unwrap_err();
        assert!(
            matches!(&error, LoadPluginError::InvalidRequest(reason) if reason.contains(what) || what == "bytes"),
            "{what}: {error}"
        );
    }
    assert!(records.inner.lock().unwrap().pending.is_empty());
    assert_eq!(active_fee(&manager, 1), None);
}

#[test]
fn a_config_naming_a_broken_component_stops_the_start_with_its_slot() {
    let records = Arc::new(Records::default());
    let mut config = fee_slot("fee-fixed", "1 gwei");
    config.fee.as_mut().unwrap().path = "/nonexistent/fee.wasm".into();
    let error = start(&config, &records).unwrap_err();
    assert!(error.to_string().starts_with("plugins.fee: "), "{error}");
}
