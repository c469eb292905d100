//! The conformance run and the registry, with the real reference and hostile components.

use std::{sync::Arc, time::Duration};

use keel_plugin_host::{
    FeeParams, Plugin, PluginEngine, PluginError, PluginId, PluginLimits, PluginRegistry,
    PluginSlot, ScheduleError, conformance,
};

use crate::component;

const FEES: FeeParams = FeeParams {
    min_base_fee: 7,
    max_base_fee: 1_000_000_000_000,
    elasticity_multiplier: 2,
    max_change_denominator: 8,
    max_change_bps: 1250,
    max_data_price: u64::MAX,
};

fn plugin(
    engine: &PluginEngine,
    slot: PluginSlot,
    name: &str,
    settings: &[(&str, &str)],
) -> Arc<Plugin> {
    let (path, bytes) = component(name);
    let limits = PluginLimits {
        fuel: 50_000_000,
        memory_bytes: 16 << 20,
        deadline: Duration::from_secs(10),
    };
    let settings = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let id = PluginId::new(name, "test", &bytes);
    Arc::new(Plugin::compile(engine, slot, &path, id, &bytes, limits, settings).unwrap())
}

#[test]
fn every_reference_plugin_passes_conformance_and_reports_fuel() {
    let engine = PluginEngine::new().unwrap();
    type Case<'a> = (PluginSlot, &'a str, &'a [(&'a str, &'a str)]);
    let cases: &[Case<'_>] = &[
        (PluginSlot::Ordering, "ordering-priority-fee", &[]),
        (PluginSlot::Ordering, "ordering-fifo", &[]),
        (PluginSlot::Fee, "fee-eip1559", &[]),
        (PluginSlot::Fee, "fee-fixed", &[("base-fee", "1 gwei")]),
        (PluginSlot::Bridge, "bridge-accept-all", &[]),
        (
            PluginSlot::Bridge,
            "bridge-capped",
            &[("max-deposit-wei", "10 ether")],
        ),
    ];
    for &(slot, name, settings) in cases {
        let plugin = plugin(&engine, slot, name, settings);
        let report = conformance::run(&engine, &plugin, FEES)
            .unwrap_or_else(|e| panic!("{name} failed conformance: {e}"));
        assert!(report.calls.len() >= 4, "{name}: {report:?}");
        // Every call runs code: none is free. (An empty ordering still enters the guest.)
        assert!(
            report.calls.iter().all(|c| c.fuel > 0),
            "{name}: {report:?}"
        );
        assert_eq!(plugin.stats().calls, report.calls.len() as u64);
    }
}

#[test]
fn conformance_names_the_input_a_hostile_plugin_fails_on() {
    let engine = PluginEngine::new().unwrap();
    for (mode, expect) in [
        ("duplicate", "broke an invariant"),
        ("reverse", "broke an invariant"),
        ("trap", "trapped"),
        ("loop", "ran out of fuel"),
        ("refuse", "refused"),
    ] {
        let hostile = plugin(
            &engine,
            PluginSlot::Ordering,
            "test-hostile-ordering",
            &[("mode", mode)],
        );
        let error = conformance::run(&engine, &hostile, FEES).unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(error, PluginError::Conformance { .. }),
            "{mode}: {message}"
        );
        assert!(
            message.contains("conformance run on input `"),
            "{mode}: {message}"
        );
        assert!(message.contains(expect), "{mode}: {message}");
    }
    // A fixed base fee outside the node's range fails on the first sample parent.
    let fixed = plugin(
        &engine,
        PluginSlot::Fee,
        "fee-fixed",
        &[("base-fee", "1 wei")],
    );
    let message = conformance::run(&engine, &fixed, FEES)
        .unwrap_err()
        .to_string();
    assert!(message.contains("`empty parent`"), "{message}");
}

#[test]
fn a_component_of_the_wrong_world_is_refused_for_the_slot() {
    let engine = PluginEngine::new().unwrap();
    let (path, bytes) = component("fee-fixed");
    let error = Plugin::compile(
        &engine,
        PluginSlot::Ordering,
        &path,
        PluginId::new("fee-fixed", "test", &bytes),
        &bytes,
        PluginLimits::default(),
        Vec::new(),
    )
    .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("is not a `ordering-policy` component"),
        "{error}"
    );
}

#[test]
fn swaps_take_effect_at_their_block_and_never_mid_block() {
    let engine = PluginEngine::new().unwrap();
    let eip1559 = plugin(&engine, PluginSlot::Fee, "fee-eip1559", &[]);
    let fixed = plugin(
        &engine,
        PluginSlot::Fee,
        "fee-fixed",
        &[("base-fee", "1 gwei")],
    );
    let fifo = plugin(&engine, PluginSlot::Ordering, "ordering-fifo", &[]);
    let mut active = keel_plugin_host::ActiveSet::default();
    active.insert(eip1559.clone());
    let registry = PluginRegistry::new(active, 5);

    // Block 5 is being built when the swap arrives: it activates at 6.
    let start = registry.begin_block(5);
    assert!(start.activated.is_empty());
    let (at, replaced) = registry
        .schedule(fixed.clone(), None, |_| Ok::<_, String>(()))
        .unwrap();
    assert_eq!((at, replaced.is_none()), (6, true));
    assert_eq!(
        registry.active().fee().unwrap().id(),
        eip1559.id(),
        "the block in progress keeps its plugin"
    );
    assert_eq!(registry.at(6).fee().unwrap().id(), fixed.id());

    // An explicit block in the past is refused and changes nothing; a failed persist too.
    assert_eq!(
        registry
            .schedule(fifo.clone(), Some(5), |_| Ok::<_, String>(()))
            .unwrap_err(),
        ScheduleError::Past {
            requested: 5,
            next: 6
        }
    );
    assert_eq!(
        registry
            .schedule(fifo.clone(), Some(9), |_| Err("disk full".to_owned()))
            .unwrap_err(),
        ScheduleError::Persist("disk full".to_owned())
    );
    let (at, _) = registry
        .schedule(fifo.clone(), Some(8), |block| {
            assert_eq!(block, 8);
            Ok::<_, String>(())
        })
        .unwrap();
    assert_eq!(at, 8);
    assert_eq!(registry.pending().len(), 2);

    let start = registry.begin_block(6);
    assert_eq!(start.activated.len(), 1);
    assert_eq!(start.set.fee().unwrap().id(), fixed.id());
    assert!(start.set.ordering().is_none());
    assert!(registry.begin_block(7).activated.is_empty());
    let start = registry.begin_block(8);
    assert_eq!(start.activated[0].id(), fifo.id());
    assert_eq!(start.set.ordering().unwrap().id(), fifo.id());
    assert_eq!(start.set.fee().unwrap().id(), fixed.id());
    assert!(registry.pending().is_empty());
}
