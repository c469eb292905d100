//! Pruning old state: a full node keeps the trie of its last blocks, an archive node every
//! trie.
//!
//! Trie nodes are content addressed, so one stored node can sit in many places (identical
//! storage tries, a value set and later restored). Each place counts as a reference: a node has
//! one unless `trie_node_refs` says more. A commit adds one reference per node it lists, and
//! writes the list of nodes its block's state stopped referring to (`trie_stale`, from
//! [`keel_trie::StaleNodes::Report`]). Pruning applies those lists oldest first: each entry
//! drops one reference, and a node left with none is deleted.
//!
//! ```text
//!  commit_block(n) ─ trie_nodes += created, refs += 1 each; trie_stale[n] = stale nodes
//!  prune_state(h)  ─ for n = state_from+1 ..= target: refs -= 1 for each of trie_stale[n],
//!                    a node at 0 is deleted; state_from = target
//!  unwind_to(k)    ─ trie_stale[n] dropped for n > k (the nodes they list are live again at k)
//! ```
//!
//! Why this is exact: a node reachable from the root of a block `b ≥ target` was created at
//! some block `≤ b` and not made stale since, so its count (created so far, less stale entries
//! applied up to `target`) stays at least one. The states of blocks `≥ target` stay whole; the
//! states before it lose the nodes only they held. What unwinding takes back off leaks (the
//! unwound blocks' nodes keep their count): rare, and never a loss.
//!
//! The target is the oldest of: the block `history` blocks below the head; the oldest block the
//! chain can still be unwound to (the block below the oldest change set: an L1 reorganisation
//! or revert unwinds the flat state there and builds on that block's trie); and, on a node that
//! reads L1, the last block of the last batch L1 verified: a batch L1 has not verified may still
//! have to be proven, and a followed batch's prover input re-executes its blocks on their
//! parents' state (`keel_sequencer::followed_prover_input`; a follower drops change sets once a
//! commit is final, before it is verified). A batch the node sealed itself needs no old state:
//! its blocks' witnesses were recorded when they were built.

use alloy_primitives::B256;
use redb::{ReadableTable, WriteTransaction};
use tracing::debug;

use crate::{Snapshot, StateHistory, Storage, StorageResult, storage::read_head, tables::*};

/// What one [`Storage::prune_state`] call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrunedState {
    /// The oldest block whose state is kept whole, after the call.
    pub state_from: u64,
    /// Blocks whose stale lists were applied.
    pub blocks: u64,
    /// References dropped (entries of those lists).
    pub references: u64,
    /// Trie nodes deleted (their last reference went).
    pub nodes: u64,
}

/// Writes block `number`'s stale list (see the module docs); nothing for an empty one.
pub(crate) fn write_stale_nodes(
    txn: &WriteTransaction,
    number: u64,
    stale: &[B256],
) -> StorageResult<()> {
    if stale.is_empty() {
        return Ok(());
    }
    let mut sorted = stale.to_vec();
    sorted.sort_unstable();
    let bytes: Vec<u8> = sorted.iter().flat_map(|hash| hash.0).collect();
    txn.open_table(TRIE_STALE)?
        .insert(number, bytes.as_slice())?;
    Ok(())
}

/// Drops the stale lists of blocks after `target`, which an unwind takes off the chain.
pub(crate) fn drop_stale_after(txn: &WriteTransaction, target: u64) -> StorageResult<()> {
    txn.open_table(TRIE_STALE)?
        .retain_in(target + 1.., |_, _| false)?;
    Ok(())
}

impl Storage {
    /// Prunes the state of blocks older than the [`StateHistory`] kept (see the module docs for what
    /// else holds the target back), applying at most `max_references` stale entries in this
    /// write transaction (at least one block's list) so that block commits wait little; call
    /// again until [`PrunedState::blocks`] is zero.
    ///
    /// An archive node ([`StateHistory::Archive`]) prunes nothing.
    pub fn prune_state(&self, max_references: usize) -> StorageResult<PrunedState> {
        let StateHistory::Full { blocks: history } = self.state_history() else {
            return Ok(PrunedState {
                state_from: self.snapshot()?.state_from()?,
                ..PrunedState::default()
            });
        };
        let txn = self.begin_write()?;
        let head = read_head(&txn)?;
        let pruned = {
            let mut meta = txn.open_table(META)?;
            let from = meta.get(META_STATE_FROM)?.map_or(0, |v| v.value());
            let unwindable_from = match txn.open_table(BLOCK_CHANGESETS)?.first()? {
                Some((first, _)) => first.value().saturating_sub(1),
                None => head,
            };
            let verified_to = match meta.get(META_L1_VERIFIED_BATCH)?.map(|v| v.value()) {
                None => head,
                Some(0) => 0,
                Some(verified) => match txn.open_table(BATCHES)?.get(verified)? {
                    Some(batch) => batch.value().decode()?.last_block,
                    None => 0,
                },
            };
            let target = head
                .saturating_sub(history)
                .min(unwindable_from)
                .min(verified_to);
            if target <= from {
                return Ok(PrunedState {
                    state_from: from,
                    ..PrunedState::default()
                });
            }

            let mut stale_lists = txn.open_table(TRIE_STALE)?;
            let mut hashes: Vec<[u8; 32]> = Vec::new();
            let mut reached = from;
            let mut blocks = 0;
            for entry in stale_lists.range(from + 1..=target)? {
                let (number, list) = entry?;
                if blocks > 0 && hashes.len() + list.value().len() / 32 > max_references {
                    break;
                }
                hashes.extend_from_slice(list.value().as_chunks::<32>().0);
                reached = number.value();
                blocks += 1;
            }
            // Every list up to the target applied: blocks without one made nothing stale.
            if stale_lists.range(reached + 1..=target)?.next().is_none() {
                reached = target;
            }
            stale_lists.retain_in(..=reached, |_, _| false)?;

            hashes.sort_unstable();
            let mut nodes = txn.open_table(TRIE_NODES)?;
            let mut refs = txn.open_table(TRIE_NODE_REFS)?;
            let mut deleted = 0;
            for hash in &hashes {
                let count = refs.get(hash)?.map(|count| count.value());
                match count {
                    Some(count) if count > 2 => {
                        refs.insert(hash, count - 1)?;
                    }
                    Some(_) => {
                        refs.remove(hash)?;
                    }
                    None => {
                        if nodes.remove(hash)?.is_some() {
                            deleted += 1;
                        }
                    }
                }
            }
            meta.insert(META_STATE_FROM, reached)?;
            PrunedState {
                state_from: reached,
                blocks,
                references: hashes.len() as u64,
                nodes: deleted,
            }
        };
        txn.commit()?;
        debug!(target: "keel::storage", state_from = pruned.state_from, blocks = pruned.blocks, references = pruned.references, nodes = pruned.nodes, "pruned old state");
        Ok(pruned)
    }
}

impl Snapshot {
    /// The oldest block whose state is still whole: every later one's is too.
    pub fn state_from(&self) -> StorageResult<u64> {
        Ok(self.counter(META_STATE_FROM)?.unwrap_or_default())
    }
}
