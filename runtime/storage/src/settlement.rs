//! How far L1 has settled the chain: the last batch `OnChainProposer` committed and the last it
//! verified, as the node's settler last read them from L1.
//!
//! These are a cache of L1's word, never the source of truth: the settler reads the contract
//! before every transaction it sends, so a stale value here can delay an answer (RPC's `safe`
//! and `finalized` tags, a withdrawal proof's status) but never cause a duplicate or a skipped
//! commit.

use alloy_primitives::B256;
use alloy_rlp::{RlpDecodable, RlpEncodable};
use keel_primitives::Batch;
use redb::ReadableTable;

use crate::{
    Snapshot, Storage, StorageResult,
    batches::insert_next_batch,
    pieces::remove_pieces_to,
    tables::{
        BATCH_COMMITS, BATCH_FRAMES, META, META_L1_COMMITTED_BATCH, META_L1_REVERTS,
        META_L1_VERIFIED_BATCH,
    },
    value::Encoded,
};

/// Where L1 took a batch's commit: a follower checks the block is still L1's before trusting
/// what it applied from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct BatchCommit {
    /// The batch.
    pub batch: u64,
    /// The L1 block of the commit transaction.
    pub l1_block: u64,
    /// That block's hash.
    pub l1_block_hash: B256,
    /// The commit transaction.
    pub l1_tx: B256,
}

/// How far verification on L1 trails the chain ([`Snapshot::settlement_lag`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettlementLag {
    /// Blocks after the last block of the last batch L1 verified.
    pub blocks: u64,
    /// Age of the oldest sealed batch L1 has not verified, seconds (0 when none waits).
    pub seconds: u64,
}

/// The batches L1 has committed and verified.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct L1Progress {
    /// The last batch `commitBatch` accepted (0: none).
    pub committed: u64,
    /// The last batch `verifyBatch` accepted (0: none); never above `committed`.
    pub verified: u64,
}

impl Storage {
    /// Records what the settler read from L1.
    pub fn set_l1_progress(&self, progress: L1Progress) -> StorageResult<()> {
        let txn = self.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            meta.insert(META_L1_COMMITTED_BATCH, progress.committed)?;
            meta.insert(META_L1_VERIFIED_BATCH, progress.verified)?;
        }
        txn.commit()?;
        Ok(())
    }
}

impl Storage {
    /// Records a batch a follower rebuilt from L1 and checked against its commitment: the
    /// batch, its frame and where L1 took its commit, in one write transaction (its blocks are
    /// already stored). Batches are recorded in order, each right after the previous one.
    pub fn record_followed_batch(
        &self,
        batch: &Batch,
        frame: &[u8],
        commit: &BatchCommit,
    ) -> StorageResult<()> {
        let txn = self.begin_write()?;
        {
            insert_next_batch(&txn, batch, frame)?;
            txn.open_table(BATCH_COMMITS)?
                .insert(batch.number, Encoded::new(commit))?;
            let mut meta = txn.open_table(META)?;
            meta.insert(META_L1_COMMITTED_BATCH, batch.number)?;
        }
        txn.commit()?;
        Ok(())
    }
}

impl Storage {
    /// Records where L1 took the commits of batches this node sealed itself (the settler, from
    /// the commit's receipt): a based node follows other leaders from there, and checks them
    /// as it checks the batches it followed.
    pub fn record_batch_commits(&self, commits: &[BatchCommit]) -> StorageResult<()> {
        let txn = self.begin_write()?;
        {
            let mut table = txn.open_table(BATCH_COMMITS)?;
            for commit in commits {
                table.insert(commit.batch, Encoded::new(commit))?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Drops the payload frames of batches up to `last` (L1 verified them) whose commit L1
    /// took at or below its finalized block `finalized`: a final commit is never taken back, so
    /// its blobs are never posted again. (A verified commit that is not final can be: an L1
    /// reorganisation undoes the verification too, and the settler posts the blobs again.)
    /// Returns how many frames went.
    pub fn prune_frames_to(&self, last: u64, finalized: u64) -> StorageResult<usize> {
        let txn = self.begin_write()?;
        let removed = {
            let mut through = None;
            // Commits land in batch order: a final one makes every earlier one final.
            for entry in txn.open_table(BATCH_COMMITS)?.range(..=last)? {
                let (number, commit) = entry?;
                if commit.value().decode()?.l1_block > finalized {
                    break;
                }
                through = Some(number.value());
            }
            match through {
                Some(through) => remove_pieces_to(&mut txn.open_table(BATCH_FRAMES)?, through)?,
                None => 0,
            }
        };
        txn.commit()?;
        Ok(removed)
    }
}

impl Snapshot {
    /// Where L1 took batch `number`'s commit: for a batch a follower recorded, or one this
    /// node committed.
    pub fn batch_commit(&self, number: u64) -> StorageResult<Option<BatchCommit>> {
        self.batch_commits
            .get(number)?
            .map(|v| v.value().decode())
            .transpose()
    }

    /// What the settler last read from L1; `None` on a node that has never settled (no
    /// `[l1]`, or L1 not reached yet).
    pub fn l1_progress(&self) -> StorageResult<Option<L1Progress>> {
        let committed = self.counter(META_L1_COMMITTED_BATCH)?;
        let verified = self.counter(META_L1_VERIFIED_BATCH)?;
        if committed.is_none() && verified.is_none() {
            return Ok(None);
        }
        Ok(Some(L1Progress {
            committed: committed.unwrap_or(0),
            verified: verified.unwrap_or(0),
        }))
    }

    /// How many of L1's batch reverts this chain has applied (`keel revert`); 0 if none.
    pub fn l1_reverts(&self) -> StorageResult<u64> {
        Ok(self.counter(META_L1_REVERTS)?.unwrap_or(0))
    }

    /// How far verification on L1 trails the chain when L1 has verified batches up to
    /// `verified`, at `now_ms`: what the settler's gauges and the status page show.
    pub fn settlement_lag(&self, verified: u64, now_ms: u64) -> StorageResult<SettlementLag> {
        Ok(SettlementLag {
            blocks: self
                .head_number()?
                .saturating_sub(self.batch_last_block(verified)?),
            seconds: self.batch(verified + 1)?.map_or(0, |oldest| {
                now_ms.saturating_sub(oldest.sealed_at_ms) / 1000
            }),
        })
    }

    /// The last block of batch `number` (block 0 for batch 0, the genesis).
    pub fn batch_last_block(&self, number: u64) -> StorageResult<u64> {
        if number == 0 {
            return Ok(0);
        }
        Ok(self.batch(number)?.map_or(0, |batch| batch.last_block))
    }

    /// The sealed batch that holds block `number`, if any (batches cover consecutive ranges
    /// from block 1, so a binary search over their numbers finds it).
    pub fn batch_containing(&self, number: u64) -> StorageResult<Option<Batch>> {
        let Some(last) = self.last_batch()? else {
            return Ok(None);
        };
        if number == 0 || number > last.last_block {
            return Ok(None);
        }
        let (mut low, mut high) = (1, last.number);
        while low <= high {
            let mid = low + (high - low) / 2;
            let Some(batch) = self.batch(mid)? else {
                return Ok(None);
            };
            if number < batch.first_block {
                high = mid - 1;
            } else if number > batch.last_block {
                low = mid + 1;
            } else {
                return Ok(Some(batch));
            }
        }
        Ok(None)
    }
}
