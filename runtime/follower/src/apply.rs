//! Applying one batch's blocks to the database.

use keel_da::PayloadBlock;
use keel_primitives::{Batch, BatchOutput, BatchSettlement, ChainSpec, PostedBlob, blobs_hash};
use keel_storage::{BlockWrite, Storage};

use crate::FollowerError;

/// Re-executes batch `number`'s `blocks` (decoded from its blobs) on the database's head with
/// [`keel_stf::replay_block`], committing each block as it is built, and returns the batch as
/// recorded: its output is what a proof of the same data attests. `posted` are the batch's
/// blobs (their bindings go into the output), `sealed_at_ms` the time L1 took the commit.
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
    let mut settlement = BatchSettlement::default();
    let (mut gas_used, mut transactions) = (0, 0);
    for block in blocks {
        let built = {
            let snapshot = storage.snapshot()?;
            keel_stf::replay_block(spec, &snapshot, &snapshot, &head, block).map_err(|source| {
                FollowerError::Replay {
                    batch: number,
                    source,
                }
            })?
        };
        settlement.add_block(&built.block.transactions, &built.receipts);
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
        gas_used += built.block.header.gas_used;
        transactions += built.block.transactions.len() as u64;
        head = built.block.header;
    }
    let bindings: Vec<_> = posted.iter().map(|blob| blob.binding).collect();
    let output = BatchOutput {
        batch_number: number,
        chain_spec_hash: spec.hash(),
        first_block: pre.number + 1,
        block_count: blocks.len() as u64,
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
        first_block: pre.number + 1,
        last_block: head.number,
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
