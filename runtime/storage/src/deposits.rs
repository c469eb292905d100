//! L1 deposits between the watcher that sees them and the block that includes them.
//!
//! ```text
//!  record_deposits ─ l1_deposits[id], meta l1_scanned_to,   (one transaction per L1 scan)
//!                    l1_checkpoints[scanned] = its hash
//!  rewind_l1_scan  ─ back to the fork of an L1 reorganisation (pending deposits above it go)
//!  commit_block    ─ meta next_l2_deposit                    (with the block that includes them)
//! ```
//!
//! The watcher writes each deposit it sees together with how far it has scanned, so a restart
//! resumes where it stopped and a deposit is never lost nor recorded twice. Deposits are
//! included strictly in queue order: the next one to include is `next_l2_deposit`.

use alloy_primitives::B256;
use keel_primitives::{KeelTx, L1Deposit};
use redb::{ReadableTable, WriteTransaction};

use crate::{
    Snapshot, Storage, StorageError, StorageResult,
    tables::{
        L1_CHECKPOINT_DEPTH, L1_CHECKPOINTS, L1_DEPOSITS, META, META_L1_SCANNED_TO,
        META_NEXT_L2_DEPOSIT,
    },
    value::Encoded,
};

/// An L1 block the deposit watcher scanned to, by number and hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L1Checkpoint {
    /// The block number.
    pub number: u64,
    /// Its hash when it was scanned.
    pub hash: B256,
}

impl Storage {
    /// Records `deposits` (seen by the L1 watcher) and that L1 has been scanned up to
    /// `scanned`, in one transaction.
    ///
    /// A deposit seen again after an L1 reorganisation is the same message if everything L2
    /// executes is (the L1 block, transaction and deadline may move): its record follows L1.
    /// A different message under an id not yet included on L2 replaces the old one. A
    /// different message under an id a block already included is a conflict, reported rather
    /// than papered over (the L2 blocks would have to be re-formed).
    pub fn record_deposits(
        &self,
        deposits: &[L1Deposit],
        scanned: L1Checkpoint,
    ) -> StorageResult<()> {
        let txn = self.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            let next = meta.get(META_NEXT_L2_DEPOSIT)?.map_or(0, |v| v.value());
            let mut table = txn.open_table(L1_DEPOSITS)?;
            for deposit in deposits {
                let known = table
                    .get(deposit.deposit_id)?
                    .map(|v| v.value().decode())
                    .transpose()?;
                match known {
                    Some(known) if known == *deposit => {}
                    Some(known)
                        if deposit.deposit_id < next
                            && known.to_tx(false) != deposit.to_tx(false) =>
                    {
                        return Err(StorageError::DepositConflict {
                            deposit_id: deposit.deposit_id,
                            stored: known.l1_tx_hash,
                            seen: deposit.l1_tx_hash,
                        });
                    }
                    _ => {
                        table.insert(deposit.deposit_id, Encoded::new(deposit))?;
                    }
                }
            }
            meta.insert(META_L1_SCANNED_TO, scanned.number)?;
            let mut checkpoints = txn.open_table(L1_CHECKPOINTS)?;
            checkpoints.insert(scanned.number, scanned.hash.0)?;
            let oldest = scanned.number.saturating_sub(L1_CHECKPOINT_DEPTH);
            checkpoints.retain_in(..oldest, |_, _| false)?;
        }
        txn.commit()?;
        Ok(())
    }

    /// Rewinds the watcher to L1 block `fork` (the newest scanned block still on L1's chain)
    /// after an L1 reorganisation: the scan resumes after it, and the deposits recorded from
    /// later blocks that no L2 block includes yet are forgotten (a rescan records again those
    /// L1 still has). Returns the ids of deposits from later blocks that L2 already includes:
    /// the rescan must find them again, unchanged.
    pub fn rewind_l1_scan(&self, fork: u64) -> StorageResult<Vec<u64>> {
        let txn = self.begin_write()?;
        let included = {
            let mut meta = txn.open_table(META)?;
            let next = meta.get(META_NEXT_L2_DEPOSIT)?.map_or(0, |v| v.value());
            let mut table = txn.open_table(L1_DEPOSITS)?;
            let mut included = Vec::new();
            let mut forget = Vec::new();
            for entry in table.iter()?.rev() {
                let (id, value) = entry?;
                let deposit = value.value().decode()?;
                if deposit.l1_block <= fork {
                    break; // ids follow L1 order: every earlier one is older
                }
                if id.value() < next {
                    included.push(id.value());
                } else {
                    forget.push(id.value());
                }
            }
            for id in forget {
                table.remove(id)?;
            }
            meta.insert(META_L1_SCANNED_TO, fork)?;
            txn.open_table(L1_CHECKPOINTS)?
                .retain_in(fork + 1.., |_, _| false)?;
            included.reverse();
            included
        };
        txn.commit()?;
        Ok(included)
    }
}

/// Advances `next_l2_deposit` past the deposits `transactions` include, checking they are the
/// next ones in queue order (the L1 contract would refuse the batch otherwise).
pub(crate) fn include_deposits(
    txn: &WriteTransaction,
    transactions: &[KeelTx],
) -> StorageResult<()> {
    let mut meta = txn.open_table(META)?;
    let mut next = meta.get(META_NEXT_L2_DEPOSIT)?.map_or(0, |v| v.value());
    let first = next;
    for deposit in transactions.iter().filter_map(KeelTx::as_deposit) {
        if deposit.deposit_id != next {
            return Err(StorageError::DepositOutOfOrder {
                deposit_id: deposit.deposit_id,
                expected: next,
            });
        }
        next += 1;
    }
    if next != first {
        meta.insert(META_NEXT_L2_DEPOSIT, next)?;
    }
    Ok(())
}

impl Snapshot {
    /// The L1 blocks the watcher scanned to, newest first, with their hashes then.
    pub fn l1_checkpoints(&self, limit: usize) -> StorageResult<Vec<L1Checkpoint>> {
        self.l1_checkpoints
            .iter()?
            .rev()
            .take(limit)
            .map(|entry| {
                let (number, hash) = entry?;
                Ok(L1Checkpoint {
                    number: number.value(),
                    hash: B256::from(hash.value()),
                })
            })
            .collect()
    }

    /// The last L1 block the watcher has scanned (0 before the first scan).
    pub fn l1_scanned_to(&self) -> StorageResult<u64> {
        Ok(self.counter(META_L1_SCANNED_TO)?.unwrap_or(0))
    }

    /// The id of the next deposit to include on L2: every lower one is in a block.
    pub fn next_l2_deposit(&self) -> StorageResult<u64> {
        Ok(self.counter(META_NEXT_L2_DEPOSIT)?.unwrap_or(0))
    }

    /// Up to `limit` recorded deposits not yet included on L2, oldest first.
    pub fn pending_deposits(&self, limit: usize) -> StorageResult<Vec<L1Deposit>> {
        let next = self.next_l2_deposit()?;
        self.l1_deposits
            .range(next..)?
            .take(limit)
            .map(|entry| entry?.1.value().decode())
            .collect()
    }

    /// The recorded deposit `deposit_id`.
    pub fn l1_deposit(&self, deposit_id: u64) -> StorageResult<Option<L1Deposit>> {
        self.l1_deposits
            .get(deposit_id)?
            .map(|v| v.value().decode())
            .transpose()
    }
}

impl Snapshot {
    /// How many deposits the watcher has recorded (ids `0..n`).
    pub fn l1_deposits_recorded(&self) -> StorageResult<u64> {
        Ok(self
            .l1_deposits
            .last()?
            .map_or(0, |(key, _)| key.value() + 1))
    }
}
