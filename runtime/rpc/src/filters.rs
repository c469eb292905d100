//! Polling filters: `eth_newFilter`, `eth_newBlockFilter`, `eth_newPendingTransactionFilter`,
//! `eth_getFilterChanges`, `eth_getFilterLogs` and `eth_uninstallFilter`, what ethers'
//! `contract.on` and viem's event filters poll over HTTP.
//!
//! ```text
//!  install ─ id (a counter, hex), cursor = the head + 1 (blocks, logs) or the pool's last
//!            arrival (pending transactions)
//!  changes ─ what came after the cursor: block hashes, the logs of those blocks the filter
//!            selects (at most `max_logs_range` blocks per poll: a slow poller gets the rest
//!            on the next), or pool arrivals; the cursor moves past them
//!  expiry  ─ a filter not polled for FILTER_TIMEOUT goes (geth's rule), checked on every call
//! ```
//!
//! Filters live in memory, as geth's do: a restart forgets them and a poll of a forgotten id
//! answers `filter not found`, after which clients install a new one.

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{B256, U256};
use alloy_rpc_types_eth::{Filter, FilterBlockOption};
use keel_mempool::Mempool;
use keel_storage::Snapshot;
use serde_json::value::RawValue;

use crate::{
    RpcError,
    api::EthApi,
    jsonrpc::{RpcResult, json},
};

/// A filter not polled for this long is dropped (geth's `filterTimeout`).
pub(crate) const FILTER_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// Most filters installed at once; one more is refused until some expire or are uninstalled.
pub(crate) const MAX_FILTERS: usize = 4_096;
/// Most block hashes one `eth_getFilterChanges` of a block filter returns.
const MAX_BLOCKS_PER_POLL: u64 = 10_000;

/// The installed filters of one API.
#[derive(Debug, Default)]
pub(crate) struct Filters {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    last_id: u64,
    installed: HashMap<u64, Installed>,
}

#[derive(Debug)]
struct Installed {
    kind: Kind,
    polled: Instant,
}

#[derive(Debug)]
enum Kind {
    /// Logs of blocks from `next` on.
    Logs { filter: Filter, next: u64 },
    /// Hashes of blocks from `next` on.
    Blocks { next: u64 },
    /// Pool arrivals after `after`.
    Pending { after: u64 },
}

impl Inner {
    fn expire(&mut self, now: Instant) {
        self.installed
            .retain(|_, filter| now.duration_since(filter.polled) < FILTER_TIMEOUT);
    }

    fn install(&mut self, kind: Kind) -> RpcResult<Box<RawValue>> {
        let now = Instant::now();
        self.expire(now);
        if self.installed.len() >= MAX_FILTERS {
            return Err(RpcError::server(format!(
                "too many filters installed ({MAX_FILTERS}); uninstall some or let them expire"
            )));
        }
        self.last_id += 1;
        self.installed
            .insert(self.last_id, Installed { kind, polled: now });
        json(U256::from(self.last_id))
    }

    fn get(&mut self, id: U256) -> RpcResult<&mut Installed> {
        self.expire(Instant::now());
        u64::try_from(id)
            .ok()
            .and_then(|id| self.installed.get_mut(&id))
            .ok_or_else(|| RpcError::server("filter not found"))
    }
}

impl Filters {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves nothing half-written that matters here.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `eth_newFilter`: logs of the blocks sealed from now on that `filter` selects.
    pub(crate) fn install_logs(
        &self,
        snapshot: &Snapshot,
        filter: Filter,
    ) -> RpcResult<Box<RawValue>> {
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
        let next = snapshot.head_number()? + 1;
        self.lock().install(Kind::Logs { filter, next })
    }

    /// `eth_newBlockFilter`: the hashes of blocks sealed from now on.
    pub(crate) fn install_blocks(&self, snapshot: &Snapshot) -> RpcResult<Box<RawValue>> {
        let next = snapshot.head_number()? + 1;
        self.lock().install(Kind::Blocks { next })
    }

    /// `eth_newPendingTransactionFilter`: the hashes of transactions the pool takes from now on.
    pub(crate) fn install_pending(&self, pool: &Mempool) -> RpcResult<Box<RawValue>> {
        let after = pool.last_arrival();
        self.lock().install(Kind::Pending { after })
    }

    /// `eth_getFilterChanges`: what filter `id` selects since its last poll.
    pub(crate) fn changes(
        &self,
        api: &EthApi,
        snapshot: &Snapshot,
        id: U256,
    ) -> RpcResult<Box<RawValue>> {
        let head = snapshot.head_number()?;
        let mut inner = self.lock();
        let installed = inner.get(id)?;
        installed.polled = Instant::now();
        match &mut installed.kind {
            Kind::Blocks { next } => {
                let to = head.min(next.saturating_add(MAX_BLOCKS_PER_POLL - 1));
                let mut hashes: Vec<B256> = Vec::new();
                for number in *next..=to {
                    match snapshot.canonical_hash(number)? {
                        Some(hash) => hashes.push(hash),
                        None => break,
                    }
                }
                *next += hashes.len() as u64;
                json(hashes)
            }
            Kind::Pending { after } => {
                let (hashes, last) = api.pool().arrived_after(*after);
                *after = last;
                json(hashes)
            }
            Kind::Logs { filter, next } => {
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
                json(logs)
            }
        }
    }

    /// The filter of log filter `id`, for `eth_getFilterLogs`.
    pub(crate) fn log_filter(&self, id: U256) -> RpcResult<Filter> {
        let mut inner = self.lock();
        let installed = inner.get(id)?;
        installed.polled = Instant::now();
        match &installed.kind {
            Kind::Logs { filter, .. } => Ok(filter.clone()),
            _ => Err(RpcError::server("filter not found")),
        }
    }

    /// `eth_uninstallFilter`: whether there was such a filter.
    pub(crate) fn uninstall(&self, id: U256) -> bool {
        let mut inner = self.lock();
        inner.expire(Instant::now());
        u64::try_from(id)
            .ok()
            .is_some_and(|id| inner.installed.remove(&id).is_some())
    }
}
