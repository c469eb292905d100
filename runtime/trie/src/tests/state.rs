//! The state layer against a model rebuilt from scratch with `HashBuilder` after every block.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256, keccak256};
use proptest::prelude::*;

use super::support::reference_root;
use crate::{
    AccountChange, AccountInfo, EMPTY_ROOT_HASH, GenesisAccount, KECCAK_EMPTY, MemoryNodeStore,
    RecordingReader, StaleNodes, TrieAccount, TrieError, account_at_root, apply_state_changes,
    genesis_state, state::storage_key, storage_at_root,
};

/// The state as plain maps.
type Model = BTreeMap<Address, (AccountInfo, BTreeMap<U256, U256>)>;

fn apply_model(model: &mut Model, changes: &[AccountChange]) {
    for change in changes {
        let Some(info) = change.info else {
            model.remove(&change.address);
            continue;
        };
        let (old, storage) = model.entry(change.address).or_default();
        *old = info;
        if change.storage_wiped {
            storage.clear();
        }
        for (slot, value) in &change.storage {
            if value.is_zero() {
                storage.remove(slot);
            } else {
                storage.insert(*slot, *value);
            }
        }
    }
}

fn model_storage_root(storage: &BTreeMap<U256, U256>) -> B256 {
    reference_root(
        storage
            .iter()
            .map(|(slot, value)| (storage_key(slot), alloy_rlp::encode(value))),
    )
}

fn model_account(info: &AccountInfo, storage: &BTreeMap<U256, U256>) -> TrieAccount {
    TrieAccount::new(
        info.nonce,
        info.balance,
        model_storage_root(storage),
        info.code_hash,
    )
}

fn model_root(model: &Model) -> B256 {
    reference_root(model.iter().map(|(address, (info, storage))| {
        (
            keccak256(address),
            alloy_rlp::encode(model_account(info, storage)),
        )
    }))
}

fn address(i: u8) -> Address {
    Address::with_last_byte(i)
}

fn change() -> impl Strategy<Value = AccountChange> {
    let info = prop_oneof![
        1 => Just(None),
        4 => (0u64..3, 0u64..1000, any::<bool>()).prop_map(|(nonce, balance, code)| {
            Some(AccountInfo {
                nonce,
                balance: U256::from(balance),
                code_hash: if code { B256::repeat_byte(0xc0) } else { KECCAK_EMPTY },
            })
        }),
    ];
    let write = (0u64..8, prop_oneof![1 => Just(0u64), 3 => 1u64..4])
        .prop_map(|(slot, value)| (U256::from(slot), U256::from(value)));
    (
        0u8..6,
        info,
        prop::bool::weighted(0.15),
        prop::collection::vec(write, 0..6),
    )
        .prop_map(|(i, info, storage_wiped, storage)| AccountChange {
            address: address(i),
            info,
            storage_wiped,
            storage,
        })
}

/// Checks everything readable at `root` against the model.
fn check_reads(store: &MemoryNodeStore, root: B256, model: &Model) {
    for i in 0..6 {
        let address = address(i);
        let account = account_at_root(store, root, &address).expect("account");
        let expected = model
            .get(&address)
            .map(|(info, storage)| model_account(info, storage));
        assert_eq!(account, expected);
        let Some(account) = account else { continue };
        for slot in 0..8u64 {
            let slot = U256::from(slot);
            let value = storage_at_root(store, account.storage_root, slot).expect("slot");
            let expected = model[&address].1.get(&slot).copied().unwrap_or_default();
            assert_eq!(value, expected);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn blocks_match_model(blocks in prop::collection::vec(prop::collection::vec(change(), 0..8), 1..6)) {
        let mut store = MemoryNodeStore::new();
        let mut root = EMPTY_ROOT_HASH;
        let mut model = Model::new();
        for changes in &blocks {
            // Record the block's reads, to replay it from the witness alone.
            let recorder = RecordingReader::new(&store);
            let update = apply_state_changes(&recorder, root, changes, StaleNodes::Ignore).expect("apply");
            let witness = MemoryNodeStore::from_nodes(
                recorder.take_recorded().into_iter().map(|(_, rlp)| rlp),
            );
            prop_assert_eq!(&apply_state_changes(&witness, root, changes, StaleNodes::Ignore).expect("replay"), &update);

            // The order of the changes does not matter (for distinct addresses).
            let mut distinct: Vec<AccountChange> = changes.clone();
            distinct.reverse();
            distinct.sort_by_key(|change| change.address);
            distinct.dedup_by_key(|change| change.address);
            if distinct.len() == changes.len() {
                let reversed: Vec<AccountChange> = changes.iter().rev().cloned().collect();
                let again = apply_state_changes(&store, root, &reversed, StaleNodes::Ignore).expect("apply");
                prop_assert_eq!(again.root, update.root);
            }

            for (hash, rlp) in &update.nodes {
                prop_assert_eq!(*hash, keccak256(rlp));
            }
            store.insert_nodes(&update.nodes);
            apply_model(&mut model, changes);
            let previous = root;
            root = update.root;
            prop_assert_eq!(root, model_root(&model));

            // Reported accounts: one per changed address, in address order, with its new leaf.
            prop_assert_eq!(update.accounts.len(), distinct.len());
            prop_assert!(update.accounts.windows(2).all(|w| w[0].0 < w[1].0));
            for (address, account) in update.accounts.iter().cloned() {
                let expected = model.get(&address).map(|(info, storage)| model_account(info, storage));
                prop_assert_eq!(account, expected);
            }

            check_reads(&store, root, &model);
            // The previous state is still readable at its root.
            let _ = account_at_root(&store, previous, &address(0)).expect("old root");
        }
    }

    #[test]
    fn genesis_matches_model(accounts in prop::collection::vec(change(), 0..12)) {
        let alloc: Vec<GenesisAccount> = accounts
            .iter()
            .map(|change| {
                let info = change.info.unwrap_or_default();
                GenesisAccount {
                    address: change.address,
                    nonce: info.nonce,
                    balance: info.balance,
                    code_hash: info.code_hash,
                    storage: change.storage.clone(),
                }
            })
            .collect();
        // Later entries replace earlier ones for the same address.
        let mut model = Model::new();
        for account in &alloc {
            let info = AccountInfo {
                nonce: account.nonce,
                balance: account.balance,
                code_hash: account.code_hash,
            };
            let storage = account
                .storage
                .iter()
                .fold(BTreeMap::new(), |mut storage, (slot, value)| {
                    if value.is_zero() {
                        storage.remove(slot);
                    } else {
                        storage.insert(*slot, *value);
                    }
                    storage
                });
            model.insert(account.address, (info, storage));
        }
        let genesis = genesis_state(alloc);
        prop_assert_eq!(genesis.root, model_root(&model));
        prop_assert_eq!(genesis.accounts.len(), model.len());
        let mut store = MemoryNodeStore::new();
        store.insert_nodes(&genesis.nodes);
        check_reads(&store, genesis.root, &model);
    }
}

fn info(nonce: u64) -> Option<AccountInfo> {
    Some(AccountInfo {
        nonce,
        ..AccountInfo::default()
    })
}

fn block(
    store: &mut MemoryNodeStore,
    root: B256,
    changes: &[AccountChange],
) -> crate::StateRootUpdate {
    let update = apply_state_changes(&*store, root, changes, StaleNodes::Ignore).expect("apply");
    store.insert_nodes(&update.nodes);
    update
}

#[test]
fn storage_emptied_returns_to_empty_root() {
    let mut store = MemoryNodeStore::new();
    let a = address(1);
    let slots = [
        (U256::from(1), U256::from(10)),
        (U256::from(2), U256::from(20)),
    ];
    let first = block(
        &mut store,
        EMPTY_ROOT_HASH,
        &[AccountChange {
            address: a,
            info: info(1),
            storage_wiped: false,
            storage: slots.to_vec(),
        }],
    );
    let account = account_at_root(&store, first.root, &a)
        .expect("read")
        .expect("exists");
    assert_ne!(account.storage_root, EMPTY_ROOT_HASH);

    let zeroed = slots.iter().map(|(slot, _)| (*slot, U256::ZERO)).collect();
    let second = block(
        &mut store,
        first.root,
        &[AccountChange {
            address: a,
            info: info(2),
            storage_wiped: false,
            storage: zeroed,
        }],
    );
    let account = account_at_root(&store, second.root, &a)
        .expect("read")
        .expect("exists");
    assert_eq!(account.storage_root, EMPTY_ROOT_HASH);
    assert_eq!(second.accounts, vec![(a, Some(account))]);
    // The old storage is still readable at the old root.
    let old = account_at_root(&store, first.root, &a)
        .expect("read")
        .expect("exists");
    assert_eq!(
        storage_at_root(&store, old.storage_root, U256::from(2)).expect("slot"),
        U256::from(20)
    );
}

#[test]
fn wipe_and_removal() {
    let mut store = MemoryNodeStore::new();
    let (a, b) = (address(1), address(2));
    let slot = |s: u64, v: u64| (U256::from(s), U256::from(v));
    let first = block(
        &mut store,
        EMPTY_ROOT_HASH,
        &[
            AccountChange {
                address: a,
                info: info(1),
                storage_wiped: false,
                storage: vec![slot(1, 1), slot(2, 2)],
            },
            AccountChange {
                address: b,
                info: info(1),
                storage_wiped: false,
                storage: vec![slot(1, 1)],
            },
        ],
    );
    // a is re-created with only slot 3; b is destroyed.
    let second = block(
        &mut store,
        first.root,
        &[
            AccountChange {
                address: b,
                info: None,
                storage_wiped: false,
                storage: vec![],
            },
            AccountChange {
                address: a,
                info: info(0),
                storage_wiped: true,
                storage: vec![slot(3, 3)],
            },
        ],
    );
    assert_eq!(
        account_at_root(&store, second.root, &b).expect("read"),
        None
    );
    let account = account_at_root(&store, second.root, &a)
        .expect("read")
        .expect("exists");
    let expected_storage: BTreeMap<U256, U256> = [slot(3, 3)].into_iter().collect();
    assert_eq!(account.storage_root, model_storage_root(&expected_storage));
    assert_eq!(second.accounts[0], (a, Some(account)));
    assert_eq!(second.accounts[1], (b, None));

    // Removing the last account empties the state.
    let third = block(
        &mut store,
        second.root,
        &[AccountChange {
            address: a,
            info: None,
            storage_wiped: false,
            storage: vec![],
        }],
    );
    assert_eq!(third.root, EMPTY_ROOT_HASH);
}

#[test]
fn malformed_account_leaf() {
    // A trie whose leaf for `a` is not an account.
    let a = address(1);
    let (root, store) = super::support::build([(
        keccak256(a),
        alloy_primitives::Bytes::from_static(b"\x01\x02"),
    )]);
    let err = account_at_root(&store, root, &a).expect_err("not an account");
    assert!(matches!(err, TrieError::MalformedAccount { address, .. } if address == a));
    let change = AccountChange {
        address: a,
        info: info(1),
        storage_wiped: false,
        storage: vec![],
    };
    let err = apply_state_changes(&store, root, &[change], StaleNodes::Ignore)
        .expect_err("not an account");
    assert!(matches!(err, TrieError::MalformedAccount { .. }));
}

/// Changes to one address listed several times in a block apply in order, on one storage trie.
#[test]
fn repeated_address_in_one_block() {
    let mut store = MemoryNodeStore::new();
    let a = address(5);
    let slot = |s: u64, v: u64| (U256::from(s), U256::from(v));
    let change = |info, storage_wiped, storage| AccountChange {
        address: a,
        info,
        storage_wiped,
        storage,
    };
    // Written then cleared within the block: the storage never reaches the store.
    let first = block(
        &mut store,
        EMPTY_ROOT_HASH,
        &[
            change(info(0), false, vec![slot(0, 1)]),
            change(info(0), false, vec![slot(0, 0)]),
        ],
    );
    assert_eq!(first.accounts.len(), 1);
    let account = account_at_root(&store, first.root, &a)
        .expect("read")
        .expect("exists");
    assert_eq!(account.storage_root, EMPTY_ROOT_HASH);

    // Built up over three entries, then destroyed and re-created with fresh storage.
    let second = block(
        &mut store,
        first.root,
        &[
            change(info(1), false, vec![slot(1, 1)]),
            change(info(2), false, vec![slot(2, 2)]),
            change(None, false, vec![]),
            change(info(3), false, vec![slot(3, 3)]),
        ],
    );
    let account = account_at_root(&store, second.root, &a)
        .expect("read")
        .expect("exists");
    let expected: BTreeMap<U256, U256> = [slot(3, 3)].into_iter().collect();
    assert_eq!(account, model_account(&info(3).expect("some"), &expected));
    assert_eq!(second.accounts, vec![(a, Some(account))]);
}

/// Every stored node the state at `root` reaches, storage tries included, counted once.
fn reachable(store: &MemoryNodeStore, root: B256, out: &mut std::collections::HashSet<B256>) {
    use crate::raw::{RawChild, RawNode};

    fn walk(
        store: &MemoryNodeStore,
        rlp: &[u8],
        accounts: bool,
        out: &mut std::collections::HashSet<B256>,
    ) {
        let child = |child: RawChild<'_>, out: &mut _| match child {
            RawChild::Empty => {}
            RawChild::Hash(hash) => follow(store, hash, accounts, out),
            RawChild::Inline(rlp) => walk(store, rlp, accounts, out),
        };
        match RawNode::decode(rlp).expect("a valid node") {
            RawNode::Branch { children, .. } => children.into_iter().for_each(|c| child(c, out)),
            RawNode::Extension { child: c, .. } => child(c, out),
            RawNode::Leaf { value, .. } if accounts => {
                let account: TrieAccount = alloy_rlp::decode_exact(value).expect("an account");
                if account.storage_root != EMPTY_ROOT_HASH {
                    follow(store, account.storage_root, false, out);
                }
            }
            RawNode::Leaf { .. } => {}
        }
    }

    fn follow(
        store: &MemoryNodeStore,
        hash: B256,
        accounts: bool,
        out: &mut std::collections::HashSet<B256>,
    ) {
        let rlp = store
            .get(&hash)
            .unwrap_or_else(|| panic!("node {hash} missing"))
            .clone();
        if out.insert(hash) {
            walk(store, &rlp, accounts, out);
        }
    }

    if root != EMPTY_ROOT_HASH {
        follow(store, root, true, out);
    }
}

/// A store that counts the places referring to each node, as a pruning node's does: created
/// nodes add one each, stale entries take one, and a node at zero goes.
#[derive(Default)]
struct CountingStore {
    nodes: MemoryNodeStore,
    counts: std::collections::HashMap<B256, u32>,
}

impl CountingStore {
    fn apply(&mut self, update: &crate::StateRootUpdate) {
        for (hash, rlp) in &update.nodes {
            self.nodes.insert(*hash, rlp.clone());
            *self.counts.entry(*hash).or_default() += 1;
        }
        for hash in &update.stale {
            let count = self.counts.get_mut(hash).expect("a stale node was counted");
            *count -= 1;
            if *count == 0 {
                self.counts.remove(hash);
                self.nodes.remove(hash);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// With every stale node dropped at once (no history kept), the store holds exactly what
    /// the latest state reaches while no storage trie is dropped whole, and always enough to
    /// read it; reporting stale nodes changes nothing else of the update.
    #[test]
    fn stale_nodes_leave_the_live_state(
        blocks in prop::collection::vec(prop::collection::vec(change(), 0..8), 1..8),
        keep_accounts in any::<bool>(),
    ) {
        let mut store = CountingStore::default();
        let mut root = EMPTY_ROOT_HASH;
        let mut model = Model::new();
        let mut leaked = false;
        for changes in &blocks {
            let mut changes = changes.clone();
            if keep_accounts {
                for change in &mut changes {
                    change.info.get_or_insert_with(AccountInfo::default);
                    change.storage_wiped = false;
                }
            }
            leaked |= changes.iter().any(|c| c.info.is_none() || c.storage_wiped);
            let update = apply_state_changes(&store.nodes, root, &changes, StaleNodes::Report).expect("apply");
            let plain = apply_state_changes(&store.nodes, root, &changes, StaleNodes::Ignore).expect("apply");
            prop_assert!(plain.stale.is_empty());
            prop_assert_eq!((&plain.root, &plain.nodes, &plain.accounts), (&update.root, &update.nodes, &update.accounts));
            store.apply(&update);
            apply_model(&mut model, &changes);
            root = update.root;
            check_reads(&store.nodes, root, &model);
            let mut live = std::collections::HashSet::new();
            reachable(&store.nodes, root, &mut live);
            if leaked {
                prop_assert!(store.nodes.len() >= live.len());
            } else {
                prop_assert_eq!(store.nodes.len(), live.len(), "only live nodes are stored");
            }
        }
    }
}
