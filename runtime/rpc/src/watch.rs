//! [`Watch`]: what a polling filter or a WebSocket subscription follows and where it stands,
//! and [`Watch::advance`], the one place that reads what came after it.
//!
//! ```text
//!  Blocks / Heads / Logs ─ cursor `next`: the first block not yet reported
//!  Pending               ─ cursor `after`: the pool's last arrival already reported
//!  advance               ─ reads from `next` (or `after`) to the head, at most a bounded
//!                          stretch per call, and moves the cursor past what it returns
//! ```
//!
//! A head that went back (a follower or a based node unwinding blocks L1 did not keep) pulls
//! the cursor back to it, so the blocks that replace the unwound ones are reported too.

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::B256;
use alloy_rpc_types_eth::{Filter, FilterBlockOption, Header as RpcHeader, Log};
use keel_storage::Snapshot;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::{
    RpcError,
    api::EthApi,
    convert::{RpcTransaction, rpc_transaction},
    jsonrpc::{RpcResult, json},
};

/// Most blocks one [`Watch::advance`] reports (a slow poller gets the rest on the next).
const MAX_BLOCKS_PER_ADVANCE: u64 = 10_000;

/// What a filter or subscription follows, with its cursor.
#[derive(Debug, Clone)]
pub(crate) enum Watch {
    /// Logs of blocks from `next` on that `filter` selects.
    Logs { filter: Box<Filter>, next: u64 },
    /// Hashes of blocks from `next` on (`eth_newBlockFilter`).
    Blocks { next: u64 },
    /// Headers of blocks from `next` on (`newHeads`).
    Heads { next: u64 },
    /// Pool arrivals after `after`: their hashes, or the whole transactions when `full`.
    Pending { after: u64, full: bool },
}

/// What a watch selected since its cursor, in order.
#[derive(Debug)]
pub(crate) enum Changes {
    Hashes(Vec<B256>),
    Logs(Vec<Log>),
    Heads(Vec<RpcHeader>),
    Transactions(Vec<RpcTransaction>),
}

impl Watch {
    /// Logs `filter` selects in blocks sealed after `snapshot`'s head.
    pub(crate) fn logs(snapshot: &Snapshot, filter: Filter) -> RpcResult<Self> {
        if let FilterBlockOption::Range {
            from_block: Some(BlockNumberOrTag::Number(from)),
            to_block: Some(BlockNumberOrTag::Number(to)),
        } = filter.block_option
            && from > to
        {
            return Err(RpcError::invalid_params(
                "invalid block range params: fromBlock is after toBlock",
            ));
        }
        Ok(Self::Logs {
            filter: Box::new(filter),
            next: snapshot.head_number()? + 1,
        })
    }

    /// Blocks sealed after `snapshot`'s head, as hashes or as headers.
    pub(crate) fn blocks(snapshot: &Snapshot, headers: bool) -> RpcResult<Self> {
        let next = snapshot.head_number()? + 1;
        Ok(if headers {
            Self::Heads { next }
        } else {
            Self::Blocks { next }
        })
    }

    /// Transactions the pool takes from now on.
    pub(crate) fn pending(api: &EthApi, full: bool) -> Self {
        Self::Pending {
            after: api.pool().last_arrival(),
            full,
        }
    }

    /// What came after the cursor (bounded per call); the cursor moves past it.
    pub(crate) fn advance(&mut self, api: &EthApi, snapshot: &Snapshot) -> RpcResult<Changes> {
        let head = snapshot.head_number()?;
        match self {
            Self::Blocks { next } => {
                let hashes = blocks_from(next, head, |number| snapshot.canonical_hash(number))?;
                Ok(Changes::Hashes(hashes))
            }
            Self::Heads { next } => {
                let headers = blocks_from(next, head, |number| {
                    Ok(snapshot
                        .sealed_header(number)?
                        .map(|header| RpcHeader::from_consensus(header, None, None)))
                })?;
                Ok(Changes::Heads(headers))
            }
            Self::Pending { after, full } => {
                let (hashes, last) = api.pool().arrived_after(*after);
                *after = last;
                if !*full {
                    return Ok(Changes::Hashes(hashes));
                }
                // A transaction mined (or dropped) since it arrived is no longer pooled.
                let transactions = hashes
                    .iter()
                    .filter_map(|hash| api.pool().get(hash))
                    .map(|pooled| rpc_transaction(pooled.tx.clone().into(), pooled.sender, None))
                    .collect();
                Ok(Changes::Transactions(transactions))
            }
            Self::Logs { filter, next } => {
                *next = (*next).min(head + 1);
                // The filter's own bounds, where it names numbers; tags follow the head.
                let (lower, upper) = match filter.block_option {
                    FilterBlockOption::Range {
                        from_block,
                        to_block,
                    } => (
                        from_block.and_then(|b| b.as_number()).unwrap_or(0),
                        to_block.and_then(|b| b.as_number()).unwrap_or(u64::MAX),
                    ),
                    // One block, already sealed when the filter was installed: no new logs.
                    FilterBlockOption::AtBlockHash(_) => (0, 0),
                };
                let from = (*next).max(lower);
                let to = head
                    .min(upper)
                    .min(from.saturating_add(api.max_logs_range() - 1));
                let logs = if from > to {
                    Vec::new()
                } else {
                    api.logs_in(snapshot, filter, from, to)?
                };
                *next = (to + 1).max(*next);
                Ok(Changes::Logs(logs))
            }
        }
    }
}

/// Reads blocks `next..=head` (bounded) with `read` until one is missing, moving `next` past
/// those read. A head below `next` pulls it back first.
fn blocks_from<T>(
    next: &mut u64,
    head: u64,
    mut read: impl FnMut(u64) -> keel_storage::StorageResult<Option<T>>,
) -> RpcResult<Vec<T>> {
    *next = (*next).min(head + 1);
    let to = head.min(next.saturating_add(MAX_BLOCKS_PER_ADVANCE - 1));
    let mut out = Vec::new();
    for number in *next..=to {
        match read(number)? {
            Some(item) => out.push(item),
            None => break,
        }
    }
    *next += out.len() as u64;
    Ok(out)
}

impl Changes {
    /// All of them as one JSON array (`eth_getFilterChanges`).
    pub(crate) fn to_json(&self) -> RpcResult<Box<RawValue>> {
        match self {
            Self::Hashes(items) => json(items),
            Self::Logs(items) => json(items),
            Self::Heads(items) => json(items),
            Self::Transactions(items) => json(items),
        }
    }

    /// Each on its own, in order (one `eth_subscription` notification each).
    pub(crate) fn into_items(self) -> RpcResult<Vec<Box<RawValue>>> {
        fn each<T: Serialize>(items: Vec<T>) -> RpcResult<Vec<Box<RawValue>>> {
            items.into_iter().map(json).collect()
        }
        match self {
            Self::Hashes(items) => each(items),
            Self::Logs(items) => each(items),
            Self::Heads(items) => each(items),
            Self::Transactions(items) => each(items),
        }
    }
}
