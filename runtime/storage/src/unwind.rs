//! Taking blocks back off the chain: what each block overwrote in the flat state (its change
//! set, written with the block), and [`Storage::unwind_to`], which puts the state of an earlier
//! block back.
//!
//! A follower needs it when L1 reorganises a commit it already applied, or when it restarts
//! with half a batch applied. Pruning never takes the trie of a block that can still be
//! unwound to (see `pruning.rs`), so only the flat tables (accounts, storage) and the chain
//! tables need restoring: the state root of the kept head still points at a complete trie.
//!
//! ```text
//!  commit_block(n) ─ block_changesets[n] = the accounts and slots n overwrote, as they were
//!  unwind_to(k)    ─ for n = head ..= k+1: restore n's change set (newest first), drop block n
//!                    and every batch that reaches past k
//!  prune_changesets_to(k) ─ change sets of blocks ≤ k go (k can then never be unwound):
//!                           a follower prunes once L1 has finalized the commit
//! ```

use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256};
use alloy_rlp::{RlpDecodable, RlpEncodable};
use keel_primitives::{KeelTx, TrieAccount};
use redb::{ReadableTable, WriteTransaction};
use tracing::info;

use crate::{
    Storage, StorageError, StorageResult,
    codec::{StoredAccount, StoredBody},
    pieces::{read_pieces_from, remove_pieces, take_pieces},
    storage::read_head,
    tables::*,
    value::Encoded,
};

/// What one block overwrote in the flat state, in the order it wrote: applied newest first,
/// it restores the state before the block.
#[derive(Debug, Clone, Default, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct ChangeSet {
    /// Accounts as they were.
    pub accounts: Vec<PriorAccount>,
    /// Storage slots as they were.
    pub slots: Vec<PriorSlot>,
}

/// An account before a block wrote it.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct PriorAccount {
    /// The address.
    pub address: Address,
    /// Whether it existed.
    pub existed: bool,
    /// Its value, if it existed (default otherwise).
    pub account: TrieAccount,
}

/// A storage slot before a block wrote it.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct PriorSlot {
    /// The account.
    pub address: Address,
    /// The slot.
    pub slot: B256,
    /// Its value (zero: absent).
    pub value: B256,
}

/// The own transactions (EIP-2718 bytes, in chain order) and the number of L1 messages of the
/// blocks above `target`.
fn transactions_above(txn: &WriteTransaction, target: u64) -> StorageResult<(Vec<Vec<u8>>, u64)> {
    let mut transactions = Vec::new();
    let mut l1_messages = 0;
    let bodies = txn.open_table(BODIES)?;
    for (_, body) in read_pieces_from(&bodies, target + 1)? {
        let body = Encoded::<StoredBody>::decode_bytes(&body)?;
        for tx in body.transactions {
            if tx.as_deposit().is_some() {
                l1_messages += 1;
            } else {
                transactions.push(tx.encoded_2718());
            }
        }
    }
    Ok((transactions, l1_messages))
}

/// What [`Storage::revert_to`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reverted {
    /// The new head.
    pub head: u64,
    /// How many blocks went.
    pub blocks: u64,
    /// How many user transactions those blocks held.
    pub transactions: usize,
    /// How many of them wait for the mempool (all, unless they were dropped).
    pub requeued: usize,
    /// How many L1 messages they included (pending again).
    pub l1_messages: u64,
}

impl ChangeSet {
    pub(crate) fn account(&mut self, address: [u8; 20], prior: Option<TrieAccount>) {
        self.accounts.push(PriorAccount {
            address: Address::from(address),
            existed: prior.is_some(),
            account: prior.unwrap_or_default(),
        });
    }

    pub(crate) fn slot(&mut self, address: [u8; 20], slot: [u8; 32], prior: Option<[u8; 32]>) {
        self.slots.push(PriorSlot {
            address: Address::from(address),
            slot: B256::from(slot),
            value: B256::from(prior.unwrap_or_default()),
        });
    }
}

impl Storage {
    /// Takes every block above `target` off the chain in one write transaction: the flat state
    /// becomes block `target`'s again, the blocks, receipts and transaction index entries above
    /// it go, and so does every batch that reaches past it (with its frame, L1 commit record,
    /// prover input, lease and proof). Returns how many blocks went. A block whose change set
    /// was pruned cannot be unwound: [`StorageError::CannotUnwind`].
    pub fn unwind_to(&self, target: u64) -> StorageResult<u64> {
        let txn = self.begin_write()?;
        let (head, unwound) = unwind_in(&txn, target)?;
        txn.commit()?;
        if unwound > 0 {
            info!(target: "keel::storage", from = head, to = target, "unwound");
        }
        Ok(unwound)
    }

    /// The sequencer's side of an L1 revert (`OnChainProposer.revertBatches`): unwinds to block
    /// `target` (the last block of the last batch L1 kept) like [`Storage::unwind_to`], and in
    /// the same write transaction keeps the unwound blocks' own transactions (not their L1
    /// messages, which are pending again and included anew) to be offered to the mempool at the
    /// next start ([`Storage::take_requeued`]), and records that the chain has applied L1's
    /// revert number `reverts`.
    pub fn revert_to(&self, target: u64, reverts: u64, requeue: bool) -> StorageResult<Reverted> {
        let txn = self.begin_write()?;
        let (transactions, l1_messages) = transactions_above(&txn, target)?;
        let (head, blocks) = unwind_in(&txn, target)?;
        let requeued = if requeue { transactions.len() } else { 0 };
        {
            let mut queue = txn.open_table(REQUEUED_TXS)?;
            let first = queue.last()?.map_or(0, |(key, _)| key.value() + 1);
            for (key, raw) in (first..).zip(transactions.iter().take(requeued)) {
                queue.insert(key, raw.as_slice())?;
            }
            txn.open_table(META)?.insert(META_L1_REVERTS, reverts)?;
        }
        txn.commit()?;
        info!(target: "keel::storage", from = head, to = target, reverts, requeued, l1_messages, "reverted");
        Ok(Reverted {
            head: target,
            blocks,
            transactions: transactions.len(),
            requeued,
            l1_messages,
        })
    }

    /// A based node's end of turn: unwinds to block `target` like [`Storage::unwind_to`] (the
    /// blocks it built but could not commit in its turn) and returns those blocks' own
    /// transactions (EIP-2718 bytes, in chain order; their L1 messages are pending again), for
    /// the node to hand to the next leader.
    pub fn unwind_taking_transactions(&self, target: u64) -> StorageResult<Vec<Vec<u8>>> {
        let txn = self.begin_write()?;
        let (transactions, _) = transactions_above(&txn, target)?;
        let (head, blocks) = unwind_in(&txn, target)?;
        txn.commit()?;
        if blocks > 0 {
            info!(target: "keel::storage", from = head, to = target, transactions = transactions.len(), "unwound blocks that were never committed");
        }
        Ok(transactions)
    }

    /// Takes the transactions [`Storage::revert_to`] kept, oldest first, out of the database:
    /// the node offers them to its mempool at start (one that no longer applies is refused
    /// there, like any other).
    pub fn take_requeued(&self) -> StorageResult<Vec<Vec<u8>>> {
        let txn = self.begin_write()?;
        let mut taken = Vec::new();
        {
            let mut queue = txn.open_table(REQUEUED_TXS)?;
            while let Some((_, raw)) = queue.pop_first()? {
                taken.push(raw.value().to_vec());
            }
        }
        txn.commit()?;
        Ok(taken)
    }

    /// Drops the change sets of blocks up to `last`: they can no longer be unwound. Called once
    /// those blocks can no longer be reorganised away (their batch's commit final on L1).
    pub fn prune_changesets_to(&self, last: u64) -> StorageResult<()> {
        let txn = self.begin_write()?;
        {
            let mut changesets = txn.open_table(BLOCK_CHANGESETS)?;
            changesets.retain_in(..=last, |_, _| false)?;
        }
        txn.commit()?;
        Ok(())
    }
}

/// Unwinds to block `target` inside `txn`; returns the head before and how many blocks went.
fn unwind_in(txn: &WriteTransaction, target: u64) -> StorageResult<(u64, u64)> {
    let head = read_head(txn)?;
    if target >= head {
        return Ok((head, 0));
    }
    for number in (target + 1..=head).rev() {
        unwind_block(txn, number)?;
    }
    drop_batches_after(txn, target)?;
    crate::pruning::drop_stale_after(txn, target)?;
    {
        let mut history = txn.open_table(PLUGIN_HISTORY)?;
        let later: Vec<(u8, u64)> = history
            .iter()?
            .filter_map(|entry| entry.ok().map(|(key, _)| key.value()))
            .filter(|(_, first_block)| *first_block > target)
            .collect();
        for key in later {
            history.remove(key)?;
        }
    }
    txn.open_table(META)?.insert(META_HEAD, target)?;
    Ok((head, head - target))
}

fn unwind_block(txn: &WriteTransaction, number: u64) -> StorageResult<()> {
    let changeset = txn
        .open_table(BLOCK_CHANGESETS)?
        .remove(number)?
        .map(|v| v.value().decode())
        .transpose()?
        .ok_or(StorageError::CannotUnwind { block: number })?;
    {
        let mut storage = txn.open_table(STORAGE)?;
        for prior in changeset.slots.iter().rev() {
            let key = (prior.address.0.0, prior.slot.0);
            if prior.value.is_zero() {
                storage.remove(key)?;
            } else {
                storage.insert(key, prior.value.0)?;
            }
        }
    }
    {
        let mut accounts = txn.open_table(ACCOUNTS)?;
        for prior in changeset.accounts.iter().rev() {
            if prior.existed {
                let account = StoredAccount::from(&prior.account);
                accounts.insert(prior.address.0.0, Encoded::new(&account))?;
            } else {
                accounts.remove(prior.address.0.0)?;
            }
        }
    }
    if let Some(hash) = txn.open_table(CANONICAL)?.remove(number)? {
        txn.open_table(BLOCK_NUMBERS)?.remove(hash.value())?;
    }
    txn.open_table(HEADERS)?.remove(number)?;
    let body = take_pieces(&mut txn.open_table(BODIES)?, number)?
        .map(|body| Encoded::<StoredBody>::decode_bytes(&body))
        .transpose()?;
    if let Some(body) = body {
        let mut lookup = txn.open_table(TX_LOOKUP)?;
        for tx in &body.transactions {
            lookup.remove(tx.hash().0)?;
        }
        let deposits = body
            .transactions
            .iter()
            .filter(|tx| KeelTx::as_deposit(tx).is_some())
            .count() as u64;
        if deposits > 0 {
            let mut meta = txn.open_table(META)?;
            let next = meta.get(META_NEXT_L2_DEPOSIT)?.map_or(0, |v| v.value());
            meta.insert(META_NEXT_L2_DEPOSIT, next.saturating_sub(deposits))?;
        }
    }
    remove_pieces(&mut txn.open_table(RECEIPTS)?, number)?;
    txn.open_table(BLOCK_DATA_FEES)?.remove(number)?;
    txn.open_table(BLOCK_PLUGINS)?.remove(number)?;
    txn.open_table(BLOCK_WITNESSES)?.remove(number)?;
    Ok(())
}

/// Drops every batch whose last block is above `target`, and caps the recorded L1 progress at
/// the last batch kept.
fn drop_batches_after(txn: &WriteTransaction, target: u64) -> StorageResult<()> {
    let mut batches = txn.open_table(BATCHES)?;
    let mut dropped = Vec::new();
    let mut kept = 0;
    for entry in batches.iter()?.rev() {
        let (number, batch) = entry?;
        let batch = batch.value().decode()?;
        if batch.last_block <= target {
            kept = number.value();
            break;
        }
        dropped.push(number.value());
    }
    for number in dropped {
        batches.remove(number)?;
        remove_pieces(&mut txn.open_table(BATCH_FRAMES)?, number)?;
        txn.open_table(BATCH_COMMITS)?.remove(number)?;
        remove_pieces(&mut txn.open_table(PROVER_INPUTS)?, number)?;
        txn.open_table(LEASES)?.remove(number)?;
        txn.open_table(PROOFS)?.remove(number)?;
    }
    // Closed batches over unwound blocks are gone with them.
    let mut closed = txn.open_table(CLOSED_BATCHES)?;
    let mut over_unwound = Vec::new();
    for entry in closed.iter()? {
        let (number, blocks) = entry?;
        if blocks.value().1 > target {
            over_unwound.push(number.value());
        }
    }
    for number in over_unwound {
        closed.remove(number)?;
    }
    drop(closed);
    let mut meta = txn.open_table(META)?;
    for key in [META_L1_COMMITTED_BATCH, META_L1_VERIFIED_BATCH] {
        let value = meta.get(key)?.map(|v| v.value());
        if value.is_some_and(|value| value > kept) {
            meta.insert(key, kept)?;
        }
    }
    Ok(())
}
