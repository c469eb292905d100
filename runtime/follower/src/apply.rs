//! Applying blocks to the database: one block re-executed from its payload, a batch of them,
//! or a batch whose blocks the database already holds (unsafe blocks a based leader gossiped).

use keel_da::PayloadBlock;
use keel_primitives::{
    Batch, BatchOutput, BatchSettlement, ChainSpec, Header, PostedBlob, Sealed, blobs_hash,
};
use keel_stf::StfError;
use keel_storage::{BlockWrite, Storage};

use crate::FollowerError;

/// Re-executes `block` on `head` (the database's head) with [`keel_stf::replay_block`] and
/// stores it; returns the new head. Blocking.
pub fn apply_block(
    storage: &Storage,
    spec: &ChainSpec,
    head: &Sealed<Header>,
    block: &PayloadBlock,
) -> Result<Sealed<Header>, ApplyError> {
    let built = {
        let snapshot = storage.snapshot()?;
        keel_stf::replay_block(
            spec,
            &snapshot,
            &snapshot,
            head,
            block,
            storage.stale_nodes(),
        )?
    };
    storage.commit_block(BlockWrite {
        block: &built.block,
        receipts: &built.receipts,
        changes: &built.changes,
        state: &built.state,
        codes: &built.codes,
        plugins: &[],
        activated: &[],
        witness: None,
    })?;
    Ok(built.block.header)
}

/// Why [`apply_block`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The block does not execute on the head.
    #[error(transparent)]
    Replay(#[from] StfError),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] keel_storage::StorageError),
}

/// Re-executes batch `number`'s `blocks` (decoded from its blobs) on the database's head,
/// committing each block as it is built, and returns the batch as recorded: its output is
/// what a proof of the same data attests. `posted` are the batch's blobs (their bindings go
/// into the output), `sealed_at_ms` the time L1 took the commit.
///
/// Blocking (it executes and writes). A failure leaves the blocks committed so far in the
/// database: the caller unwinds them.
pub fn apply_batch(
    storage: &Storage,
    spec: &ChainSpec,
    number: u64,
    blocks: &[PayloadBlock],
    posted: Vec<PostedBlob>,
    sealed_at_ms: u64,
) -> Result<Batch, FollowerError> {
    let pre = storage.snapshot()?.head()?;
    let mut head = pre.clone();
    for block in blocks {
        head = apply_block(storage, spec, &head, block).map_err(|error| match error {
            ApplyError::Replay(source) => FollowerError::Replay {
                batch: number,
                source,
            },
            ApplyError::Storage(error) => error.into(),
        })?;
    }
    stored_batch(
        storage,
        spec,
        number,
        pre.number + 1,
        head.number,
        posted,
        sealed_at_ms,
    )
}

/// Batch `number` over blocks `first..=last` as the database holds them (re-executed or
/// followed already): its record, with the output its headers, transactions and receipts
/// give.
pub fn stored_batch(
    storage: &Storage,
    spec: &ChainSpec,
    number: u64,
    first: u64,
    last: u64,
    posted: Vec<PostedBlob>,
    sealed_at_ms: u64,
) -> Result<Batch, FollowerError> {
    let snapshot = storage.snapshot()?;
    let missing = |what: &str, block: u64| FollowerError::Divergence {
        batch: number,
        what: format!("the database has no {what} for block {block}"),
    };
    let pre = snapshot
        .sealed_header(first - 1)?
        .ok_or_else(|| missing("header", first - 1))?;
    let head = snapshot
        .sealed_header(last)?
        .ok_or_else(|| missing("header", last))?;
    let mut settlement = BatchSettlement::default();
    let (mut gas_used, mut transactions) = (0, 0);
    for block in first..=last {
        let (txs, _) = snapshot
            .body(block)?
            .ok_or_else(|| missing("body", block))?;
        let receipts = snapshot
            .receipts(block)?
            .ok_or_else(|| missing("receipts", block))?;
        settlement.add_block(&txs, &receipts);
        transactions += txs.len() as u64;
        gas_used += snapshot
            .header(block)?
            .ok_or_else(|| missing("header", block))?
            .gas_used;
    }
    let bindings: Vec<_> = posted.iter().map(|blob| blob.binding).collect();
    let output = BatchOutput {
        batch_number: number,
        chain_spec_hash: spec.hash(),
        first_block: first,
        block_count: last + 1 - first,
        parent_block_hash: pre.hash(),
        pre_state_root: pre.state_root,
        post_state_root: head.state_root,
        last_block_hash: head.hash(),
        last_block_timestamp: head.timestamp,
        withdrawals_root: settlement.withdrawals_root(),
        deposits_rolling_hash: settlement.deposits.hash(),
        blobs_hash: blobs_hash(&bindings),
    };
    Ok(Batch {
        number,
        first_block: first,
        last_block: last,
        gas_used,
        transactions,
        witness_bytes: 0,
        input_bytes: 0,
        sealed_at_ms,
        deposits: settlement.deposits.count(),
        output,
        blobs: posted,
    })
}

/// Whether the database holds `blocks` as blocks `first..`: the same payload for each (same
/// transactions, time, fees, coinbase): a based leader's unsafe blocks that its commit
/// confirms. Blocking.
pub fn holds_blocks(
    storage: &Storage,
    first: u64,
    blocks: &[PayloadBlock],
) -> Result<bool, FollowerError> {
    let snapshot = storage.snapshot()?;
    for (block, payload) in (first..).zip(blocks) {
        let (Some(header), Some((txs, _)), Some(data_fee)) = (
            snapshot.header(block)?,
            snapshot.body(block)?,
            snapshot.data_fee(block)?,
        ) else {
            return Ok(false);
        };
        if PayloadBlock::from_header(&header, data_fee, txs) != *payload {
            return Ok(false);
        }
    }
    Ok(true)
}
