//! The `pruner` part of a full node: drops the trie of states older than `[pruning]` keeps,
//! a little at a time, on its own thread.

use std::{sync::Arc, time::Duration};

use keel_storage::{StateHistory, Storage, StorageError};
use keel_tasks::Shutdown;
use tracing::{debug, info};

/// How often the pruner looks for states to drop.
const PRUNE_INTERVAL: Duration = Duration::from_secs(2);

/// Most stale-node entries one write transaction applies: ~100 ms of work, so the proposer's
/// block commit (which waits for redb's one writer) is never held up long.
const MAX_REFERENCES_PER_WRITE: usize = 100_000;

/// Prunes old state on a full node ([`Storage::prune_state`]).
#[derive(Debug)]
pub(crate) struct Pruner {
    storage: Arc<Storage>,
    history: u64,
    /// The node settles nowhere and follows nothing: no block can ever be unwound, so the
    /// pruner also drops change sets (a settling node drops them once L1 finalized them).
    standalone: bool,
}

impl Pruner {
    /// A pruner for `storage`, or `None` on an archive node.
    pub(crate) fn new(storage: Arc<Storage>, standalone: bool) -> Option<Self> {
        match storage.state_history() {
            StateHistory::Archive => None,
            StateHistory::Full { blocks } => Some(Self {
                storage,
                history: blocks,
                standalone,
            }),
        }
    }

    /// Prunes until the node stops.
    pub(crate) fn run(self, shutdown: &Shutdown) -> Result<(), StorageError> {
        let mut reported = 0;
        while !shutdown.wait(PRUNE_INTERVAL) {
            if self.standalone {
                let head = self.storage.snapshot()?.head_number()?;
                self.storage
                    .prune_changesets_to(head.saturating_sub(self.history))?;
            }
            let mut nodes = 0;
            let state_from = loop {
                let pruned = self.storage.prune_state(MAX_REFERENCES_PER_WRITE)?;
                nodes += pruned.nodes;
                if pruned.blocks == 0 || shutdown.is_signalled() {
                    break pruned.state_from;
                }
            };
            debug!(target: "keel::pruner", state_from, nodes, "pruned");
            // One line per 1,000 blocks of progress, not per pass.
            if state_from / 1000 > reported / 1000 {
                info!(target: "keel::pruner", state_from, history = self.history, "old state pruned: states from this block on are kept");
                reported = state_from;
            }
        }
        Ok(())
    }
}
