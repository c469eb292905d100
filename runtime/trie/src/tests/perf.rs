//! A rough timing of one large block, ignored by default:
//! `cargo test --release -p keel-trie perf -- --ignored --nocapture`.

use std::time::Instant;

use alloy_primitives::{Address, U256, keccak256};

use crate::{
    AccountChange, AccountInfo, GenesisAccount, MemoryNodeStore, RecordingReader, StaleNodes,
    apply_state_changes, genesis_state,
};

fn address(i: u32) -> Address {
    Address::from_slice(&keccak256(i.to_be_bytes())[..20])
}

#[test]
#[ignore = "timing, run in release"]
fn perf_large_block() {
    let accounts = 200_000u32;
    let started = Instant::now();
    let genesis = genesis_state((0..accounts).map(|i| GenesisAccount {
        storage: if i % 10 == 0 {
            (0..4u64).map(|s| (U256::from(s), U256::from(i))).collect()
        } else {
            Vec::new()
        },
        ..GenesisAccount::with_balance(address(i), U256::from(i))
    }));
    let mut store = MemoryNodeStore::new();
    store.insert_nodes(&genesis.nodes);
    println!(
        "genesis: {accounts} accounts, {} nodes in {:?}",
        genesis.nodes.len(),
        started.elapsed()
    );

    // 15,000 changes: two thirds to existing accounts (a tenth with storage), the rest new.
    let changes: Vec<AccountChange> = (0..15_000u32)
        .map(|i| {
            let index = if i % 3 == 0 {
                accounts + i
            } else {
                i * 13 % accounts
            };
            AccountChange {
                address: address(index),
                info: Some(AccountInfo {
                    nonce: 1,
                    balance: U256::from(i),
                    ..Default::default()
                }),
                storage_wiped: false,
                storage: if index % 10 == 0 {
                    vec![
                        (U256::from(1), U256::from(7)),
                        (U256::from(9), U256::from(9)),
                    ]
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    let started = Instant::now();
    let update =
        apply_state_changes(&store, genesis.root, &changes, StaleNodes::Ignore).expect("apply");
    println!(
        "block: {} changes, {} new nodes in {:?}",
        changes.len(),
        update.nodes.len(),
        started.elapsed()
    );

    let recorder = RecordingReader::new(&store);
    let started = Instant::now();
    let recorded =
        apply_state_changes(&recorder, genesis.root, &changes, StaleNodes::Ignore).expect("apply");
    let witness = recorder.take_recorded();
    println!(
        "recorded: {} witness nodes in {:?}",
        witness.len(),
        started.elapsed()
    );
    assert_eq!(recorded, update);
}
