//! The batcher: groups consecutive blocks into batches and seals each with its payload, its
//! blobs and its prover input.
//!
//! ```text
//!  before each block:  open batch full, old enough, or its payload near its blob capacity?
//!      ─▶ close it: a SealJob (number, blocks) for the sealer (crate::sealer), a new open batch
//!      the next block aims at the payload the blobs left take at the last block's compression
//!      (the proposer stops there)
//!  after each block:   add its gas limit, witness size and payload to the open batch; a
//!      block whose payload compresses worse and does not fit is built again within the room
//!      that always fits (its uncompressed bytes)
//!  sealing (off the proposer's thread): blocks ─▶ payload frame (zstd) ─▶ blobs ─▶ KZG
//!      commitments, bindings; headers + block witnesses + frame ─▶ ProverInput (RLP)
//!      ─▶ [self-check: keel-stf] ─▶ Storage::seal_batch (one write; witnesses dropped)
//! ```
//!
//! Storage is the record: a closed batch is written there (`closed_batches`) before the sealer
//! gets it, and the open batch is the blocks after the last sealed or closed one, so a restart
//! seals what was closed, over the same blocks, and continues the open batch
//! ([`OpenBatch::load`]). A batch is sealed *before* the block that would take it past `max_blocks` or
//! `max_gas`, so its gas never exceeds `max_gas` (each block counts at its gas limit); its
//! witness passes `max_witness_bytes` by at most one block's; its frame never needs more than
//! `max_blobs` blobs (each block's payload is bounded by the room left, and compression never
//! adds more than the margin it is given).

use std::{
    collections::HashSet,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy_consensus::Header;
use alloy_primitives::Bytes;
use keel_da::{BLOB_CAPACITY, Frame, PayloadBlock, PayloadWriter, blobs_needed};
use keel_primitives::{
    Batch, BatchOutput, BatchSettlement, ChainSpec, DataFee, PostedBlob, blobs_hash,
};
use keel_stf::{ProverInput, Witness, execute_batch};
use keel_storage::{Snapshot, StorageError};
use tracing::{error, info};

use crate::{
    SequencerError, SequencerResult,
    config::{BatcherConfig, DataAvailability},
    sealer::SealJob,
    witness::KnownToBatch,
};

/// What a block's payload may add beyond its bytes: zstd's block framing and the frame's end.
const COMPRESSION_MARGIN: usize = 64;

/// Compressed bytes per 1,000 payload bytes assumed before any block has shown how the traffic
/// compresses: none saved, so the first block always fits.
const NO_COMPRESSION: usize = 1_000;
/// A block with fewer payload bytes says too little about how the traffic compresses to
/// change the estimate.
const RATIO_SAMPLE_BYTES: usize = 16 << 10;
/// Added to the estimated ratio (per mille): a block that compresses a little worse than the
/// last one still fits.
const RATIO_MARGIN: usize = 50;
/// The estimate never assumes better than 10:1.
const BEST_RATIO: usize = 100;

/// The batch the next blocks join.
#[derive(Debug)]
pub(crate) struct OpenBatch {
    /// Its number.
    number: u64,
    /// Its first block (the next block, while it is empty).
    first_block: u64,
    /// Blocks in it.
    blocks: u64,
    /// The sum of its blocks' gas limits.
    gas: u64,
    /// The sum of its blocks' witness sizes.
    witness_bytes: u64,
    /// When its first block was added.
    opened: Option<Instant>,
    /// What its blocks created, left out of later blocks' witnesses.
    pub(crate) known: KnownToBatch,
    /// Its payload, compressed as blocks join: how much blob space it fills.
    payload: PayloadWriter,
    /// Compressed bytes per 1,000 payload bytes of the last full-sized block, in this batch or
    /// an earlier one: what the next block's payload budget assumes.
    ratio: usize,
}

impl OpenBatch {
    /// The blocks after the last sealed batch, as storage has them: the batches closed before
    /// the node stopped and not sealed yet (over the blocks they were closed with: a block's
    /// witness leaves out what earlier blocks of its batch created), then the open batch.
    pub(crate) fn load(snapshot: &Snapshot) -> SequencerResult<(Vec<SealJob>, Self)> {
        let (mut number, mut first_block) = match snapshot.last_batch()? {
            Some(last) => (last.number + 1, last.last_block + 1),
            None => (1, 1),
        };
        let head = snapshot.head_number()?;
        let mut backlog = Vec::new();
        for (closed, first, last) in snapshot.closed_batches()? {
            if closed < number {
                continue;
            }
            if (closed, first) != (number, first_block) || last < first || last > head {
                break;
            }
            backlog.push(SealJob {
                number,
                first_block,
                last_block: last,
                reason: "restart",
            });
            number += 1;
            first_block = last + 1;
        }
        let mut open = Self::empty(number, first_block)?;
        for block in first_block..=head {
            let header = snapshot
                .header(block)?
                .ok_or_else(|| missing("headers", block))?;
            let witness = snapshot
                .block_witness(block)?
                .ok_or_else(|| missing("block_witnesses", block))?;
            let (txs, _) = snapshot
                .body(block)?
                .ok_or_else(|| missing("bodies", block))?;
            open.add_block(
                &PayloadBlock::from_header(&header, data_fee(snapshot, block)?, txs),
                header.gas_limit,
                witness.byte_len(),
            )?;
        }
        Ok((backlog, open))
    }

    fn empty(number: u64, first_block: u64) -> SequencerResult<Self> {
        Ok(Self {
            number,
            first_block,
            blocks: 0,
            gas: 0,
            witness_bytes: 0,
            opened: None,
            known: KnownToBatch::default(),
            payload: PayloadWriter::new().map_err(payload_error)?,
            ratio: NO_COMPRESSION,
        })
    }

    /// Its number.
    pub(crate) const fn number(&self) -> u64 {
        self.number
    }

    /// Whether no block has joined it yet.
    pub(crate) fn is_empty(&self) -> bool {
        self.blocks == 0
    }

    /// Counts a sealed block in.
    pub(crate) fn add_block(
        &mut self,
        block: &PayloadBlock,
        gas_limit: u64,
        witness_bytes: u64,
    ) -> SequencerResult<()> {
        self.payload.push(block).map_err(payload_error)?;
        self.count_block(gas_limit, witness_bytes);
        Ok(())
    }

    /// Counts a block in if its payload fits the blobs left, and returns whether it did; a
    /// block that does not fit leaves the batch as it was (the proposer builds it again,
    /// within [`Self::payload_room`]).
    pub(crate) fn try_add_block(
        &mut self,
        config: &BatcherConfig,
        block: &PayloadBlock,
        gas_limit: u64,
        witness_bytes: u64,
    ) -> SequencerResult<bool> {
        let fits = self
            .payload
            .push_within(block, capacity(config))
            .map_err(payload_error)?;
        if fits {
            self.count_block(gas_limit, witness_bytes);
        }
        Ok(fits)
    }

    fn count_block(&mut self, gas_limit: u64, witness_bytes: u64) {
        self.blocks += 1;
        self.gas = self.gas.saturating_add(gas_limit);
        self.witness_bytes += witness_bytes;
        self.opened.get_or_insert_with(Instant::now);
        if let Some((bytes, compressed)) = self.payload.last_block()
            && bytes >= RATIO_SAMPLE_BYTES
        {
            self.ratio = (compressed * 1_000 / bytes).clamp(BEST_RATIO, NO_COMPRESSION);
        }
    }

    /// The payload bytes (uncompressed) the next block may carry and always fit: the room
    /// its blobs have left, less what compression may add.
    pub(crate) fn payload_room(&self, config: &BatcherConfig) -> usize {
        capacity(config)
            .saturating_sub(self.payload.frame_len())
            .saturating_sub(COMPRESSION_MARGIN)
    }

    /// The payload bytes (uncompressed) the next block aims for: the room its blobs have
    /// left at the compression the last full-sized block reached, less a margin. A block
    /// fills its blobs instead of stopping where incompressible data would; one that
    /// compresses worse than expected does not fit ([`Self::try_add_block`]) and is built
    /// again within [`Self::payload_room`].
    pub(crate) fn payload_budget(&self, config: &BatcherConfig) -> usize {
        let ratio = (self.ratio + RATIO_MARGIN).min(NO_COMPRESSION);
        self.payload_room(config).saturating_mul(NO_COMPRESSION) / ratio
    }

    /// Why the batch must be sealed before a block with `next_gas_limit` joins it, if it must.
    pub(crate) fn seal_reason(
        &self,
        config: &BatcherConfig,
        next_gas_limit: u64,
    ) -> Option<&'static str> {
        if self.blocks == 0 {
            return None;
        }
        if self.blocks >= config.max_blocks {
            Some("max_blocks")
        } else if self.gas.saturating_add(next_gas_limit) > config.max_gas {
            Some("max_gas")
        } else if self.witness_bytes >= config.max_witness_bytes {
            Some("max_witness_bytes")
        } else if self.payload_room(config) < capacity(config) / 8 {
            // Less than an eighth of the blob space left: a new batch gives the next block all
            // of it rather than making blocks small.
            Some("max_blobs")
        } else if self
            .opened
            .is_some_and(|opened| opened.elapsed() >= config.commit_interval)
        {
            Some("commit_interval")
        } else {
            None
        }
    }

    /// Closes the batch: what the sealer needs to seal it; the next block starts a new one.
    pub(crate) fn close(&mut self, reason: &'static str) -> SequencerResult<SealJob> {
        let job = SealJob {
            number: self.number,
            first_block: self.first_block,
            last_block: self.first_block + self.blocks - 1,
            reason,
        };
        let ratio = self.ratio;
        *self = Self::empty(self.number + 1, job.last_block + 1)?;
        self.ratio = ratio;
        Ok(job)
    }
}

/// Builds batch `number` (blocks `first..=last`) from storage: its prover input and its record,
/// with the output the node's own headers give.
pub(crate) fn assemble(
    spec: &ChainSpec,
    config: &BatcherConfig,
    snapshot: &Snapshot,
    number: u64,
    first: u64,
    last: u64,
) -> SequencerResult<(ProverInput, Batch)> {
    let parent = snapshot
        .sealed_header(first - 1)?
        .ok_or_else(|| missing("headers", first - 1))?;
    let mut payload = PayloadWriter::new().map_err(payload_error)?;
    let mut nodes: HashSet<Bytes> = HashSet::new();
    let mut codes: HashSet<Bytes> = HashSet::new();
    let mut oldest_read = parent.number;
    let mut settlement = BatchSettlement::default();
    let (mut gas_used, mut transactions) = (0u64, 0u64);
    for block in first..=last {
        let header = snapshot
            .header(block)?
            .ok_or_else(|| missing("headers", block))?;
        let (txs, _) = snapshot
            .body(block)?
            .ok_or_else(|| missing("bodies", block))?;
        let receipts = snapshot
            .receipts(block)?
            .ok_or_else(|| missing("receipts", block))?;
        settlement.add_block(&txs, &receipts);
        let witness = snapshot
            .block_witness(block)?
            .ok_or_else(|| missing("block_witnesses", block))?;
        nodes.extend(witness.nodes);
        codes.extend(witness.codes);
        if let Some(&read) = witness.block_hashes_read.first() {
            oldest_read = oldest_read.min(read);
        }
        gas_used += header.gas_used;
        transactions += txs.len() as u64;
        payload
            .push(&PayloadBlock::from_header(
                &header,
                data_fee(snapshot, block)?,
                txs,
            ))
            .map_err(payload_error)?;
    }
    let frame = payload.finish().map_err(payload_error)?;
    let blobs = post_blobs(config, number, &frame)?;
    let ancestors = ancestors(snapshot, oldest_read, parent.number)?;
    let last_header = snapshot
        .sealed_header(last)?
        .ok_or_else(|| missing("headers", last))?;
    let witness = Witness {
        nodes: nodes.into_iter().collect(),
        codes: codes.into_iter().collect(),
    };
    let output = BatchOutput {
        batch_number: number,
        chain_spec_hash: spec.hash(),
        first_block: first,
        block_count: last - first + 1,
        parent_block_hash: parent.hash(),
        pre_state_root: parent.state_root,
        post_state_root: last_header.state_root,
        last_block_hash: last_header.hash(),
        last_block_timestamp: last_header.timestamp,
        withdrawals_root: settlement.withdrawals_root(),
        deposits_rolling_hash: settlement.deposits.hash(),
        blobs_hash: blobs_hash(&blobs.iter().map(|b| b.binding).collect::<Vec<_>>()),
    };
    let batch = Batch {
        number,
        first_block: first,
        last_block: last,
        gas_used,
        transactions,
        witness_bytes: witness.byte_len(),
        input_bytes: 0,
        deposits: settlement.deposits.count(),
        sealed_at_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
        output,
        blobs,
    };
    let input = ProverInput {
        spec: *spec,
        batch_number: number,
        parent: parent.into_inner(),
        ancestors,
        frame: frame.0,
        blob_hashes: batch
            .blobs
            .iter()
            .map(|blob| blob.binding.versioned_hash)
            .collect(),
        witness,
    };
    Ok((input, batch))
}

/// The frame bytes a batch's blobs hold; unbounded for a validium, which posts none.
fn capacity(config: &BatcherConfig) -> usize {
    match config.data_availability {
        DataAvailability::Blobs => config.max_blobs as usize * BLOB_CAPACITY,
        DataAvailability::Validium => usize::MAX,
    }
}

/// The blobs batch `number`'s frame is posted in: committed and opened at their challenges, or
/// none under validium.
fn post_blobs(
    config: &BatcherConfig,
    number: u64,
    frame: &Frame,
) -> SequencerResult<Vec<PostedBlob>> {
    if config.data_availability == DataAvailability::Validium {
        return Ok(Vec::new());
    }
    let needed = blobs_needed(frame.len());
    if needed > config.max_blobs as usize {
        // The room per block keeps this from happening; a frame that grew past it anyway must
        // not reach L1, where the commit would be refused.
        return Err(SequencerError::Payload {
            batch: number,
            reason: format!(
                "the frame of {} bytes needs {needed} blobs, above batcher.max_blobs = {}",
                frame.len(),
                config.max_blobs
            ),
        });
    }
    keel_da::commit_blobs(frame).map_err(|e| SequencerError::Payload {
        batch: number,
        reason: e.to_string(),
    })
}

fn payload_error(error: std::io::Error) -> SequencerError {
    SequencerError::Payload {
        batch: 0,
        reason: format!("the payload compressor failed: {error}"),
    }
}

/// Runs the STF on `input` and checks it reproduces the chain the node built.
pub(crate) fn self_check(
    input: &ProverInput,
    batch: &Batch,
    headers: &[alloy_consensus::Sealed<Header>],
) -> SequencerResult<()> {
    let started = Instant::now();
    let result = execute_batch(input);
    let elapsed: Duration = started.elapsed();
    let detail = match result {
        Ok(executed) if executed.output == batch.output => {
            info!(target: "keel::batcher", batch = batch.number, elapsed_ms = elapsed.as_secs_f64() * 1e3, "self-check: the STF reproduces the batch");
            return Ok(());
        }
        Ok(executed) => {
            let diverged = executed
                .headers
                .iter()
                .zip(headers)
                .find(|(computed, stored)| computed.hash() != stored.hash());
            match diverged {
                Some((computed, stored)) => format!(
                    "block {} re-executes to {:?}, the chain has {:?}",
                    stored.number,
                    computed.inner(),
                    stored.inner()
                ),
                None => format!(
                    "the STF computed {:?}, the chain has {:?}",
                    executed.output, batch.output
                ),
            }
        }
        Err(e) => e.to_string(),
    };
    error!(target: "keel::batcher", batch = batch.number, %detail, "SELF-CHECK FAILED: the stateless STF disagrees with the chain this node built");
    Err(SequencerError::SelfCheck {
        batch: batch.number,
        detail,
    })
}

/// The data fee stored block `block` charged.
/// BLOCKHASH of a block before the parent: the headers from `oldest_read` up to the parent.
pub(crate) fn ancestors(
    snapshot: &Snapshot,
    oldest_read: u64,
    parent: u64,
) -> SequencerResult<Vec<Header>> {
    (oldest_read..parent)
        .map(|n| snapshot.header(n)?.ok_or_else(|| missing("headers", n)))
        .collect()
}

pub(crate) fn data_fee(snapshot: &Snapshot, block: u64) -> SequencerResult<DataFee> {
    snapshot
        .data_fee(block)?
        .ok_or_else(|| missing("block_data_fees", block))
}

pub(crate) fn missing(table: &'static str, block: u64) -> SequencerError {
    SequencerError::Storage(StorageError::Corrupt {
        table,
        reason: format!("block {block} is missing"),
    })
}
