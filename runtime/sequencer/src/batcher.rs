//! The batcher: groups consecutive blocks into batches and seals each with its prover input.
//!
//! ```text
//!  before each block:  open batch full or old enough? ─▶ seal it:
//!      headers + bodies + block witnesses ─▶ ProverInput (RLP) ─▶ [self-check: keel-stf] ─▶
//!      Storage::seal_batch (batch record + input, one write; block witnesses dropped)
//!  after each block:   add its gas limit and witness size to the open batch
//! ```
//!
//! The open batch is derived from storage (blocks after the last sealed batch), so a restart
//! continues it. A batch is sealed *before* the block that would take it past `max_blocks` or
//! `max_gas`, so its gas never exceeds `max_gas` (each block counts at its gas limit); its
//! witness passes `max_witness_bytes` by at most one block's.

use std::{
    collections::HashSet,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use crate::config::BatcherConfig;
use alloy_consensus::Header;
use alloy_primitives::Bytes;
use keel_primitives::Batch;
use keel_primitives::{BatchOutput, BatchSettlement, ChainSpec};
use keel_stf::{BlockInput, ProverInput, Witness, execute_batch};
use keel_storage::{Snapshot, Storage, StorageError};
use tracing::{error, info};

use crate::{SequencerError, SequencerResult, witness::KnownToBatch};

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
    /// The earliest L1 deadline (Unix seconds) of the deposits it includes.
    deposit_deadline: Option<u64>,
    /// What its blocks created, left out of later blocks' witnesses.
    pub(crate) known: KnownToBatch,
}

impl OpenBatch {
    /// The open batch as storage has it: the blocks after the last sealed batch.
    pub(crate) fn load(snapshot: &Snapshot) -> SequencerResult<Self> {
        let (number, first_block) = match snapshot.last_batch()? {
            Some(last) => (last.number + 1, last.last_block + 1),
            None => (1, 1),
        };
        let head = snapshot.head_number()?;
        let mut open = Self {
            number,
            first_block,
            blocks: 0,
            gas: 0,
            witness_bytes: 0,
            opened: None,
            deposit_deadline: None,
            known: KnownToBatch::default(),
        };
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
            let mut deadline = None;
            for deposit in txs.iter().filter_map(|tx| tx.as_deposit()) {
                let recorded = snapshot
                    .l1_deposit(deposit.deposit_id)?
                    .ok_or_else(|| missing("l1_deposits", deposit.deposit_id))?;
                deadline = earliest(deadline, Some(recorded.deadline));
            }
            open.add_block(header.gas_limit, witness.byte_len(), deadline);
        }
        Ok(open)
    }

    /// Counts a sealed block in.
    pub(crate) fn add_block(
        &mut self,
        gas_limit: u64,
        witness_bytes: u64,
        deposit_deadline: Option<u64>,
    ) {
        self.deposit_deadline = earliest(self.deposit_deadline, deposit_deadline);
        self.blocks += 1;
        self.gas = self.gas.saturating_add(gas_limit);
        self.witness_bytes += witness_bytes;
        self.opened.get_or_insert_with(Instant::now);
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
        } else if self
            .opened
            .is_some_and(|opened| opened.elapsed() >= config.commit_interval)
        {
            Some("commit_interval")
        } else if self.deposit_deadline.is_some_and(|deadline| {
            // Seal early so the committer lands the batch on L1 before the bridge starts
            // refusing batches that lack the deposit.
            unix_now().saturating_add(config.deposit_margin.as_secs()) >= deadline
        }) {
            Some("deposit_deadline")
        } else {
            None
        }
    }

    /// Seals the open batch (its blocks up to the head of `snapshot`) and starts the next one.
    pub(crate) fn seal(
        &mut self,
        spec: &ChainSpec,
        config: &BatcherConfig,
        storage: &Storage,
        snapshot: &Snapshot,
        reason: &str,
    ) -> SequencerResult<Batch> {
        let last_block = self.first_block + self.blocks - 1;
        let (input, batch) = assemble(spec, snapshot, self.number, self.first_block, last_block)?;
        let encoded = input.encode();
        let batch = Batch {
            input_bytes: encoded.len() as u64,
            ..batch
        };
        if config.self_check {
            self_check(&input, &batch)?;
        }
        storage.seal_batch(&batch, &encoded)?;
        info!(
            target: "keel::batcher",
            batch = batch.number,
            blocks = %format_args!("{}..={}", batch.first_block, batch.last_block),
            txs = batch.transactions,
            gas_used = batch.gas_used,
            witness_bytes = batch.witness_bytes,
            input_bytes = batch.input_bytes,
            commitment = %batch.output.commitment(),
            reason,
            "sealed batch"
        );
        *self = Self {
            number: self.number + 1,
            first_block: last_block + 1,
            blocks: 0,
            gas: 0,
            witness_bytes: 0,
            opened: None,
            deposit_deadline: None,
            known: KnownToBatch::default(),
        };
        Ok(batch)
    }
}

/// Builds batch `number` (blocks `first..=last`) from storage: its prover input and its record,
/// with the output the node's own headers give.
pub(crate) fn assemble(
    spec: &ChainSpec,
    snapshot: &Snapshot,
    number: u64,
    first: u64,
    last: u64,
) -> SequencerResult<(ProverInput, Batch)> {
    let parent = snapshot
        .sealed_header(first - 1)?
        .ok_or_else(|| missing("headers", first - 1))?;
    let mut blocks = Vec::new();
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
        blocks.push(BlockInput {
            header,
            transactions: txs,
        });
    }
    // BLOCKHASH of a block before the parent: the headers from there up to the parent.
    let ancestors: Vec<Header> = (oldest_read..parent.number)
        .map(|n| snapshot.header(n)?.ok_or_else(|| missing("headers", n)))
        .collect::<Result<_, _>>()?;
    let last_header = snapshot
        .sealed_header(last)?
        .ok_or_else(|| missing("headers", last))?;
    let witness = Witness {
        nodes: nodes.into_iter().collect(),
        codes: codes.into_iter().collect(),
    };
    let output = BatchOutput {
        batch_number: number,
        chain_id: spec.chain_id,
        first_block: first,
        block_count: last - first + 1,
        parent_block_hash: parent.hash(),
        pre_state_root: parent.state_root,
        post_state_root: last_header.state_root,
        last_block_hash: last_header.hash(),
        withdrawals_root: settlement.withdrawals_root(),
        deposits_rolling_hash: settlement.deposits.hash(),
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
    };
    let input = ProverInput {
        spec: *spec,
        batch_number: number,
        parent: parent.into_inner(),
        ancestors,
        blocks,
        witness,
    };
    Ok((input, batch))
}

/// Runs the STF on `input` and checks it reproduces the chain the node built.
fn earliest(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn self_check(input: &ProverInput, batch: &Batch) -> SequencerResult<()> {
    let started = Instant::now();
    let result = execute_batch(input);
    let elapsed: Duration = started.elapsed();
    let detail = match result {
        Ok(output) if output == batch.output => {
            info!(target: "keel::batcher", batch = batch.number, elapsed_ms = elapsed.as_secs_f64() * 1e3, "self-check: the STF reproduces the batch");
            return Ok(());
        }
        Ok(output) => format!(
            "the STF computed {output:?}, the chain has {:?}",
            batch.output
        ),
        Err(e) => e.to_string(),
    };
    error!(target: "keel::batcher", batch = batch.number, %detail, "SELF-CHECK FAILED: the stateless STF disagrees with the chain this node built");
    Err(SequencerError::SelfCheck {
        batch: batch.number,
        detail,
    })
}

fn missing(table: &'static str, block: u64) -> SequencerError {
    SequencerError::Storage(StorageError::Corrupt {
        table,
        reason: format!("block {block} is missing"),
    })
}
