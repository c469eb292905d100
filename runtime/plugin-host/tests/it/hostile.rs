//! Hostile plugins: each failure is caught, named, and leaves the host usable.

use std::time::Duration;

use keel_plugin_host::{
    Candidate, OrderingContext, OrderingPlugin, PluginEngine, PluginError, PluginId, PluginLimits,
    invariants::InvariantViolation,
};

use crate::component;

const LIMITS: PluginLimits = PluginLimits {
    fuel: 20_000_000,
    memory_bytes: 8 << 20,
    deadline: Duration::from_secs(10),
};
const CTX: OrderingContext = OrderingContext {
    number: 1,
    timestamp: 0,
    gas_limit: 30_000_000,
    base_fee: 1,
};

fn hostile(engine: &PluginEngine, mode: &str) -> OrderingPlugin {
    let (path, bytes) = component("test-hostile-ordering");
    let id = PluginId::new("test-hostile-ordering", "test", &bytes);
    OrderingPlugin::new(
        engine,
        &path,
        id,
        &bytes,
        LIMITS,
        vec![("mode".into(), mode.into())],
    )
    .unwrap()
}

fn candidates() -> Vec<Candidate> {
    (0..3u64)
        .map(|nonce| Candidate {
            hash: [nonce as u8; 32],
            sender: [7; 20],
            nonce,
            gas_limit: 21_000,
            max_fee: 10,
            max_priority_fee: 1,
            size: 100,
            tx_type: 2,
            arrival: nonce,
        })
        .collect()
}

#[test]
fn an_infinite_loop_runs_out_of_fuel() {
    let engine = PluginEngine::new().unwrap();
    let err = hostile(&engine, "loop")
        .order(&engine, CTX, &candidates())
        .unwrap_err();
    assert!(
        matches!(
            err,
            PluginError::OutOfFuel {
                fuel: 20_000_000,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("test-hostile-ordering@test")
            && err.to_string().contains("`order`"),
        "{err}"
    );
    assert!(!err.is_local_fault(), "fuel exhaustion is deterministic");
}

#[test]
fn unbounded_allocation_hits_the_memory_limit() {
    let engine = PluginEngine::new().unwrap();
    let err = hostile(&engine, "grow")
        .order(&engine, CTX, &candidates())
        .unwrap_err();
    assert!(
        matches!(err, PluginError::MemoryLimit { limit_bytes, .. } if limit_bytes == 8 << 20),
        "{err}"
    );
}

#[test]
fn a_trap_is_reported_and_the_next_call_works() {
    let engine = PluginEngine::new().unwrap();
    let err = hostile(&engine, "trap")
        .order(&engine, CTX, &candidates())
        .unwrap_err();
    assert!(matches!(err, PluginError::Trap { .. }), "{err}");
    // A fresh instance per call: the same plugin answers normally afterwards.
    let ordering = hostile(&engine, "duplicate")
        .order(&engine, CTX, &candidates())
        .unwrap();
    assert_eq!(ordering.order, vec![0, 1, 2]);
}

#[test]
fn broken_orderings_are_repaired_and_reported() {
    let engine = PluginEngine::new().unwrap();
    let ordering = hostile(&engine, "duplicate")
        .order(&engine, CTX, &candidates())
        .unwrap();
    assert_eq!(ordering.order, vec![0, 1, 2]);
    assert_eq!(ordering.dropped.len(), 3, "{:?}", ordering.dropped);
    // Reverse order puts nonce 2 and 1 before 0: only nonce 0 can stay.
    let ordering = hostile(&engine, "reverse")
        .order(&engine, CTX, &candidates())
        .unwrap();
    assert_eq!(ordering.order, vec![0]);
    assert_eq!(ordering.dropped.len(), 2);
    let err = hostile(&engine, "refuse")
        .order(&engine, CTX, &candidates())
        .unwrap_err();
    assert!(
        matches!(err, PluginError::Refused { .. }) && err.to_string().contains("on purpose"),
        "{err}"
    );
}

#[test]
fn a_rank_list_of_the_wrong_length_is_refused_by_name() {
    let engine = PluginEngine::new().unwrap();
    let (path, bytes) = component("test-hostile-ranking");
    for (mode, ranks) in [("short", 2), ("long", 4)] {
        let plugin = OrderingPlugin::new(
            &engine,
            &path,
            PluginId::new("test-hostile-ranking", "test", &bytes),
            &bytes,
            LIMITS,
            vec![("mode".into(), mode.into())],
        )
        .unwrap();
        assert_eq!(plugin.wit_version(), "0.4.0");
        let err = plugin.order(&engine, CTX, &candidates()).unwrap_err();
        assert!(
            matches!(
                err,
                PluginError::Invariant {
                    violation: InvariantViolation::RankCount { candidates: 3, .. },
                    ..
                }
            ) && err
                .to_string()
                .contains(&format!("{ranks} ranks returned for 3 candidates")),
            "{err}"
        );
    }
}
