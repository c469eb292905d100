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
//! The cursors and what they read are [`crate::watch`]'s, shared with WebSocket
//! subscriptions. Filters live in memory, as geth's do: a restart forgets them and a poll of a forgotten id
//! answers `filter not found`, after which clients install a new one.

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use alloy_primitives::U256;
use alloy_rpc_types_eth::Filter;
use keel_storage::Snapshot;
use serde_json::value::RawValue;

use crate::{
    RpcError,
    api::EthApi,
    jsonrpc::{RpcResult, json},
    watch::Watch,
};

/// A filter not polled for this long is dropped (geth's `filterTimeout`).
pub(crate) const FILTER_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// Most filters installed at once; one more is refused until some expire or are uninstalled.
pub(crate) const MAX_FILTERS: usize = 4_096;

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
    watch: Watch,
    polled: Instant,
}

impl Inner {
    fn expire(&mut self, now: Instant) {
        self.installed
            .retain(|_, filter| now.duration_since(filter.polled) < FILTER_TIMEOUT);
    }

    fn install(&mut self, watch: Watch) -> RpcResult<Box<RawValue>> {
        let now = Instant::now();
        self.expire(now);
        if self.installed.len() >= MAX_FILTERS {
            return Err(RpcError::server(format!(
                "too many filters installed ({MAX_FILTERS}); uninstall some or let them expire"
            )));
        }
        self.last_id += 1;
        self.installed
            .insert(self.last_id, Installed { watch, polled: now });
        json(U256::from(self.last_id))
    }

    fn get(&mut self, id: U256) -> RpcResult<&mut Installed> {
        self.expire(Instant::now());
        let installed = u64::try_from(id)
            .ok()
            .and_then(|id| self.installed.get_mut(&id))
            .ok_or_else(|| RpcError::server("filter not found"))?;
        installed.polled = Instant::now();
        Ok(installed)
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
        let watch = Watch::logs(snapshot, filter)?;
        self.lock().install(watch)
    }

    /// `eth_newBlockFilter`: the hashes of blocks sealed from now on.
    pub(crate) fn install_blocks(&self, snapshot: &Snapshot) -> RpcResult<Box<RawValue>> {
        let watch = Watch::blocks(snapshot, false)?;
        self.lock().install(watch)
    }

    /// `eth_newPendingTransactionFilter`: the hashes of transactions the pool takes from now on.
    pub(crate) fn install_pending(&self, api: &EthApi) -> RpcResult<Box<RawValue>> {
        self.lock().install(Watch::pending(api, false))
    }

    /// `eth_getFilterChanges`: what filter `id` selects since its last poll.
    pub(crate) fn changes(
        &self,
        api: &EthApi,
        snapshot: &Snapshot,
        id: U256,
    ) -> RpcResult<Box<RawValue>> {
        let mut inner = self.lock();
        inner.get(id)?.watch.advance(api, snapshot)?.to_json()
    }

    /// The filter of log filter `id`, for `eth_getFilterLogs`.
    pub(crate) fn log_filter(&self, id: U256) -> RpcResult<Filter> {
        match &self.lock().get(id)?.watch {
            Watch::Logs { filter, .. } => Ok((**filter).clone()),
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
