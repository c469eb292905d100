//! Prover inputs for batches this node followed (a based node's copy of another leader's
//! batches), so any node can prove a batch whose leader is gone.
//!
//! The leader recorded each block's witness while it built it; a follower did not. It needs
//! none: the trie keeps every node, so each block is re-executed on the state before it (read
//! through the trie at its parent's root) with its reads recorded, as the proposer records
//! them. The frame is the one L1 holds (stored with the followed batch), so the input binds
//! the same blobs the commitment does.

use alloy_primitives::Bytes;
use keel_da::PayloadBlock;
use keel_primitives::{Batch, ChainSpec};
use keel_stf::{ProverInput, Witness};
use keel_storage::{HistoricalState, Snapshot};
use keel_trie::{RecordingReader, StaleNodes};
use std::collections::HashSet;

use crate::{
    SequencerError, SequencerResult,
    batcher::{ancestors, data_fee, missing},
    witness::{KnownToBatch, RecordingState},
};

/// The RLP prover input of `batch`, a batch this node followed: its blocks re-executed from
/// the database with their reads recorded, its frame as L1 holds it. Blocking (it executes
/// every block of the batch).
pub fn followed_prover_input(
    spec: &ChainSpec,
    snapshot: &Snapshot,
    batch: &Batch,
) -> SequencerResult<Vec<u8>> {
    let number = batch.number;
    let frame = snapshot
        .batch_frame(number)?
        .ok_or_else(|| missing("batch_frames", number))?;
    let parent = snapshot
        .sealed_header(batch.first_block - 1)?
        .ok_or_else(|| missing("headers", batch.first_block - 1))?;
    let (mut nodes, mut codes) = (HashSet::<Bytes>::new(), HashSet::<Bytes>::new());
    let mut oldest_read = parent.number;
    let mut before = parent.clone();
    for block in batch.first_block..=batch.last_block {
        let header = snapshot
            .sealed_header(block)?
            .ok_or_else(|| missing("headers", block))?;
        let (txs, _) = snapshot
            .body(block)?
            .ok_or_else(|| missing("bodies", block))?;
        let payload = PayloadBlock::from_header(&header, data_fee(snapshot, block)?, txs);
        let state = RecordingState::new(HistoricalState::at(snapshot, &before)?);
        let reader = RecordingReader::new(snapshot);
        let built =
            keel_stf::replay_block(spec, &state, &reader, &before, &payload, StaleNodes::Ignore)
                .map_err(|error| SequencerError::SelfCheck {
                    batch: number,
                    detail: format!("re-executing followed block {block}: {error}"),
                })?;
        if built.block.hash() != header.hash() {
            return Err(SequencerError::SelfCheck {
                batch: number,
                detail: format!(
                    "followed block {block} re-executes to {}, stored as {}",
                    built.block.hash(),
                    header.hash()
                ),
            });
        }
        let witness = state.into_witness(&reader, before.state_root, &KnownToBatch::default())?;
        nodes.extend(witness.nodes);
        codes.extend(witness.codes);
        if let Some(&read) = witness.block_hashes_read.first() {
            oldest_read = oldest_read.min(read);
        }
        before = header;
    }
    let input = ProverInput {
        spec: *spec,
        batch_number: number,
        ancestors: ancestors(snapshot, oldest_read, parent.number)?,
        parent: parent.into_inner(),
        frame: frame.into(),
        blob_hashes: batch
            .blobs
            .iter()
            .map(|blob| blob.binding.versioned_hash)
            .collect(),
        witness: Witness {
            nodes: nodes.into_iter().collect(),
            codes: codes.into_iter().collect(),
        },
    };
    Ok(input.encode())
}
