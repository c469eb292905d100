//! Plugin call costs through the host, with the reference components from `plugins/out`
//! (`plugins/build.sh` first): compile, instantiate-and-call for the fee rule, ordering 1,000 and
//! 10,000 candidates. `cargo bench -p keel-plugin-host --bench calls` prints medians.

use std::{path::PathBuf, time::Instant};

use alloy_primitives::Address;
use keel_plugin_host::{
    Candidate, FeeParams, FeePlugin, OrderingContext, OrderingPlugin, ParentSummary, PluginEngine,
    PluginId, PluginLimits,
};

fn component(name: &str) -> (PathBuf, Vec<u8>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../plugins/out")
        .join(format!("{name}.wasm"));
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run plugins/build.sh", path.display()));
    (path, bytes)
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let engine = PluginEngine::new().expect("engine");

    let (path, bytes) = component("fee-eip1559");
    let compile = median(
        (0..5)
            .map(|_| {
                let started = Instant::now();
                let plugin = FeePlugin::new(
                    &engine,
                    &path,
                    PluginId::new("fee-eip1559", "bench", &bytes),
                    &bytes,
                    PluginLimits::default(),
                    vec![],
                );
                assert!(plugin.is_ok());
                started.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    );
    let fee = FeePlugin::new(
        &engine,
        &path,
        PluginId::new("fee-eip1559", "bench", &bytes),
        &bytes,
        PluginLimits::default(),
        vec![],
    )
    .expect("fee plugin");
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
        timestamp: 1,
        gas_used: 20_000_000,
        gas_limit: 30_000_000,
        base_fee: 1_000_000_000,
    };
    let fee_call = median(
        (0..2_000)
            .map(|_| {
                let started = Instant::now();
                fee.next_fees(
                    &engine,
                    parent,
                    keel_plugin_host::L1Summary::default(),
                    params,
                )
                .expect("fee call");
                started.elapsed().as_secs_f64() * 1e6
            })
            .collect(),
    );
    println!(
        "component compile (fee-eip1559): {compile:.1} ms; fee call incl. fresh instance: {fee_call:.1} µs (median)"
    );

    let (path, bytes) = component("ordering-priority-fee");
    let ordering = OrderingPlugin::new(
        &engine,
        &path,
        PluginId::new("ordering-priority-fee", "bench", &bytes),
        &bytes,
        PluginLimits::default(),
        vec![],
    )
    .expect("ordering plugin");
    let (path, bytes) = component("test-hostile-ordering");
    let reverse = OrderingPlugin::new(
        &engine,
        &path,
        PluginId::new("test-hostile-ordering", "bench", &bytes),
        &bytes,
        PluginLimits::default(),
        vec![("mode".into(), "reverse".into())],
    )
    .expect("reverse plugin");
    for count in [1_000usize, 10_000] {
        let candidates: Vec<Candidate> = (0..count)
            .map(|i| Candidate {
                hash: [0; 32],
                sender: Address::from_word(alloy_primitives::B256::from(
                    alloy_primitives::U256::from(i % 500),
                ))
                .into_array(),
                nonce: (i / 500) as u64,
                gas_limit: 21_000,
                max_fee: 100_000_000_000,
                max_priority_fee: (i as u128 * 7_919) % 1_000_000_000,
                size: 110,
                tx_type: 2,
                arrival: i as u64,
            })
            .collect();
        let ctx = OrderingContext {
            number: 1,
            timestamp: 1,
            gas_limit: 1_000_000_000,
            base_fee: 1,
        };
        let time = median(
            (0..21)
                .map(|_| {
                    let started = Instant::now();
                    let ordering = ordering.order(&engine, ctx, &candidates).expect("order");
                    assert_eq!(ordering.order.len(), count);
                    started.elapsed().as_secs_f64() * 1e3
                })
                .collect(),
        );
        println!(
            "ordering-priority-fee, {count} candidates (500 senders): {time:.2} ms per call incl. packing and host checks (median)"
        );

        // Where the time goes: the host's packing and its merge of the ranks (natively, the
        // same function the call runs), and a 0.1.0 plugin that only reverses the indices (the
        // boundary and the 0.1.0 check, over distinct senders so the host keeps them all).
        let ranks: Vec<u64> = candidates
            .iter()
            .map(|c| u64::try_from(c.max_priority_fee).unwrap_or(u64::MAX) + 1)
            .collect();
        let packing = median(
            (0..21)
                .map(|_| {
                    let started = Instant::now();
                    std::hint::black_box(keel_plugin_host::encode_candidates(&candidates));
                    started.elapsed().as_secs_f64() * 1e3
                })
                .collect(),
        );
        let merge = median(
            (0..21)
                .map(|_| {
                    let started = Instant::now();
                    let order = keel_plugin_host::merge_ranks(&candidates, &ranks);
                    assert_eq!(order.len(), count);
                    started.elapsed().as_secs_f64() * 1e3
                })
                .collect(),
        );
        let distinct: Vec<Candidate> = candidates
            .iter()
            .enumerate()
            .map(|(i, c)| Candidate {
                sender: Address::from_word(alloy_primitives::B256::from(
                    alloy_primitives::U256::from(i),
                ))
                .into_array(),
                nonce: 0,
                ..*c
            })
            .collect();
        let boundary = median(
            (0..21)
                .map(|_| {
                    let started = Instant::now();
                    let ordering = reverse.order(&engine, ctx, &distinct).expect("order");
                    assert_eq!(ordering.order.len(), count);
                    started.elapsed().as_secs_f64() * 1e3
                })
                .collect(),
        );
        println!(
            "  of which host packing {packing:.2} ms, host merge of the ranks {merge:.2} ms; a 0.1.0 plugin that only reverses: {boundary:.2} ms"
        );
    }
}
