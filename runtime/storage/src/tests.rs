//! Genesis bookkeeping, reopen, and refusal of out-of-order blocks.

use alloy_consensus::{Header, Sealable};
use alloy_primitives::{Address, U256};
use keel_primitives::{EMPTY_ROOT_HASH, KECCAK_EMPTY, SealedBlock, StateReader};
use keel_trie::{GenesisAccount, StateRootUpdate, genesis_state};

use crate::{BlockWrite, GenesisWrite, Storage, StorageError};

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
    };
    let empty = StateRootUpdate {
        root: state.root,
        nodes: vec![],
        accounts: vec![],
    };
    let err = storage
        .commit_block(BlockWrite {
            block: &block,
            receipts: &[],
            changes: &[],
            state: &empty,
            codes: &[],
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
