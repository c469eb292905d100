//! Batches sealed off the proposer's thread: in order and self-checked; a batch closed but not
//! sealed when the node stopped is sealed on restart over the blocks it was closed with.

use alloy_primitives::{Address, U256};
use keel_primitives::ChainSpec;
use prometheus_client::metrics::counter::Counter;

use super::{CHAIN_ID, Chain, proposer};
use crate::{SealQueue, Sealer, SequencerMetrics, config::BatcherConfig};

fn every_two_blocks() -> BatcherConfig {
    BatcherConfig {
        max_blocks: 2,
        self_check: true,
        ..Default::default()
    }
}

/// The batches storage holds: (number, first block, last block).
fn stored_batches(chain: &Chain) -> Vec<(u64, u64, u64)> {
    let snapshot = chain.storage.snapshot().unwrap();
    snapshot
        .batches_from(1, 100)
        .unwrap()
        .into_iter()
        .map(|b| {
            assert!(
                snapshot.prover_input(b.number).unwrap().is_some(),
                "batch {} has no prover input",
                b.number
            );
            (b.number, b.first_block, b.last_block)
        })
        .collect()
}

#[test]
fn a_sealer_thread_seals_closed_batches_in_order_with_their_self_check() {
    let mut chain = Chain::with(Default::default(), Counter::default(), every_two_blocks());
    let queue = SealQueue::new(1);
    chain.proposer = proposer(
        &chain.storage,
        &chain.pool,
        Default::default(),
        Counter::default(),
        every_two_blocks(),
    )
    .with_sealer(queue.clone());
    let sealer = Sealer::new(
        ChainSpec::ethereum_like(CHAIN_ID),
        every_two_blocks(),
        chain.storage.clone(),
        SequencerMetrics::default(),
        queue.clone(),
    );
    let tasks = keel_tasks::TaskManager::new();
    let shutdown = tasks.executor().shutdown();
    let sealing = std::thread::spawn(move || sealer.run(&shutdown));

    for i in 0..7u8 {
        chain.send_value(Address::repeat_byte(0x40 + i), U256::from(1));
        chain.proposer.build_block().unwrap();
    }
    // Blocks 1..=6 closed into three batches before blocks 3, 5 and 7; block 7 is open.
    queue.flush().unwrap();
    assert_eq!(stored_batches(&chain), [(1, 1, 2), (2, 3, 4), (3, 5, 6)]);

    // With the proposer gone, the sealer drains and stops.
    drop(chain);
    drop(queue);
    sealing.join().unwrap().unwrap();
}

#[test]
fn batches_closed_but_never_sealed_are_sealed_on_restart_over_the_same_blocks() {
    // A node that stopped with closed batches still in the sealer's queue: a queue nobody
    // seals from, dropped with its proposer.
    let mut chain = Chain::with(Default::default(), Counter::default(), every_two_blocks());
    chain.proposer = proposer(
        &chain.storage,
        &chain.pool,
        Default::default(),
        Counter::default(),
        every_two_blocks(),
    )
    .with_sealer(SealQueue::new(8));
    for i in 0..7u8 {
        chain.send_value(Address::repeat_byte(0x50 + i), U256::from(1));
        chain.proposer.build_block().unwrap();
    }
    assert!(stored_batches(&chain).is_empty());
    assert_eq!(
        chain.storage.snapshot().unwrap().closed_batches().unwrap(),
        [(1, 1, 2), (2, 3, 4), (3, 5, 6)]
    );

    // Restarted (sealing in place): the closed batches are sealed over the blocks they were
    // closed with, each self-checked (a block's witness leaves out what earlier blocks of its
    // batch created: other bounds would miss nodes), before the next block.
    chain.proposer = proposer(
        &chain.storage,
        &chain.pool,
        Default::default(),
        Counter::default(),
        every_two_blocks(),
    );
    chain.send_value(Address::repeat_byte(0x60), U256::from(1));
    chain.proposer.build_block().unwrap();
    assert_eq!(stored_batches(&chain), [(1, 1, 2), (2, 3, 4), (3, 5, 6)]);
    assert!(
        chain
            .storage
            .snapshot()
            .unwrap()
            .closed_batches()
            .unwrap()
            .is_empty()
    );
}
