//! Resolving block tags, numbers and hashes against a snapshot.

use alloy_consensus::{Header, Sealed};
use alloy_eips::{BlockId, BlockNumberOrTag};
use keel_storage::Snapshot;

use crate::RpcError;

/// The canonical block `id` names, or an error saying it does not exist. Keel has a single
/// sequencer and no reorgs. With L1 settlement, `safe` is the last block of the last batch L1
/// committed and `finalized` the last block of the last batch L1 verified (genesis before the
/// first); a node without `[l1]` has no other finality than its own, and both are the head.
/// `pending` state is the head's (the pool is not executed ahead of time).
pub(crate) fn resolve_number(
    snapshot: &Snapshot,
    tag: BlockNumberOrTag,
) -> Result<Option<u64>, RpcError> {
    let head = snapshot.head_number()?;
    let settled = |pick: fn(&keel_storage::L1Progress) -> u64| -> Result<u64, RpcError> {
        Ok(match snapshot.l1_progress()? {
            Some(progress) => snapshot.batch_last_block(pick(&progress))?.min(head),
            None => head,
        })
    };
    Ok(match tag {
        BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => Some(head),
        BlockNumberOrTag::Safe => Some(settled(|p| p.committed)?),
        BlockNumberOrTag::Finalized => Some(settled(|p| p.verified)?),
        BlockNumberOrTag::Earliest => Some(0),
        BlockNumberOrTag::Number(n) => (n <= head).then_some(n),
    })
}

/// The header of the block `id` names, if it exists.
pub(crate) fn resolve_header(
    snapshot: &Snapshot,
    id: BlockId,
) -> Result<Option<Sealed<Header>>, RpcError> {
    let number = match id {
        BlockId::Number(tag) => resolve_number(snapshot, tag)?,
        BlockId::Hash(hash) => snapshot.block_number(&hash.block_hash)?,
    };
    match number {
        Some(number) => Ok(snapshot.sealed_header(number)?),
        None => Ok(None),
    }
}

/// Like [`resolve_header`], but a missing block is an error (for state queries).
pub(crate) fn require_header(snapshot: &Snapshot, id: BlockId) -> Result<Sealed<Header>, RpcError> {
    resolve_header(snapshot, id)?.ok_or_else(|| RpcError::server(format!("header not found: {id}")))
}
