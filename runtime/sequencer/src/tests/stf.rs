//! The stateless STF against the node: batches the proposer sealed re-execute from their
//! witness to the node's own state roots, and a damaged input fails with a named error.

use alloy_eips::Encodable2718;
use keel_stf::{ProverInput, StfError, WitnessError, execute_batch};
use keel_trie::TrieError;
use proptest::prelude::*;

use super::*;
use crate::batcher::assemble;
use keel_da::{Frame, PayloadBlock};

/// Like `STORE_RUNTIME` with 64 bytes of calldata; with 32 bytes it only reads:
/// `return SLOAD(calldata[0..32])`. Reads without writes are what a witness most easily misses.
const STORE_LOAD_RUNTIME: [u8; 28] = [
    0x36, 0x60, 0x20, 0x14, 0x60, 0x0f, 0x57, // CALLDATASIZE == 32 → jump to 0x0f
    0x60, 0x20, 0x35, 0x60, 0x00, 0x35, 0x55, 0x00, // SSTORE(cd[0], cd[32]); STOP
    0x5b, 0x60, 0x00, 0x35, 0x54, // JUMPDEST; SLOAD(cd[0])
    0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3, // MSTORE(0); RETURN(0, 32)
];

/// What one transaction of a random block does.
#[derive(Debug, Clone)]
enum Op {
    /// Send wei to one of 256 addresses (new or not).
    Transfer(u8, u64),
    /// Write (or, with 0, delete) one of four slots of the store contract.
    Store(u8, u8),
    /// Read one of four slots of the store contract (no write).
    Load(u8),
    /// Deploy another store contract.
    Deploy,
    /// A creation that reverts.
    Revert,
    /// A contract that destroys itself while being created (EIP-6780).
    Ephemeral,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (any::<u8>(), 1..1_000_000u64).prop_map(|(to, value)| Op::Transfer(to, value)),
        (0..4u8, 0..3u8).prop_map(|(slot, value)| Op::Store(slot, value)),
        (0..4u8).prop_map(Op::Load),
        Just(Op::Deploy),
        Just(Op::Revert),
        Just(Op::Ephemeral),
    ]
}

impl Chain {
    fn apply(&mut self, op: &Op, store: Address) {
        match *op {
            Op::Transfer(to, value) => {
                self.send(TxKind::Call(Address::repeat_byte(to)), value, &[], 21_000);
            }
            Op::Store(slot, value) => {
                let call = store_call(u64::from(slot), u64::from(value));
                self.send(TxKind::Call(store), 0, &call, 100_000);
            }
            Op::Load(slot) => {
                let call = U256::from(slot).to_be_bytes::<32>();
                self.send(TxKind::Call(store), 0, &call, 100_000);
            }
            Op::Deploy => {
                self.send(TxKind::Create, 0, &init_code(&STORE_RUNTIME), 200_000);
            }
            Op::Revert => {
                self.send(TxKind::Create, 0, &[0x60, 0x00, 0x60, 0x00, 0xfd], 100_000);
            }
            Op::Ephemeral => {
                self.send(TxKind::Create, 7, &[0x33, 0xff], 100_000);
            }
        }
    }

    /// The batch of blocks `first..=last` as the batcher would seal it.
    fn batch_input(&self, first: u64, last: u64) -> (ProverInput, keel_primitives::Batch) {
        let snapshot = self.storage.snapshot().unwrap();
        assemble(
            &ChainSpec::ethereum_like(CHAIN_ID),
            &self_checking_batcher(),
            &snapshot,
            1,
            first,
            last,
        )
        .unwrap()
    }

    /// A chain with a store contract (at the dev key's first creation address) and two blocks
    /// of transfers and storage writes, sealed by `batcher`.
    fn with_two_blocks(batcher: crate::config::BatcherConfig) -> (Self, Address) {
        let mut chain = Self::with(
            keel_plugin_host::ActiveSet::default(),
            Counter::default(),
            batcher,
        );
        chain.send(TxKind::Create, 0, &init_code(&STORE_RUNTIME), 200_000);
        chain.send(TxKind::Call(Address::repeat_byte(7)), 5, &[], 21_000);
        chain.proposer.build_block().unwrap();
        let store = chain.key.address().create(0);
        chain.send(TxKind::Call(store), 0, &store_call(1, 9), 100_000);
        chain.send(TxKind::Call(Address::repeat_byte(8)), 5, &[], 21_000);
        chain.proposer.build_block().unwrap();
        (chain, store)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Random blocks of transfers, deployments, storage writes and deletes, reverts and
    /// create-and-destroy: every batch (sealed by the proposer every two blocks, self-checked
    /// there, and the open rest) re-executes to the node's state root.
    #[test]
    fn the_stf_reproduces_the_node(blocks in prop::collection::vec(prop::collection::vec(op(), 0..6), 1..6)) {
        let mut chain = Chain::with(
            keel_plugin_host::ActiveSet::default(),
            Counter::default(),
            crate::config::BatcherConfig { max_blocks: 2, ..self_checking_batcher() },
        );
        chain.send(TxKind::Create, 0, &init_code(&STORE_LOAD_RUNTIME), 200_000);
        chain.proposer.build_block().unwrap();
        let store = chain.key.address().create(0);
        for ops in &blocks {
            for op in ops {
                chain.apply(op, store);
            }
            chain.proposer.build_block().unwrap();
        }

        let snapshot = chain.storage.snapshot().unwrap();
        let head = snapshot.head().unwrap();
        let sealed = snapshot.batches_from(1, usize::MAX).unwrap();
        prop_assert_eq!(sealed.len() as u64, (head.number - 1) / 2);
        for batch in &sealed {
            let input = ProverInput::decode(&snapshot.prover_input(batch.number).unwrap().unwrap()).unwrap();
            prop_assert_eq!(execute_batch(&input).unwrap().output, batch.output);
        }
        let first = sealed.last().map_or(1, |batch| batch.last_block + 1);
        drop(snapshot);
        let (input, batch) = chain.batch_input(first, head.number);
        let output = execute_batch(&input).unwrap().output;
        prop_assert_eq!(output, batch.output);
        prop_assert_eq!(output.post_state_root, head.state_root);
        prop_assert_eq!(output.last_block_hash, head.hash());
    }
}

#[test]
fn every_witness_node_is_needed_and_its_absence_is_named() {
    let (chain, _) = Chain::with_two_blocks(self_checking_batcher());
    let (input, batch) = chain.batch_input(1, 2);
    assert_eq!(execute_batch(&input).unwrap().output, batch.output);
    assert!(!input.witness.nodes.is_empty());
    for index in 0..input.witness.nodes.len() {
        let mut damaged = input.clone();
        let removed = keccak256(damaged.witness.nodes.remove(index));
        match execute_batch(&damaged) {
            Err(StfError::Witness {
                source: WitnessError::Trie(TrieError::MissingNode { hash, .. }),
                ..
            }) => assert_eq!(hash, removed),
            other => panic!("witness without node {removed}: {other:?}"),
        }
    }
    // The store contract's code was deployed inside the batch: the witness has no code; a
    // batch starting after it carries it.
    assert!(input.witness.codes.is_empty());
    let one_block_batches = crate::config::BatcherConfig {
        max_blocks: 1,
        ..self_checking_batcher()
    };
    let (chain, _) = Chain::with_two_blocks(one_block_batches);
    chain.proposer.build_block().unwrap();
    let snapshot = chain.storage.snapshot().unwrap();
    let input = ProverInput::decode(&snapshot.prover_input(2).unwrap().unwrap()).unwrap();
    assert_eq!(
        input.witness.codes,
        vec![Bytes::from_static(&STORE_RUNTIME)]
    );
    let mut damaged = input.clone();
    damaged.witness.codes.clear();
    let error = execute_batch(&damaged).unwrap_err();
    assert!(
        matches!(error, StfError::Witness { block: 2, source: WitnessError::MissingCode(hash) } if hash == keccak256(STORE_RUNTIME)),
        "{error}"
    );
}

/// The batch's blocks as its frame carries them, and the same input carrying `blocks` instead
/// (uncompressed, bound to no blob).
fn reframed(input: &ProverInput, blocks: &[PayloadBlock]) -> ProverInput {
    ProverInput {
        frame: Frame::uncompressed(blocks).0,
        blob_hashes: vec![],
        ..input.clone()
    }
}

fn blocks_of(input: &ProverInput) -> Vec<PayloadBlock> {
    Frame(input.frame.clone()).blocks().unwrap()
}

#[test]
fn a_flipped_byte_in_a_transaction_fails() {
    let (chain, _) = Chain::with_two_blocks(self_checking_batcher());
    let (input, batch) = chain.batch_input(1, 2);
    let blocks = blocks_of(&input);
    // The same blocks, uncompressed and bound to no blob: the state is the same, the blobs
    // word is not.
    let plain = reframed(&input, &blocks);
    let output = execute_batch(&plain).unwrap().output;
    assert_eq!(output.post_state_root, batch.output.post_state_root);
    assert_eq!(output.last_block_hash, batch.output.last_block_hash);
    assert_ne!(output.blobs_hash, batch.output.blobs_hash);

    let encoded = plain.frame.to_vec();
    let tx = blocks[1].transactions[0].encoded_2718();
    let at = encoded
        .windows(tx.len())
        .position(|window| window == tx.as_slice())
        .expect("the transaction is in the frame");
    for offset in 0..tx.len() {
        let mut flipped = plain.clone();
        let mut frame = encoded.clone();
        frame[at + offset] ^= 0x01;
        flipped.frame = frame.into();
        // Either the payload no longer decodes, or re-execution refuses it; never a proof.
        let result = execute_batch(&flipped);
        assert!(
            result.is_err(),
            "byte {offset} of the transaction flipped: {result:?}"
        );
    }
    // A flipped signature byte is caught at sender recovery or by the sender's funds.
    let mut damaged = blocks.clone();
    let mut raw = damaged[1].transactions[0].encoded_2718().to_vec();
    let last = raw.len() - 1;
    raw[last] ^= 0x01;
    damaged[1].transactions[0] =
        alloy_eips::Decodable2718::decode_2718(&mut raw.as_slice()).unwrap();
    let error = execute_batch(&reframed(&input, &damaged)).unwrap_err();
    assert!(
        matches!(
            error,
            StfError::BadSignature {
                block: 2,
                index: 0,
                ..
            } | StfError::InvalidTransaction {
                block: 2,
                index: 0,
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn other_blocks_reach_another_output_or_a_named_error() {
    let (chain, _) = Chain::with_two_blocks(self_checking_batcher());
    let (input, batch) = chain.batch_input(1, 2);
    let blocks = blocks_of(&input);

    // Another timestamp: a valid batch, but of other blocks: its output is not the node's, so
    // no proof of it verifies against what the sequencer committed.
    let mut other = blocks.clone();
    other[1].timestamp += 1;
    let output = execute_batch(&reframed(&input, &other)).unwrap().output;
    assert_eq!(output.post_state_root, batch.output.post_state_root);
    assert_ne!(output.last_block_hash, batch.output.last_block_hash);

    // A block before its parent in time.
    let mut early = blocks.clone();
    early[1].timestamp = early[0].timestamp - 1;
    let error = execute_batch(&reframed(&input, &early)).unwrap_err();
    assert!(
        matches!(
            error,
            StfError::NotAChild {
                number: 2,
                field: "timestamp",
                ..
            }
        ),
        "{error}"
    );

    // A gas limit above the chain's.
    let spec = ChainSpec {
        max_block_gas: blocks[0].gas_limit - 1,
        ..input.spec
    };
    let error = execute_batch(&ProverInput {
        spec,
        ..reframed(&input, &blocks)
    })
    .unwrap_err();
    assert!(
        matches!(error, StfError::GasLimitAboveChain { .. }),
        "{error}"
    );

    // A base fee outside the chain's bounds.
    let mut costly = blocks.clone();
    costly[0].base_fee = u64::MAX;
    let spec = ChainSpec {
        max_base_fee: 1_000_000_000_000,
        ..input.spec
    };
    let error = execute_batch(&ProverInput {
        spec,
        ..reframed(&input, &costly)
    })
    .unwrap_err();
    assert!(
        matches!(error, StfError::BaseFeeOutOfBounds { block: 1, .. }),
        "{error}"
    );

    // Blob hashes that do not match the blobs the frame fills.
    let mut unbound = input.clone();
    unbound.blob_hashes.push(B256::repeat_byte(1));
    let error = execute_batch(&unbound).unwrap_err();
    assert!(
        matches!(error, StfError::Payload(keel_da::DaError::BlobCount { .. })),
        "{error}"
    );

    // No blocks at all.
    let error = execute_batch(&reframed(&input, &[])).unwrap_err();
    assert!(matches!(error, StfError::EmptyBatch), "{error}");
}

#[test]
fn batches_seal_before_a_bound_and_continue_after_a_restart() {
    let batcher = crate::config::BatcherConfig {
        max_blocks: 3,
        ..self_checking_batcher()
    };
    let mut chain = Chain::with(
        keel_plugin_host::ActiveSet::default(),
        Counter::default(),
        batcher.clone(),
    );
    for _ in 0..7 {
        chain.send(TxKind::Call(Address::repeat_byte(3)), 1, &[], 21_000);
        chain.proposer.build_block().unwrap();
    }
    let snapshot = chain.storage.snapshot().unwrap();
    let sealed = snapshot.batches_from(1, 10).unwrap();
    let ranges: Vec<(u64, u64, u64)> = sealed
        .iter()
        .map(|b| (b.number, b.first_block, b.last_block))
        .collect();
    assert_eq!(ranges, vec![(1, 1, 3), (2, 4, 6)]);
    assert!(
        snapshot.block_witness(3).unwrap().is_none(),
        "sealed blocks' witnesses are dropped"
    );
    assert!(snapshot.block_witness(7).unwrap().is_some());
    assert_eq!(
        sealed[1].output.parent_block_hash,
        sealed[0].output.last_block_hash
    );
    assert_eq!(
        sealed[1].output.pre_state_root,
        sealed[0].output.post_state_root
    );
    assert_eq!(sealed[0].transactions, 3);
    drop(snapshot);

    // A restarted node continues the open batch (block 7) and seals it at the same bound.
    chain.proposer = proposer(
        &chain.storage,
        &chain.pool,
        keel_plugin_host::ActiveSet::default(),
        Counter::default(),
        batcher,
    );
    for _ in 0..3 {
        chain.send(TxKind::Call(Address::repeat_byte(3)), 1, &[], 21_000);
        chain.proposer.build_block().unwrap();
    }
    let snapshot = chain.storage.snapshot().unwrap();
    let third = snapshot.batch(3).unwrap().expect("batch 3 sealed");
    assert_eq!((third.first_block, third.last_block), (7, 9));
    let input = ProverInput::decode(&snapshot.prover_input(3).unwrap().unwrap()).unwrap();
    assert_eq!(execute_batch(&input).unwrap().output, third.output);
}
