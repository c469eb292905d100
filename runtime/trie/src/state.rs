//! The Ethereum state layer: the account trie (keyed by `keccak(address)`, holding RLP
//! [`TrieAccount`]s) and one storage trie per account (keyed by `keccak(slot)`, holding RLP
//! values), updated together from the changes a block made.

use alloy_primitives::{Address, B256, U256, keccak256};
use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY, TrieAccount};

use crate::{
    Trie, TrieNodes,
    error::{TrieError, TrieResult},
    lookup::get_at_root,
    store::{MemoryNodeStore, NodeReader},
};

/// An account's fields other than its storage root, as execution leaves them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountInfo {
    /// The nonce.
    pub nonce: u64,
    /// The balance in wei.
    pub balance: U256,
    /// The keccak-256 of the account's code ([`KECCAK_EMPTY`] for none).
    pub code_hash: B256,
}

impl Default for AccountInfo {
    fn default() -> Self {
        Self {
            nonce: 0,
            balance: U256::ZERO,
            code_hash: KECCAK_EMPTY,
        }
    }
}

/// What happened to one account in a block, as the executor reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountChange {
    /// The account.
    pub address: Address,
    /// The account's new fields; `None` if it no longer exists (destroyed, or touched and
    /// empty per EIP-161): its leaf and all its storage go.
    pub info: Option<AccountInfo>,
    /// The storage was wiped before `storage` applies (self-destructed and re-created in one
    /// block, or created over an existing address).
    pub storage_wiped: bool,
    /// Storage writes, applied in order: (slot, value); a zero value deletes the slot.
    pub storage: Vec<(U256, U256)>,
}

/// The result of applying a block's changes to the state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateRootUpdate {
    /// The new state root.
    pub root: B256,
    /// Every node created: account trie and storage tries together.
    pub nodes: TrieNodes,
    /// The new leaf of every changed account, in address order; `None` if it was removed.
    pub accounts: Vec<(Address, Option<TrieAccount>)>,
    /// The stored nodes the new state no longer refers to, one entry per place each left
    /// (see [`Trie`]'s "Stale nodes"); empty unless asked for ([`StaleNodes::Report`]).
    ///
    /// A storage trie dropped whole (its account removed or its storage wiped) reports only its
    /// root: finding the rest would mean reading the whole trie, which a hostile contract can
    /// make large. The rest stays stored, unreferenced (a leak, never a loss).
    pub stale: Vec<B256>,
}

/// Whether [`apply_state_changes`] finds the stored nodes the update made stale: what a node
/// that prunes old state needs, and a stateless verifier does not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StaleNodes {
    /// Leave [`StateRootUpdate::stale`] empty.
    #[default]
    Ignore,
    /// Fill it.
    Report,
}

/// One account of a genesis alloc.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisAccount {
    /// The account.
    pub address: Address,
    /// The nonce.
    pub nonce: u64,
    /// The balance in wei.
    pub balance: U256,
    /// The keccak-256 of the account's code ([`KECCAK_EMPTY`] for none); the code itself is
    /// the storage layer's business.
    pub code_hash: B256,
    /// The initial storage: (slot, value); zero values are skipped.
    pub storage: Vec<(U256, U256)>,
}

impl GenesisAccount {
    /// An account with only a balance.
    pub fn with_balance(address: Address, balance: U256) -> Self {
        Self {
            address,
            nonce: 0,
            balance,
            code_hash: KECCAK_EMPTY,
            storage: Vec::new(),
        }
    }
}

/// The account trie key of `address`: its keccak-256.
pub fn account_key(address: &Address) -> B256 {
    keccak256(address)
}

/// The storage trie key of `slot`: the keccak-256 of its 32-byte big-endian form.
pub fn storage_key(slot: &U256) -> B256 {
    keccak256(slot.to_be_bytes::<32>())
}

/// Applies a block's account changes to the state with root `pre_root`.
///
/// For each account (in address order, so the result does not depend on the input's order):
/// reads its current leaf to learn its storage root, applies the storage writes to its storage
/// trie (zero deletes), then writes the new leaf, or removes it when the account is gone. An
/// address listed more than once has its changes applied in input order and is reported once.
pub fn apply_state_changes(
    store: &(impl NodeReader + ?Sized),
    pre_root: B256,
    changes: &[AccountChange],
    stale: StaleNodes,
) -> TrieResult<StateRootUpdate> {
    let mut order: Vec<&AccountChange> = changes.iter().collect();
    order.sort_by_key(|change| change.address);

    let mut nodes = TrieNodes::new();
    let mut stale_nodes = Vec::new();
    let mut update = AccountUpdate {
        nodes: &mut nodes,
        stale: (stale == StaleNodes::Report).then_some(&mut stale_nodes),
    };
    let mut accounts_trie = update.trie(pre_root);
    let mut accounts = Vec::with_capacity(order.len());
    for group in order.chunk_by(|a, b| a.address == b.address) {
        let address = group[0].address;
        let key = account_key(&address);
        let account = apply_account(store, &mut accounts_trie, &key, group, &mut update)?;
        match &account {
            Some(account) => {
                accounts_trie.insert(store, key.as_slice(), alloy_rlp::encode(account).into())?
            }
            None => accounts_trie.remove(store, key.as_slice())?,
        }
        accounts.push((address, account));
    }
    drop(update);
    let (root, account_nodes) = accounts_trie.commit();
    nodes.extend(account_nodes);
    stale_nodes.extend(accounts_trie.take_stale());
    Ok(StateRootUpdate {
        root,
        nodes,
        accounts,
        stale: stale_nodes,
    })
}

/// Where [`apply_account`] puts what it finds.
struct AccountUpdate<'a> {
    /// The nodes created.
    nodes: &'a mut TrieNodes,
    /// The stale nodes, if they are reported.
    stale: Option<&'a mut Vec<B256>>,
}

impl AccountUpdate<'_> {
    /// The trie with root `root`, reporting its stale nodes if they are asked for.
    fn trie(&self, root: B256) -> Trie {
        match self.stale {
            Some(_) => Trie::reporting_stale(root),
            None => Trie::new(root),
        }
    }
}

/// Applies the changes to one account (all for the same address, in order), adding its new
/// storage nodes (and stale ones) to `update`; returns the account's new leaf, `None` if it is
/// gone.
fn apply_account(
    store: &(impl NodeReader + ?Sized),
    accounts_trie: &mut Trie,
    key: &B256,
    changes: &[&AccountChange],
    update: &mut AccountUpdate<'_>,
) -> TrieResult<Option<TrieAccount>> {
    let Some(first) = changes.first() else {
        return Ok(None);
    };
    // The storage root before the changes matters if the first change keeps the storage, or
    // if stale nodes are reported (a dropped storage trie's root goes stale).
    let mut storage_root = EMPTY_ROOT_HASH;
    if (update.stale.is_some() || (first.info.is_some() && !first.storage_wiped))
        && let Some(leaf) = accounts_trie.get(store, key.as_slice())?
    {
        storage_root = decode_account(&first.address, &leaf)?.storage_root;
    }
    let stored_root = storage_root;
    let mut storage: Option<Trie> = None;
    let mut dropped = false;
    let mut info = None;
    for change in changes {
        info = change.info;
        if info.is_none() || change.storage_wiped {
            dropped = true;
            storage_root = EMPTY_ROOT_HASH;
            storage = None;
        }
        if info.is_none() || change.storage.is_empty() {
            continue;
        }
        let trie = storage.get_or_insert_with(|| update.trie(storage_root));
        for (slot, value) in &change.storage {
            let slot_key = storage_key(slot);
            if value.is_zero() {
                trie.remove(store, slot_key.as_slice())?;
            } else {
                trie.insert(store, slot_key.as_slice(), alloy_rlp::encode(value).into())?;
            }
        }
    }
    if let Some(stale) = update.stale.as_deref_mut()
        && dropped
        && stored_root != EMPTY_ROOT_HASH
    {
        stale.push(stored_root);
    }
    let Some(info) = info else { return Ok(None) };
    if let Some(mut trie) = storage {
        let (root, storage_nodes) = trie.commit();
        update.nodes.extend(storage_nodes);
        if let Some(stale) = update.stale.as_deref_mut() {
            stale.extend(trie.take_stale());
        }
        storage_root = root;
    }
    Ok(Some(TrieAccount::new(
        info.nonce,
        info.balance,
        storage_root,
        info.code_hash,
    )))
}

/// Builds the state of a genesis alloc from the empty state, through [`apply_state_changes`].
/// If an address is listed twice, the later entry wins.
pub fn genesis_state(accounts: impl IntoIterator<Item = GenesisAccount>) -> StateRootUpdate {
    let mut accounts: Vec<GenesisAccount> = accounts.into_iter().collect();
    // Keep the last entry per address: reverse, stable sort, keep the first of each run.
    accounts.reverse();
    accounts.sort_by_key(|account| account.address);
    accounts.dedup_by_key(|account| account.address);
    let changes: Vec<AccountChange> = accounts
        .into_iter()
        .map(|account| AccountChange {
            address: account.address,
            info: Some(AccountInfo {
                nonce: account.nonce,
                balance: account.balance,
                code_hash: account.code_hash,
            }),
            storage_wiped: false,
            storage: account.storage,
        })
        .collect();
    // Starting from the empty root, every node lives in memory and the store is never read;
    // every leaf decoded is one just encoded. Nothing here can fail.
    apply_state_changes(
        &MemoryNodeStore::new(),
        EMPTY_ROOT_HASH,
        &changes,
        StaleNodes::Ignore,
    )
    .unwrap_or_else(|err| unreachable!("genesis state never reads the node store: {err}"))
}

/// The account `address` in the state with root `root`, if it exists.
pub fn account_at_root(
    store: &(impl NodeReader + ?Sized),
    root: B256,
    address: &Address,
) -> TrieResult<Option<TrieAccount>> {
    get_at_root(store, root, account_key(address).as_slice())?
        .map(|leaf| decode_account(address, &leaf))
        .transpose()
}

/// The value of `slot` in the storage trie with root `storage_root` (zero if unset).
pub fn storage_at_root(
    store: &(impl NodeReader + ?Sized),
    storage_root: B256,
    slot: U256,
) -> TrieResult<U256> {
    let Some(leaf) = get_at_root(store, storage_root, storage_key(&slot).as_slice())? else {
        return Ok(U256::ZERO);
    };
    alloy_rlp::decode_exact(&leaf).map_err(|source| TrieError::MalformedStorage { slot, source })
}

/// Decodes an account leaf, which must be exactly one RLP `TrieAccount`.
fn decode_account(address: &Address, leaf: &[u8]) -> TrieResult<TrieAccount> {
    alloy_rlp::decode_exact(leaf).map_err(|source| TrieError::MalformedAccount {
        address: *address,
        source,
    })
}
