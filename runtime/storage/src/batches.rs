//! Batches and their proofs: the witness each block recorded, sealed batches with the input a
//! prover needs, prover leases and received proofs.
//!
//! ```text
//!  commit_block ─ block_witnesses[n]          (written with the block)
//!  seal_batch   ─ batches[b], prover_inputs[b] (and the block witnesses it consumed go)
//!  put_lease    ─ leases[b]                    (one prover at a time; expires)
//!  put_proof    ─ proofs[b]                    (and the lease goes)
//! ```

use alloy_primitives::Bytes;
use alloy_rlp::{RlpDecodable, RlpEncodable};
use keel_primitives::{Batch, Lease, StoredProof};
use redb::{ReadableTable, WriteTransaction};

use crate::{
    Snapshot, Storage, StorageError, StorageResult,
    pieces::{read_pieces, remove_pieces_to, write_pieces},
    tables::{
        BATCH_FRAMES, BATCHES, BLOCK_WITNESSES, CLOSED_BATCHES, LEASES, PROOFS, PROVER_INPUTS,
    },
    value::Encoded,
};

/// What building one block read from the pre-state: the part of the witness it contributes.
#[derive(Debug, Clone, Default, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct BlockWitness {
    /// Trie nodes read (account and storage tries), each once.
    pub nodes: Vec<Bytes>,
    /// Contract codes read.
    pub codes: Vec<Bytes>,
    /// The block numbers BLOCKHASH read, ascending.
    pub block_hashes_read: Vec<u64>,
}

impl BlockWitness {
    /// Nodes and codes, in bytes.
    pub fn byte_len(&self) -> u64 {
        self.nodes
            .iter()
            .chain(&self.codes)
            .map(|item| item.len() as u64)
            .sum()
    }
}

impl Snapshot {
    /// The witness block `number` recorded, until its batch is sealed.
    pub fn block_witness(&self, number: u64) -> StorageResult<Option<BlockWitness>> {
        self.block_witnesses
            .get(number)?
            .map(|v| v.value().decode())
            .transpose()
    }

    /// Sealed batch `number`.
    pub fn batch(&self, number: u64) -> StorageResult<Option<Batch>> {
        self.batches
            .get(number)?
            .map(|v| v.value().decode())
            .transpose()
    }

    /// The last sealed batch.
    pub fn last_batch(&self) -> StorageResult<Option<Batch>> {
        self.batches
            .last()?
            .map(|(_, v)| v.value().decode())
            .transpose()
    }

    /// Sealed batches from `first` on, in order, at most `limit`.
    pub fn batches_from(&self, first: u64, limit: usize) -> StorageResult<Vec<Batch>> {
        self.batches
            .range(first..)?
            .take(limit)
            .map(|entry| entry?.1.value().decode())
            .collect()
    }

    /// The encoded prover input of batch `number`.
    pub fn prover_input(&self, number: u64) -> StorageResult<Option<Vec<u8>>> {
        read_pieces(&self.prover_inputs, number)
    }

    /// The payload frame of batch `number`: what its blobs carry.
    pub fn batch_frame(&self, number: u64) -> StorageResult<Option<Vec<u8>>> {
        read_pieces(&self.batch_frames, number)
    }

    /// The accepted proof of batch `number`.
    pub fn proof(&self, number: u64) -> StorageResult<Option<StoredProof>> {
        self.proofs
            .get(number)?
            .map(|v| v.value().decode())
            .transpose()
    }

    /// The batches closed and not sealed yet, in order: (number, first block, last block).
    pub fn closed_batches(&self) -> StorageResult<Vec<(u64, u64, u64)>> {
        self.closed_batches
            .iter()?
            .map(|entry| {
                let (number, blocks) = entry?;
                let (first, last) = blocks.value();
                Ok((number.value(), first, last))
            })
            .collect()
    }

    /// Every open lease, by batch.
    pub fn leases(&self) -> StorageResult<Vec<Lease>> {
        self.leases
            .iter()?
            .map(|entry| entry?.1.value().decode())
            .collect()
    }
}

impl Storage {
    /// Records that the proposer closed batch `number` over blocks `first..=last`, for the
    /// sealer; [`Storage::seal_batch`] removes the record.
    pub fn close_batch(&self, number: u64, first: u64, last: u64) -> StorageResult<()> {
        let txn = self.begin_write()?;
        txn.open_table(CLOSED_BATCHES)?
            .insert(number, (first, last))?;
        txn.commit()?;
        Ok(())
    }

    /// Seals `batch`: stores it with its encoded prover input and its payload frame, and drops
    /// the block witnesses it consumed and its closed-batch record, in one write transaction.
    /// Batches are sealed in order, each starting right after the previous one.
    pub fn seal_batch(&self, batch: &Batch, input: &[u8], frame: &[u8]) -> StorageResult<()> {
        let txn = self.begin_write()?;
        {
            insert_next_batch(&txn, batch, frame)?;
            write_pieces(&mut txn.open_table(PROVER_INPUTS)?, batch.number, input)?;
            let mut witnesses = txn.open_table(BLOCK_WITNESSES)?;
            for block in batch.first_block..=batch.last_block {
                witnesses.remove(block)?;
            }
        }
        txn.commit()?;
        Ok(())
    }

    /// Records (or renews) a lease.
    pub fn put_lease(&self, lease: &Lease) -> StorageResult<()> {
        let txn = self.begin_write()?;
        txn.open_table(LEASES)?
            .insert(lease.batch, Encoded::new(lease))?;
        txn.commit()?;
        Ok(())
    }

    /// Drops the lease on `batch`, if any.
    pub fn remove_lease(&self, batch: u64) -> StorageResult<()> {
        let txn = self.begin_write()?;
        txn.open_table(LEASES)?.remove(batch)?;
        txn.commit()?;
        Ok(())
    }

    /// Drops the prover inputs of batches up to `last` (L1 verified them); returns how many.
    ///
    /// Their payload frames stay: an L1 reorganisation can take a verified commit back, and
    /// the settler then posts the batch's blobs again.
    pub fn prune_prover_inputs_to(&self, last: u64) -> StorageResult<usize> {
        let txn = self.begin_write()?;
        let removed = remove_pieces_to(&mut txn.open_table(PROVER_INPUTS)?, last)?;
        txn.commit()?;
        Ok(removed)
    }

    /// Stores an accepted proof and ends the batch's lease, in one write transaction.
    pub fn put_proof(&self, proof: &StoredProof) -> StorageResult<()> {
        let txn = self.begin_write()?;
        txn.open_table(PROOFS)?
            .insert(proof.batch, Encoded::new(proof))?;
        txn.open_table(LEASES)?.remove(proof.batch)?;
        txn.commit()?;
        Ok(())
    }

    /// Forgets the proof of `batch` (L1's verifiers refuse it): the coordinator leases the
    /// batch again. Returns the proof removed, if there was one.
    pub fn remove_proof(&self, batch: u64) -> StorageResult<Option<StoredProof>> {
        let txn = self.begin_write()?;
        let removed = txn
            .open_table(PROOFS)?
            .remove(batch)?
            .map(|v| v.value().decode())
            .transpose()?;
        txn.commit()?;
        Ok(removed)
    }
}

/// Stores `batch` and its frame, after checking it is the next batch and starts right after
/// the last one.
pub(crate) fn insert_next_batch(
    txn: &WriteTransaction,
    batch: &Batch,
    frame: &[u8],
) -> StorageResult<()> {
    let mut batches = txn.open_table(BATCHES)?;
    let expected = match batches.last()? {
        Some((_, last)) => {
            let last = last.value().decode()?;
            (last.number + 1, last.last_block + 1)
        }
        None => (1, 1),
    };
    if (batch.number, batch.first_block) != expected {
        return Err(StorageError::NotNextBatch {
            number: batch.number,
            first_block: batch.first_block,
            expected_number: expected.0,
            expected_first_block: expected.1,
        });
    }
    batches.insert(batch.number, Encoded::new(batch))?;
    write_pieces(&mut txn.open_table(BATCH_FRAMES)?, batch.number, frame)?;
    // Sealed here or stored as followed from L1: no longer waiting to be sealed.
    txn.open_table(CLOSED_BATCHES)?.remove(batch.number)?;
    Ok(())
}

/// Writes the witness block `number` recorded (part of its block write).
pub(crate) fn write_block_witness(
    txn: &WriteTransaction,
    number: u64,
    witness: &BlockWitness,
) -> StorageResult<()> {
    txn.open_table(BLOCK_WITNESSES)?
        .insert(number, Encoded::new(witness))?;
    Ok(())
}
