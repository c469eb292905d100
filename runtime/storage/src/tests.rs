//! Genesis bookkeeping, reopen, and refusal of out-of-order blocks.

use alloy_consensus::{Header, Sealable};
use alloy_primitives::{Address, U256};
use keel_primitives::{EMPTY_ROOT_HASH, KECCAK_EMPTY, SealedBlock, StateReader};
use keel_trie::{GenesisAccount, StateRootUpdate, genesis_state};

use crate::{BlockWrite, GenesisWrite, Storage, StorageError};
use keel_primitives::{
    BlockPlugin, PluginActivation, PluginId, PluginSlot, PluginSource, PluginSpec,
};

fn genesis(balance: u64) -> (alloy_consensus::Sealed<Header>, StateRootUpdate) {
    let state = genesis_state([GenesisAccount {
        address: Address::repeat_byte(1),
        nonce: 0,
        balance: U256::from(balance),
        code_hash: KECCAK_EMPTY,
        storage: vec![],
    }]);
    let header = Header {
        state_root: state.root,
        receipts_root: EMPTY_ROOT_HASH,
        ..Default::default()
    }
    .seal_slow();
    (header, state)
}

#[test]
fn genesis_is_written_once_and_checked_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keel.redb");
    let (header, state) = genesis(5);
    {
        let storage = Storage::open(&path).unwrap();
        let write = GenesisWrite {
            header: &header,
            state: &state,
            storage: &[],
            codes: &[],
        };
        assert!(storage.init_genesis(write).unwrap());
        assert!(
            !storage.init_genesis(write).unwrap(),
            "second init is a no-op"
        );
    }
    let storage = Storage::open(&path).unwrap();
    let snapshot = storage.snapshot().unwrap();
    assert_eq!(snapshot.head().unwrap().hash(), header.hash());
    assert_eq!(
        snapshot
            .account(&Address::repeat_byte(1))
            .unwrap()
            .unwrap()
            .balance,
        U256::from(5)
    );
    drop(snapshot);

    let (other, other_state) = genesis(6);
    let err = storage
        .init_genesis(GenesisWrite {
            header: &other,
            state: &other_state,
            storage: &[],
            codes: &[],
        })
        .unwrap_err();
    assert!(matches!(err, StorageError::GenesisMismatch { .. }));
    assert!(err.to_string().contains("fresh --datadir"), "{err}");
}

#[test]
fn blocks_must_extend_the_head() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(&dir.path().join("keel.redb")).unwrap();
    let (header, state) = genesis(5);
    storage
        .init_genesis(GenesisWrite {
            header: &header,
            state: &state,
            storage: &[],
            codes: &[],
        })
        .unwrap();
    let block = SealedBlock {
        header: Header {
            number: 2,
            parent_hash: header.hash(),
            state_root: state.root,
            ..Default::default()
        }
        .seal_slow(),
        transactions: vec![],
        senders: vec![],
        data_fee: Default::default(),
    };
    let empty = StateRootUpdate {
        root: state.root,
        nodes: vec![],
        accounts: vec![],
        stale: vec![],
    };
    let err = storage
        .commit_block(BlockWrite {
            block: &block,
            receipts: &[],
            changes: &[],
            state: &empty,
            codes: &[],
            plugins: &[],
            activated: &[],
            witness: None,
        })
        .unwrap_err();
    assert!(
        matches!(err, StorageError::NotNextBlock { number: 2, head: 0 }),
        "{err}"
    );
    assert_eq!(
        storage.snapshot().unwrap().head_number().unwrap(),
        0,
        "nothing was written"
    );
}

fn chain_at_genesis() -> (
    tempfile::TempDir,
    Storage,
    alloy_consensus::Sealed<Header>,
    StateRootUpdate,
) {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(&dir.path().join("keel.redb")).unwrap();
    let (header, state) = genesis(5);
    storage
        .init_genesis(GenesisWrite {
            header: &header,
            state: &state,
            storage: &[],
            codes: &[],
        })
        .unwrap();
    (dir, storage, header, state)
}

fn activation(slot: PluginSlot, name: &str, code: &[u8], source: PluginSource) -> PluginActivation {
    PluginActivation {
        slot,
        block: 1,
        plugin: Some(PluginSpec {
            id: PluginId::new(name, "0.1.0", code),
            settings: vec![("base-fee".into(), "1 gwei".into())],
            fuel: 1_000,
            memory_bytes: 1 << 20,
            deadline: std::time::Duration::from_millis(250),
        }),
        source,
        config_hash: Some(keel_primitives::plugins::code_hash(b"config")),
    }
}

/// An empty block on top of `parent` that keeps the state.
fn empty_block(parent: &alloy_consensus::Sealed<Header>) -> SealedBlock {
    SealedBlock {
        header: Header {
            number: parent.number + 1,
            parent_hash: parent.hash(),
            state_root: parent.state_root,
            ..Default::default()
        }
        .seal_slow(),
        transactions: vec![],
        senders: vec![],
        data_fee: keel_primitives::DataFee {
            l1_blob_base_fee: parent.number + 1,
            price: 826 * (parent.number + 1),
        },
    }
}

fn commit_empty(
    storage: &Storage,
    block: &SealedBlock,
    plugins: &[BlockPlugin],
    activated: &[PluginSlot],
) {
    storage
        .commit_block(BlockWrite {
            block,
            receipts: &[],
            changes: &[],
            state: &StateRootUpdate {
                root: block.header.state_root,
                nodes: vec![],
                accounts: vec![],
                stale: vec![],
            },
            codes: &[],
            plugins,
            activated,
            witness: None,
        })
        .unwrap();
}

#[test]
fn plugin_swaps_become_history_with_the_block_that_activates_them() {
    let (_dir, storage, genesis, _) = chain_at_genesis();
    let config = activation(
        PluginSlot::Fee,
        "fee-eip1559",
        b"eip1559",
        PluginSource::Config,
    );
    storage
        .record_activations(&[(config.clone(), Some(b"eip1559".as_slice()))])
        .unwrap();
    let eip1559 = vec![BlockPlugin {
        slot: PluginSlot::Fee,
        id: config.plugin.as_ref().unwrap().id.clone(),
        fell_back: false,
    }];
    let block1 = empty_block(&genesis);
    commit_empty(&storage, &block1, &eip1559, &[]);

    // A swap is pending until a block carries it; the block it names is only a request.
    let mut swap = activation(PluginSlot::Fee, "fee-fixed", b"fixed", PluginSource::Admin);
    swap.block = 2;
    storage.put_pending_plugin(&swap, b"fixed").unwrap();
    let snapshot = storage.snapshot().unwrap();
    assert_eq!(snapshot.pending_plugins().unwrap(), vec![swap.clone()]);
    assert_eq!(
        snapshot.active_plugin(PluginSlot::Fee).unwrap(),
        Some(config.clone())
    );
    let hash = swap.plugin.as_ref().unwrap().id.code_hash;
    assert_eq!(
        snapshot.plugin_code(hash).unwrap().as_deref(),
        Some(b"fixed".as_slice())
    );
    drop(snapshot);

    let fixed = vec![BlockPlugin {
        slot: PluginSlot::Fee,
        id: swap.plugin.as_ref().unwrap().id.clone(),
        fell_back: true,
    }];
    commit_empty(
        &storage,
        &empty_block(&block1.header),
        &fixed,
        &[PluginSlot::Fee],
    );
    let snapshot = storage.snapshot().unwrap();
    assert!(snapshot.pending_plugins().unwrap().is_empty());
    assert_eq!(
        snapshot.plugin_history(PluginSlot::Fee).unwrap(),
        vec![config, swap.clone()]
    );
    assert_eq!(snapshot.active_plugin(PluginSlot::Fee).unwrap(), Some(swap));
    assert_eq!(snapshot.active_plugin(PluginSlot::Ordering).unwrap(), None);
    assert_eq!(snapshot.block_plugins(1).unwrap(), Some(eip1559));
    assert_eq!(snapshot.block_plugins(2).unwrap(), Some(fixed));
    assert_eq!(snapshot.block_plugins(3).unwrap(), None);
}

#[test]
fn a_native_activation_round_trips() {
    let (_dir, storage, ..) = chain_at_genesis();
    let native = PluginActivation {
        slot: PluginSlot::Ordering,
        block: 3,
        plugin: None,
        source: PluginSource::Config,
        config_hash: None,
    };
    storage
        .record_activations(&[(native.clone(), None)])
        .unwrap();
    assert_eq!(
        storage
            .snapshot()
            .unwrap()
            .plugin_history(PluginSlot::Ordering)
            .unwrap(),
        vec![native]
    );
}

fn batch(number: u64, first_block: u64, last_block: u64) -> keel_primitives::Batch {
    keel_primitives::Batch {
        number,
        first_block,
        last_block,
        gas_used: 0,
        transactions: 0,
        witness_bytes: 0,
        input_bytes: 1,
        sealed_at_ms: 0,
        deposits: 0,
        output: keel_primitives::BatchOutput {
            batch_number: number,
            chain_spec_hash: alloy_primitives::B256::ZERO,
            first_block,
            block_count: last_block - first_block + 1,
            parent_block_hash: alloy_primitives::B256::ZERO,
            pre_state_root: alloy_primitives::B256::ZERO,
            post_state_root: alloy_primitives::B256::ZERO,
            last_block_hash: alloy_primitives::B256::ZERO,
            last_block_timestamp: 0,
            withdrawals_root: alloy_primitives::B256::ZERO,
            deposits_rolling_hash: alloy_primitives::B256::ZERO,
            blobs_hash: alloy_primitives::B256::ZERO,
        },
        blobs: vec![],
    }
}

#[test]
fn batches_seal_in_order_and_keep_leases_and_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keel.redb");
    let storage = Storage::open(&path).unwrap();
    let err = storage
        .seal_batch(&batch(2, 1, 3), b"x", b"frame")
        .unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::NotNextBatch {
                expected_number: 1,
                ..
            }
        ),
        "{err}"
    );
    storage
        .seal_batch(&batch(1, 1, 3), b"one", b"frame")
        .unwrap();
    let err = storage
        .seal_batch(&batch(2, 5, 6), b"x", b"frame")
        .unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::NotNextBatch {
                expected_first_block: 4,
                ..
            }
        ),
        "{err}"
    );
    storage
        .seal_batch(&batch(2, 4, 6), b"two", b"frame")
        .unwrap();
    let lease = keel_primitives::Lease {
        batch: 2,
        lease_id: 9,
        prover: "p".into(),
        backend: keel_primitives::BackendKind::Exec,
        expires_at_ms: 123,
    };
    storage.put_lease(&lease).unwrap();
    drop(storage);

    // Everything survives a reopen; a proof ends its batch's lease.
    let storage = Storage::open(&path).unwrap();
    let snapshot = storage.snapshot().unwrap();
    assert_eq!(snapshot.last_batch().unwrap(), Some(batch(2, 4, 6)));
    assert_eq!(
        snapshot.prover_input(1).unwrap().as_deref(),
        Some(&b"one"[..])
    );
    assert_eq!(snapshot.leases().unwrap(), vec![lease]);
    drop(snapshot);
    let proof = keel_primitives::StoredProof {
        batch: 2,
        backend: keel_primitives::BackendKind::Exec,
        program_version: "v".into(),
        prover: "p".into(),
        output: batch(2, 4, 6).output,
        proof: Default::default(),
        received_at_ms: 1,
        proving_ms: 2,
    };
    storage.put_proof(&proof).unwrap();
    let snapshot = storage.snapshot().unwrap();
    assert_eq!(snapshot.proof(2).unwrap(), Some(proof));
    assert!(snapshot.leases().unwrap().is_empty());
    assert_eq!(snapshot.batches_from(2, 10).unwrap().len(), 1);
}

#[test]
fn closed_batches_wait_for_their_seal_and_verified_inputs_can_go() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(&dir.path().join("keel.redb")).unwrap();
    storage.close_batch(1, 1, 3).unwrap();
    storage.close_batch(2, 4, 6).unwrap();
    assert_eq!(
        storage.snapshot().unwrap().closed_batches().unwrap(),
        [(1, 1, 3), (2, 4, 6)]
    );
    storage
        .seal_batch(&batch(1, 1, 3), b"one", b"frame")
        .unwrap();
    storage
        .seal_batch(&batch(2, 4, 6), b"two", b"frame")
        .unwrap();
    let snapshot = storage.snapshot().unwrap();
    assert!(snapshot.closed_batches().unwrap().is_empty());
    drop(snapshot);

    // L1 verified batch 1: its input goes (its frame stays: an L1 reorganisation may need it
    // posted again), batch 2's stays, and the batch records remain.
    assert_eq!(storage.prune_prover_inputs_to(1).unwrap(), 1);
    let snapshot = storage.snapshot().unwrap();
    assert_eq!(snapshot.prover_input(1).unwrap(), None);
    assert!(snapshot.batch_frame(1).unwrap().is_some());
    drop(snapshot);
    // Frames go once the commit is final on L1 (and the batch verified).
    let commit = |batch, l1_block| crate::BatchCommit {
        batch,
        l1_block,
        l1_block_hash: alloy_primitives::B256::ZERO,
        l1_tx: alloy_primitives::B256::ZERO,
    };
    storage
        .record_batch_commits(&[commit(1, 10), commit(2, 12)])
        .unwrap();
    assert_eq!(storage.prune_frames_to(2, 11).unwrap(), 1);
    assert_eq!(
        storage.prune_frames_to(1, 20).unwrap(),
        0,
        "batch 2 not verified"
    );
    let snapshot = storage.snapshot().unwrap();
    assert!(snapshot.batch_frame(1).unwrap().is_none());
    assert!(snapshot.batch_frame(2).unwrap().is_some());
    assert_eq!(
        snapshot.prover_input(2).unwrap().as_deref(),
        Some(&b"two"[..])
    );
    assert_eq!(snapshot.batches_from(1, 10).unwrap().len(), 2);
    drop(snapshot);
    assert_eq!(storage.prune_prover_inputs_to(1).unwrap(), 0);
}

fn l1_deposit(deposit_id: u64, l1_tx: u8) -> keel_primitives::L1Deposit {
    let value = U256::from(1_000u64 + deposit_id);
    keel_primitives::L1Deposit {
        deposit_id,
        l1_sender: Address::repeat_byte(7),
        from: Address::repeat_byte(7),
        recipient: Address::repeat_byte(8),
        mint: value,
        value,
        deadline: 1_700_000_000,
        l1_block: 10 + deposit_id,
        l1_tx_hash: alloy_primitives::B256::repeat_byte(l1_tx),
        ..Default::default()
    }
}

#[test]
fn deposits_are_recorded_once_and_included_in_queue_order() {
    let (dir, storage, genesis, _) = chain_at_genesis();
    assert_eq!(storage.snapshot().unwrap().l1_scanned_to().unwrap(), 0);
    storage
        .record_deposits(&[l1_deposit(0, 1), l1_deposit(1, 2)], scanned(12))
        .unwrap();
    // A rescan of the same range is a no-op; a later one adds the next deposit.
    storage
        .record_deposits(&[l1_deposit(1, 2), l1_deposit(2, 3)], scanned(13))
        .unwrap();
    let snapshot = storage.snapshot().unwrap();
    assert_eq!(snapshot.l1_scanned_to().unwrap(), 13);
    assert_eq!(snapshot.pending_deposits(10).unwrap().len(), 3);
    drop(snapshot);

    // Including deposit 1 before 0 is refused; including 0 and 1 leaves 2 pending.
    let mut block = empty_block(&genesis);
    block.transactions = vec![l1_deposit(1, 2).to_tx(false).into()];
    block.senders = vec![Address::repeat_byte(7)];
    let write = |block: &SealedBlock| commit_bare(&storage, block);
    let err = write(&block).unwrap_err();
    assert!(
        matches!(
            err,
            StorageError::DepositOutOfOrder {
                deposit_id: 1,
                expected: 0
            }
        ),
        "{err}"
    );
    block.transactions = vec![
        l1_deposit(0, 1).to_tx(false).into(),
        l1_deposit(1, 2).to_tx(true).into(),
    ];
    block.senders = vec![Address::repeat_byte(7); 2];
    write(&block).unwrap();
    drop(storage);

    let storage = Storage::open(&dir.path().join("keel.redb")).unwrap();
    let snapshot = storage.snapshot().unwrap();
    assert_eq!(snapshot.next_l2_deposit().unwrap(), 2);
    let pending = snapshot.pending_deposits(10).unwrap();
    assert_eq!(pending, vec![l1_deposit(2, 3)]);
    assert_eq!(snapshot.l1_deposit(0).unwrap(), Some(l1_deposit(0, 1)));
}

/// Commits `block` with nothing but its transactions: no receipts, state or witness.
fn commit_bare(storage: &Storage, block: &SealedBlock) -> crate::StorageResult<()> {
    storage.commit_block(BlockWrite {
        block,
        receipts: &[],
        changes: &[],
        state: &StateRootUpdate {
            root: block.header.state_root,
            nodes: vec![],
            accounts: vec![],
            stale: vec![],
        },
        codes: &[],
        plugins: &[],
        activated: &[],
        witness: None,
    })
}

/// The deposit watcher's checkpoint at L1 block `number`, with a hash made from it.
fn scanned(number: u64) -> crate::L1Checkpoint {
    crate::L1Checkpoint {
        number,
        hash: alloy_primitives::B256::with_last_byte(number as u8),
    }
}

/// Issue 18: an L1 reorganisation used to stop the watcher for good. A message seen again in
/// another L1 block is the same message; one L2 has not included yet follows L1 whatever it
/// becomes; only a different message under an id L2 already includes is a conflict. A rewind
/// forgets what L2 has not included from the reorganised blocks.
#[test]
fn l1_reorganisations_are_followed_and_only_a_changed_included_message_conflicts() {
    let (_dir, storage, genesis, _) = chain_at_genesis();
    storage
        .record_deposits(
            &[l1_deposit(0, 1), l1_deposit(1, 2), l1_deposit(2, 3)],
            scanned(12),
        )
        .unwrap();
    let mut block = empty_block(&genesis);
    block.transactions = vec![l1_deposit(0, 1).to_tx(false).into()];
    block.senders = vec![Address::repeat_byte(7)];
    commit_bare(&storage, &block).unwrap();

    // Deposit 0 (on L2) and 1 (pending) mined again in other L1 transactions and blocks.
    let moved = |id, tx| keel_primitives::L1Deposit {
        l1_block: 20 + id,
        deadline: 1_700_000_100,
        ..l1_deposit(id, tx)
    };
    storage
        .record_deposits(&[moved(0, 0x90), moved(1, 0x91)], scanned(21))
        .unwrap();
    let snapshot = storage.snapshot().unwrap();
    assert_eq!(snapshot.l1_deposit(0).unwrap(), Some(moved(0, 0x90)));
    assert_eq!(snapshot.l1_deposit(1).unwrap(), Some(moved(1, 0x91)));
    drop(snapshot);

    // Another message under pending id 2 replaces it; under included id 0 it conflicts.
    let other = |id| keel_primitives::L1Deposit {
        value: U256::from(7),
        mint: U256::from(7),
        ..moved(id, 0x99)
    };
    storage.record_deposits(&[other(2)], scanned(22)).unwrap();
    assert_eq!(
        storage.snapshot().unwrap().l1_deposit(2).unwrap(),
        Some(other(2))
    );
    let err = storage
        .record_deposits(&[other(0)], scanned(23))
        .unwrap_err();
    assert!(
        matches!(err, StorageError::DepositConflict { deposit_id: 0, .. }) && !err.is_fatal(),
        "{err}"
    );
    assert_eq!(storage.snapshot().unwrap().l1_scanned_to().unwrap(), 22);

    // A rewind to block 20: deposit 0 (block 20) stays; 1 and 2 (blocks 21, 22) are pending
    // and forgotten; the checkpoints above 20 go.
    storage.record_deposits(&[], scanned(20)).unwrap();
    let included = storage.rewind_l1_scan(20).unwrap();
    assert!(included.is_empty());
    let snapshot = storage.snapshot().unwrap();
    assert_eq!(snapshot.l1_scanned_to().unwrap(), 20);
    assert_eq!(snapshot.l1_deposits_recorded().unwrap(), 1);
    assert_eq!(
        snapshot.l1_checkpoints(10).unwrap(),
        vec![scanned(20), scanned(12)]
    );
    drop(snapshot);
    // Deeper: deposit 0, on L2, is reported.
    assert_eq!(storage.rewind_l1_scan(12).unwrap(), vec![0]);
    assert_eq!(
        storage.snapshot().unwrap().l1_deposits_recorded().unwrap(),
        1
    );
}

#[test]
fn a_database_of_another_format_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keel.redb");
    // What a build before typed tables wrote: `meta` with byte values.
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(redb::TableDefinition::<&str, &[u8]>::new("meta"))
            .unwrap()
            .insert("head", 7u64.to_be_bytes().as_slice())
            .unwrap();
        txn.commit().unwrap();
    }
    let error = Storage::open(&path).unwrap_err();
    assert!(
        matches!(error, StorageError::Incompatible { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("fresh --datadir"), "{error}");

    // A future format is refused too, and the file is left as it was.
    let path = dir.path().join("future.redb");
    drop(Storage::open(&path).unwrap());
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(redb::TableDefinition::<&str, u64>::new("meta"))
            .unwrap()
            .insert("schema_version", crate::SCHEMA_VERSION + 1)
            .unwrap();
        txn.commit().unwrap();
    }
    let error = Storage::open(&path).unwrap_err();
    assert!(
        error
            .to_string()
            .contains(&format!("storage format {}", crate::SCHEMA_VERSION + 1)),
        "{error}"
    );
}

/// A state change of `address` (repeat byte): its balance and storage writes; `None`: destroyed.
fn change(address: u8, balance: Option<u64>, storage: &[(u64, u64)]) -> keel_trie::AccountChange {
    keel_trie::AccountChange {
        address: Address::repeat_byte(address),
        info: balance.map(|balance| keel_trie::AccountInfo {
            nonce: 1,
            balance: U256::from(balance),
            code_hash: KECCAK_EMPTY,
        }),
        storage_wiped: false,
        storage: storage
            .iter()
            .map(|(slot, value)| (U256::from(*slot), U256::from(*value)))
            .collect(),
    }
}

/// Builds and commits a block on `parent` making `changes`.
fn commit_changes(
    storage: &Storage,
    parent: &alloy_consensus::Sealed<Header>,
    changes: &[keel_trie::AccountChange],
) -> alloy_consensus::Sealed<Header> {
    let update = {
        let snapshot = storage.snapshot().unwrap();
        keel_trie::apply_state_changes(&snapshot, parent.state_root, changes, storage.stale_nodes())
            .unwrap()
    };
    let block = SealedBlock {
        header: Header {
            number: parent.number + 1,
            parent_hash: parent.hash(),
            state_root: update.root,
            ..Default::default()
        }
        .seal_slow(),
        transactions: vec![],
        senders: vec![],
        data_fee: keel_primitives::DataFee {
            l1_blob_base_fee: parent.number + 1,
            price: 1,
        },
    };
    storage
        .commit_block(BlockWrite {
            block: &block,
            receipts: &[],
            changes,
            state: &update,
            codes: &[],
            plugins: &[],
            activated: &[],
            witness: None,
        })
        .unwrap();
    block.header
}

#[test]
fn unwinding_puts_back_the_state_and_chain_of_the_kept_head() {
    let (_dir, storage, genesis, _) = chain_at_genesis();
    let dump = || storage.snapshot().unwrap().dump_state().unwrap();
    let blocks: [Vec<keel_trie::AccountChange>; 2] = [
        vec![
            change(1, Some(9), &[]),
            change(2, Some(1), &[(1, 7), (2, 8)]),
        ],
        vec![
            change(1, None, &[]),
            change(2, Some(2), &[(1, 3), (2, 0), (4, 4)]),
        ],
    ];
    let mut states = vec![dump()];
    let mut headers = vec![genesis.clone()];
    for changes in &blocks {
        let header = commit_changes(&storage, headers.last().unwrap(), changes);
        headers.push(header);
        states.push(dump());
    }
    assert_ne!(states[1], states[2]);
    storage
        .seal_batch(&batch(1, 1, 1), b"in", b"frame")
        .unwrap();
    storage
        .seal_batch(&batch(2, 2, 2), b"in", b"frame")
        .unwrap();
    storage
        .set_l1_progress(crate::L1Progress {
            committed: 2,
            verified: 2,
        })
        .unwrap();

    assert_eq!(storage.unwind_to(1).unwrap(), 1);
    let snapshot = storage.snapshot().unwrap();
    assert_eq!(snapshot.head().unwrap().hash(), headers[1].hash());
    assert_eq!(snapshot.dump_state().unwrap(), states[1]);
    assert_eq!(snapshot.canonical_hash(2).unwrap(), None);
    assert_eq!(snapshot.block_number(&headers[2].hash()).unwrap(), None);
    assert_eq!(snapshot.data_fee(2).unwrap(), None);
    assert_eq!(
        snapshot
            .data_fee(1)
            .unwrap()
            .map(|fee| fee.l1_blob_base_fee),
        Some(1)
    );
    assert!(snapshot.batch(2).unwrap().is_none() && snapshot.batch_frame(2).unwrap().is_none());
    assert!(snapshot.batch(1).unwrap().is_some());
    let progress = snapshot.l1_progress().unwrap().unwrap();
    assert_eq!((progress.committed, progress.verified), (1, 1));
    drop(snapshot);

    // The same block applies again on the restored state, to the same root.
    let again = commit_changes(&storage, &headers[1], &blocks[1]);
    assert_eq!(again.hash(), headers[2].hash());
    assert_eq!(dump(), states[2]);
    assert_eq!(storage.unwind_to(0).unwrap(), 2);
    assert_eq!(dump(), states[0]);
    assert_eq!(storage.unwind_to(5).unwrap(), 0, "nothing above the head");

    // A pruned change set stops the unwind before it changes anything.
    let one = commit_changes(&storage, &genesis, &blocks[0]);
    commit_changes(&storage, &one, &blocks[1]);
    storage.prune_changesets_to(1).unwrap();
    let err = storage.unwind_to(0).unwrap_err();
    assert!(
        matches!(err, StorageError::CannotUnwind { block: 1 }),
        "{err}"
    );
    assert_eq!(storage.snapshot().unwrap().head_number().unwrap(), 2);
    assert_eq!(dump(), states[2]);
    assert_eq!(storage.unwind_to(1).unwrap(), 1);
    assert_eq!(dump(), states[1]);
}

/// A signed legacy transfer with nonce `nonce` (the signature is not checked here).
fn user_tx(nonce: u64) -> keel_primitives::KeelTx {
    let tx = alloy_consensus::TxLegacy {
        chain_id: Some(1),
        nonce,
        gas_limit: 21_000,
        value: U256::from(7),
        ..Default::default()
    };
    let signature = alloy_primitives::Signature::new(U256::from(1), U256::from(2), false);
    alloy_consensus::TxEnvelope::Legacy(alloy_consensus::Signed::new_unhashed(tx, signature)).into()
}

#[test]
fn a_revert_unwinds_past_the_kept_batch_and_keeps_its_transactions_for_the_pool() {
    use alloy_eips::eip2718::Encodable2718;

    let (dir, storage, genesis, _) = chain_at_genesis();
    storage
        .record_deposits(&[l1_deposit(0, 1), l1_deposit(1, 2)], scanned(12))
        .unwrap();
    let sender = Address::repeat_byte(9);
    let mut parent = genesis.clone();
    let bodies = [
        vec![l1_deposit(0, 1).to_tx(false).into(), user_tx(0)],
        vec![l1_deposit(1, 2).to_tx(false).into(), user_tx(1), user_tx(2)],
        vec![user_tx(3)],
    ];
    for transactions in &bodies {
        let mut block = empty_block(&parent);
        block.senders = vec![sender; transactions.len()];
        block.transactions = transactions.clone();
        commit_bare(&storage, &block).unwrap();
        parent = block.header;
    }
    storage
        .seal_batch(&batch(1, 1, 1), b"in", b"frame")
        .unwrap();
    storage
        .seal_batch(&batch(2, 2, 2), b"in", b"frame")
        .unwrap();
    assert_eq!(storage.snapshot().unwrap().l1_reverts().unwrap(), 0);

    // L1 kept batch 1: blocks 2 and 3 go, deposit 1 is pending again, and the three user
    // transactions of those blocks wait for the pool, in chain order.
    let reverted = storage.revert_to(1, 1, true).unwrap();
    assert_eq!(
        reverted,
        crate::Reverted {
            head: 1,
            blocks: 2,
            transactions: 3,
            requeued: 3,
            l1_messages: 1,
        }
    );
    let snapshot = storage.snapshot().unwrap();
    assert_eq!(snapshot.head_number().unwrap(), 1);
    assert!(snapshot.batch(2).unwrap().is_none() && snapshot.batch(1).unwrap().is_some());
    assert_eq!(snapshot.next_l2_deposit().unwrap(), 1);
    assert_eq!(
        snapshot.pending_deposits(10).unwrap(),
        vec![l1_deposit(1, 2)]
    );
    assert_eq!(snapshot.l1_reverts().unwrap(), 1);
    assert_eq!(snapshot.tx_location(&user_tx(1).hash()).unwrap(), None);
    drop(snapshot);
    drop(storage);

    // They survive a restart, and are handed out once.
    let storage = Storage::open(&dir.path().join("keel.redb")).unwrap();
    let expected: Vec<Vec<u8>> = (1..=3).map(|n| user_tx(n).encoded_2718()).collect();
    assert_eq!(storage.take_requeued().unwrap(), expected);
    assert!(storage.take_requeued().unwrap().is_empty());

    // Dropping them instead keeps nothing; the revert count is recorded either way.
    let reverted = storage.revert_to(0, 2, false).unwrap();
    assert_eq!(
        (reverted.blocks, reverted.transactions, reverted.requeued),
        (1, 1, 0)
    );
    assert!(storage.take_requeued().unwrap().is_empty());
    assert_eq!(storage.snapshot().unwrap().l1_reverts().unwrap(), 2);
}

#[test]
fn table_sizes_name_every_table_largest_first() {
    let (_dir, storage, _, _) = chain_at_genesis();
    let sizes = storage.table_sizes().unwrap();
    let headers = sizes.iter().find(|s| s.name == "headers").expect("headers");
    assert_eq!(headers.entries, 1);
    assert!(headers.stored_bytes > 0 && headers.total_bytes() >= headers.stored_bytes);
    assert!(sizes.iter().any(|s| s.name == "proofs" && s.entries == 0));
    assert!(
        sizes
            .windows(2)
            .all(|pair| pair[0].total_bytes() >= pair[1].total_bytes())
    );
}

/// Every stored trie node reachable from the state root `root`, storage tries included, added
/// to `out`; panics on a node the store lacks.
fn reachable_nodes(
    snapshot: &crate::Snapshot,
    root: alloy_primitives::B256,
    out: &mut std::collections::HashSet<alloy_primitives::B256>,
) {
    use alloy_rlp::{Decodable, Header as RlpHeader};
    use keel_trie::NodeReader;

    // Walks one node's RLP: hashed children are followed, embedded ones decoded in place; a
    // leaf of the account trie leads to its storage trie.
    fn walk(
        snapshot: &crate::Snapshot,
        rlp: &[u8],
        accounts: bool,
        out: &mut std::collections::HashSet<alloy_primitives::B256>,
    ) {
        let mut payload = rlp;
        let header = RlpHeader::decode(&mut payload).unwrap();
        assert!(header.list);
        let mut items = Vec::new();
        while !payload.is_empty() {
            let start = payload;
            let item = RlpHeader::decode(&mut payload).unwrap();
            let head_len = start.len() - payload.len();
            items.push((&start[..head_len + item.payload_length], item.list));
            payload = &payload[item.payload_length..];
        }
        let child = |(raw, list): (&[u8], bool), out: &mut _| {
            if list {
                walk(snapshot, raw, accounts, out);
            } else {
                let bytes = alloy_primitives::Bytes::decode(&mut &raw[..]).unwrap();
                if bytes.len() == 32 {
                    follow(
                        snapshot,
                        alloy_primitives::B256::from_slice(&bytes),
                        accounts,
                        out,
                    );
                }
            }
        };
        if items.len() == 17 {
            items[..16].iter().for_each(|item| child(*item, out));
            return;
        }
        let path = alloy_primitives::Bytes::decode(&mut &items[0].0[..]).unwrap();
        let is_leaf = path[0] >> 4 >= 2;
        if !is_leaf {
            child(items[1], out);
        } else if accounts {
            let value = alloy_primitives::Bytes::decode(&mut &items[1].0[..]).unwrap();
            let account: keel_primitives::TrieAccount = alloy_rlp::decode_exact(&value).unwrap();
            if account.storage_root != EMPTY_ROOT_HASH {
                follow(snapshot, account.storage_root, false, out);
            }
        }
    }

    fn follow(
        snapshot: &crate::Snapshot,
        hash: alloy_primitives::B256,
        accounts: bool,
        out: &mut std::collections::HashSet<alloy_primitives::B256>,
    ) {
        let rlp = snapshot
            .node(&hash)
            .unwrap()
            .unwrap_or_else(|| panic!("trie node {hash} is missing"));
        if out.insert(hash) {
            walk(snapshot, &rlp, accounts, out);
        }
    }

    follow(snapshot, root, true, out);
}

/// The number of rows in table `name`.
fn rows(storage: &Storage, name: &str) -> u64 {
    storage
        .table_sizes()
        .unwrap()
        .into_iter()
        .find(|size| size.name == name)
        .map_or(0, |size| size.entries)
}

/// A full node keeps the whole state of its last blocks and, once they are pruned, nothing of
/// the older ones: every kept state reads back as it was, older ones are refused by name, and
/// the stored trie nodes are exactly those the kept roots reach — shared subtrees (two
/// accounts with the same storage), values set and restored, and slots deleted included. What
/// an unwind takes off or a dropped storage trie held may stay (a leak), never less.
#[test]
fn a_full_node_keeps_its_recent_states_whole_and_prunes_the_rest() {
    use std::collections::{BTreeMap, HashSet};

    const HISTORY: u64 = 3;
    let (_dir, storage, genesis, _) = chain_at_genesis();
    let storage = storage.keeping(crate::StateHistory::Full { blocks: HISTORY });
    // address → (balance, slots), after each block.
    type Model = BTreeMap<u8, (u64, BTreeMap<u64, u64>)>;
    let mut models: Vec<Model> = vec![BTreeMap::from([(1, (5, BTreeMap::new()))])];
    let mut headers = vec![genesis];
    let mut seed = 0x5eed_u64;
    let mut next = move |bound: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % bound
    };
    let prune = |storage: &Storage| {
        let head = storage.snapshot().unwrap().head_number().unwrap();
        storage
            .prune_changesets_to(head.saturating_sub(HISTORY))
            .unwrap();
        // A small budget: several write transactions per pass.
        while storage.prune_state(40).unwrap().blocks > 0 {}
    };
    let check = |storage: &Storage,
                 models: &[Model],
                 headers: &[alloy_consensus::Sealed<Header>],
                 exact: bool| {
        let snapshot = storage.snapshot().unwrap();
        let head = snapshot.head_number().unwrap();
        let from = snapshot.state_from().unwrap();
        // After an unwind the head is lower, but what was pruned stays pruned.
        match exact {
            true => assert_eq!(
                from,
                head.saturating_sub(HISTORY),
                "pruned up to the history"
            ),
            false => assert!((head.saturating_sub(HISTORY)..=head).contains(&from)),
        }
        let mut kept = HashSet::new();
        for (number, header) in headers.iter().enumerate() {
            let state = crate::HistoricalState::at(&snapshot, header);
            if (number as u64) < from {
                assert!(
                    matches!(state, Err(StorageError::StatePruned { .. })),
                    "block {number}'s state is refused"
                );
                continue;
            }
            let state = state.unwrap();
            for address in 1..=10u8 {
                let expected = models[number].get(&address);
                let account = state.account(&Address::repeat_byte(address)).unwrap();
                assert_eq!(
                    account.map(|a| a.balance),
                    expected.map(|(balance, _)| U256::from(*balance)),
                    "block {number}, account {address}"
                );
                for slot in 0..6u64 {
                    let value = expected
                        .and_then(|(_, slots)| slots.get(&slot))
                        .copied()
                        .unwrap_or(0);
                    assert_eq!(
                        state
                            .storage(&Address::repeat_byte(address), &U256::from(slot))
                            .unwrap(),
                        U256::from(value),
                        "block {number}, account {address}, slot {slot}"
                    );
                }
            }
            reachable_nodes(&snapshot, header.state_root, &mut kept);
        }
        let stored = rows(storage, "trie_nodes");
        if exact {
            assert_eq!(
                stored,
                kept.len() as u64,
                "stored nodes are those the kept states reach"
            );
        } else {
            assert!(stored >= kept.len() as u64);
        }
    };
    let random_block = |model: &Model, next: &mut dyn FnMut(u64) -> u64, drop_storage: bool| {
        let mut model = model.clone();
        let mut changes = Vec::new();
        for address in 1..=8u8 {
            if next(3) == 0 {
                continue;
            }
            let entry = model.entry(address).or_insert((1, BTreeMap::new()));
            entry.0 = 1 + next(4);
            let writes: Vec<(u64, u64)> = (0..next(4)).map(|_| (next(6), next(3))).collect();
            for (slot, value) in &writes {
                match value {
                    0 => entry.1.remove(slot),
                    value => entry.1.insert(*slot, *value),
                };
            }
            changes.push(change(address, Some(entry.0), &writes));
        }
        // Accounts 9 and 10 always hold the same storage as account 1: shared storage tries.
        if let Some((_, slots)) = model.get(&1).cloned() {
            for twin in [9u8, 10] {
                let old = model
                    .insert(twin, (7, slots.clone()))
                    .map(|(_, s)| s)
                    .unwrap_or_default();
                let writes: Vec<(u64, u64)> = (0..6)
                    .filter(|slot| old.get(slot) != slots.get(slot))
                    .map(|slot| (slot, slots.get(&slot).copied().unwrap_or(0)))
                    .collect();
                changes.push(change(twin, Some(7), &writes));
            }
        }
        if drop_storage && model.remove(&2).is_some() {
            changes.retain(|c: &keel_trie::AccountChange| c.address != Address::repeat_byte(2));
            changes.push(change(2, None, &[]));
        }
        (model, changes)
    };

    for _ in 0..30 {
        let (model, changes) = random_block(models.last().unwrap(), &mut next, false);
        let header = commit_changes(&storage, headers.last().unwrap(), &changes);
        headers.push(header);
        models.push(model);
        prune(&storage);
        check(&storage, &models, &headers, true);
    }
    assert!(
        rows(&storage, "trie_node_refs") > 0,
        "some nodes are shared"
    );
    assert!(rows(&storage, "trie_stale") <= HISTORY);

    // Unwinding within the kept history, then building on: every kept state still whole.
    assert_eq!(storage.unwind_to(headers.len() as u64 - 3).unwrap(), 2);
    headers.truncate(headers.len() - 2);
    models.truncate(models.len() - 2);
    for round in 0..6 {
        let (model, changes) = random_block(models.last().unwrap(), &mut next, round == 2);
        let header = commit_changes(&storage, headers.last().unwrap(), &changes);
        headers.push(header);
        models.push(model);
        prune(&storage);
        check(&storage, &models, &headers, false);
    }

    // A node that reads L1 keeps the state from the last verified batch's last block on,
    // whatever its history: an unverified batch may still have to be proven on its parent's.
    let head = headers.len() as u64 - 1;
    let state_from = storage.snapshot().unwrap().state_from().unwrap();
    storage
        .seal_batch(&batch(1, 1, head - 10), b"in", b"frame")
        .unwrap();
    storage
        .seal_batch(&batch(2, head - 9, head), b"in", b"frame")
        .unwrap();
    let verified = |batch| {
        storage
            .set_l1_progress(crate::L1Progress {
                committed: 2,
                verified: batch,
            })
            .unwrap()
    };
    verified(1);
    for _ in 0..3 {
        let (model, changes) = random_block(models.last().unwrap(), &mut next, false);
        headers.push(commit_changes(&storage, headers.last().unwrap(), &changes));
        models.push(model);
        prune(&storage);
        assert_eq!(
            storage.snapshot().unwrap().state_from().unwrap(),
            state_from,
            "held at the verified batch"
        );
    }
    verified(2);
    prune(&storage);
    check(&storage, &models, &headers, false);
}
