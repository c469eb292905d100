//! L1 deposits between the watcher that sees them and the block that includes them.
//!
//! ```text
//!  record_deposits ─ l1_deposits[id], meta l1_scanned_to   (one transaction per L1 scan)
//!  commit_block    ─ meta next_l2_deposit                  (with the block that includes them)
//! ```
//!
//! The watcher writes each deposit it sees together with how far it has scanned, so a restart
//! resumes where it stopped and a deposit is never lost nor recorded twice. Deposits are
//! included strictly in queue order: the next one to include is `next_l2_deposit`.

use keel_primitives::{KeelTx, L1Deposit};
use redb::{ReadableTable, WriteTransaction};

use crate::{
    Snapshot, Storage, StorageError, StorageResult,
    tables::{L1_DEPOSITS, META, META_L1_SCANNED_TO, META_NEXT_L2_DEPOSIT},
    value::Encoded,
};

impl Storage {
    /// Records `deposits` (seen by the L1 watcher) and that L1 has been scanned up to block
    /// `scanned_to`, in one transaction. A deposit already recorded must be identical: a
    /// different one under the same id means L1 reorganised below the confirmation depth,
    /// which is reported rather than papered over.
    pub fn record_deposits(&self, deposits: &[L1Deposit], scanned_to: u64) -> StorageResult<()> {
        let txn = self.begin_write()?;
        {
            let mut table = txn.open_table(L1_DEPOSITS)?;
            for deposit in deposits {
                let known = table
                    .get(deposit.deposit_id)?
                    .map(|v| v.value().decode())
                    .transpose()?;
                match known {
                    Some(known) if known == *deposit => {}
                    Some(known) => {
                        return Err(StorageError::DepositConflict {
                            deposit_id: deposit.deposit_id,
                            stored: known.l1_tx_hash,
                            seen: deposit.l1_tx_hash,
                        });
                    }
                    None => {
                        table.insert(deposit.deposit_id, Encoded::new(deposit))?;
                    }
                }
            }
            txn.open_table(META)?
                .insert(META_L1_SCANNED_TO, scanned_to)?;
        }
        txn.commit()?;
        Ok(())
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
