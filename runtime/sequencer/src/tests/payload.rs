//! Blocks sized by what their payload compresses to: a block fills its batch's blobs at the
//! compression the last full-sized block reached, and one that compresses worse is built again
//! within the room that fits uncompressed.

use alloy_primitives::{Address, TxKind, keccak256};
use prometheus_client::metrics::counter::Counter;

use super::{Chain, self_checking_batcher};
use crate::config::BatcherConfig;

/// One blob per batch, one block per batch: every block starts with the whole blob free.
fn one_blob_per_block() -> BatcherConfig {
    BatcherConfig {
        max_blobs: 1,
        max_blocks: 1,
        ..self_checking_batcher()
    }
}

const DATA: usize = 4_000;

/// Calldata of zeros: it compresses to almost nothing.
fn compressible(chain: &mut Chain) {
    chain.send(TxKind::Call(Address::repeat_byte(3)), 1, &[0; DATA], 70_000);
}

/// Calldata of hash bytes: it does not compress.
fn incompressible(chain: &mut Chain, seed: u64) {
    let data: Vec<u8> = (0..DATA as u64 / 32)
        .flat_map(|i| keccak256((seed << 32 | i).to_be_bytes()).0)
        .collect();
    chain.send(TxKind::Call(Address::repeat_byte(3)), 1, &data, 190_000);
}

#[test]
fn blocks_fill_their_blobs_at_the_compression_reached_and_are_rebuilt_when_it_drops() {
    let mut chain = Chain::with(Default::default(), Counter::default(), one_blob_per_block());
    let blob = keel_da::BLOB_CAPACITY;

    // Nothing known of the traffic yet: the first block stops where its payload would fill
    // the blob uncompressed.
    for _ in 0..150 {
        compressible(&mut chain);
    }
    let first = chain.proposer.build_block().unwrap().transactions;
    assert!(
        (first * DATA) < blob && (first + 2) * DATA > blob,
        "{first} transactions of {DATA} bytes in a {blob}-byte blob"
    );
    // It compressed well: the next block takes all that is left, several blobs' worth
    // uncompressed, and its batch still fits one blob.
    let second = chain.proposer.build_block().unwrap().transactions;
    assert_eq!(first + second, 150);
    assert!(second * DATA > 3 * blob, "{second} transactions");

    // Incompressible traffic: built at the old compression it would need two blobs, so the
    // block is built again within the room that fits uncompressed.
    for seed in 0..100 {
        incompressible(&mut chain, seed);
    }
    let third = chain.proposer.build_block().unwrap().transactions;
    assert!(
        third > 0 && (third * DATA) < blob && (third + 2) * DATA > blob,
        "{third} transactions"
    );
    // What it compressed to is what the next blocks assume: each fits the blob uncompressed.
    let mut rest = Vec::new();
    while third + rest.iter().sum::<usize>() < 100 {
        let txs = chain.proposer.build_block().unwrap().transactions;
        assert!(txs > 0 && txs * DATA < blob, "{txs} transactions");
        rest.push(txs);
    }
    chain.proposer.build_block().unwrap();

    // Every batch was sealed (in one blob each: more is refused) and self-checked.
    let snapshot = chain.storage.snapshot().unwrap();
    let batches: Vec<(u64, usize, usize)> = snapshot
        .batches_from(1, 20)
        .unwrap()
        .iter()
        .map(|b| (b.first_block, b.transactions as usize, b.blobs.len()))
        .collect();
    let expected: Vec<(u64, usize, usize)> = [first, second, third]
        .into_iter()
        .chain(rest)
        .zip(1..)
        .map(|(txs, block)| (block, txs, 1))
        .collect();
    assert_eq!(batches, expected);
}
