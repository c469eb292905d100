//! The registry: which plugin fills each slot, and the swaps waiting for their block.
//!
//! A swap never changes a block in progress. The proposer calls [`PluginRegistry::begin_block`]
//! once per block; that is the only place a scheduled plugin becomes active, so every block is
//! built by one consistent set of plugins, and the set it was built by is what the caller records.

use std::sync::{Arc, Mutex, MutexGuard};

use crate::{BridgePlugin, FeePlugin, OrderingPlugin, Plugin, PluginSlot};

/// The plugin in each slot (`None`: the native rule).
#[derive(Debug, Clone, Default)]
pub struct ActiveSet([Option<Arc<Plugin>>; 3]);

impl ActiveSet {
    /// The plugin in `slot`.
    pub fn get(&self, slot: PluginSlot) -> Option<&Arc<Plugin>> {
        self.0[usize::from(slot.tag())].as_ref()
    }

    /// Puts `plugin` in its slot, returning the one it replaces.
    pub fn insert(&mut self, plugin: Arc<Plugin>) -> Option<Arc<Plugin>> {
        self.0[usize::from(plugin.slot().tag())].replace(plugin)
    }

    /// The active ordering plugin.
    pub fn ordering(&self) -> Option<&OrderingPlugin> {
        self.get(PluginSlot::Ordering).and_then(|p| p.as_ordering())
    }

    /// The active fee plugin.
    pub fn fee(&self) -> Option<&FeePlugin> {
        self.get(PluginSlot::Fee).and_then(|p| p.as_fee())
    }

    /// The active bridge plugin.
    pub fn bridge(&self) -> Option<&BridgePlugin> {
        self.get(PluginSlot::Bridge).and_then(|p| p.as_bridge())
    }

    /// The plugins present, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Plugin>> {
        self.0.iter().flatten()
    }
}

/// A plugin waiting for its block.
#[derive(Debug, Clone)]
pub struct Scheduled {
    /// The first block it shapes.
    pub at: u64,
    /// The plugin.
    pub plugin: Arc<Plugin>,
}

/// A swap that cannot be scheduled; `E` is the caller's persistence error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError<E> {
    /// The requested block is already built or being built.
    #[error(
        "block {requested} is already built or being built; the earliest block a swap can take effect at is {next}"
    )]
    Past {
        /// The block asked for.
        requested: u64,
        /// The first block not begun yet.
        next: u64,
    },
    /// Recording the swap failed; nothing changed.
    #[error(transparent)]
    Persist(E),
}

/// What a block starts with.
#[derive(Debug, Clone)]
pub struct BlockStart {
    /// The plugins that build this block.
    pub set: ActiveSet,
    /// The plugins that became active at this block (their swaps take effect here).
    pub activated: Vec<Arc<Plugin>>,
}

#[derive(Debug)]
struct State {
    active: ActiveSet,
    pending: [Option<Scheduled>; 3],
    /// The first block not begun yet.
    next: u64,
}

impl State {
    /// The set that block `number` would be built with.
    fn at(&self, number: u64) -> ActiveSet {
        let mut set = self.active.clone();
        for scheduled in self.pending.iter().flatten() {
            if scheduled.at <= number {
                set.insert(scheduled.plugin.clone());
            }
        }
        set
    }
}

/// The active plugins and the scheduled swaps; shared by the proposer and the admin API.
#[derive(Debug)]
pub struct PluginRegistry {
    state: Mutex<State>,
}

impl PluginRegistry {
    /// A registry whose next block is `next_block`, with `active` in place.
    pub fn new(active: ActiveSet, next_block: u64) -> Self {
        Self {
            state: Mutex::new(State {
                active,
                pending: Default::default(),
                next: next_block,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is replaced whole under the lock, never left half-written: a panic
        // elsewhere while holding it cannot corrupt it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Schedules `plugin` to take its slot at block `at`, or at the next block not begun yet.
    ///
    /// `persist` runs under the registry's lock with the resolved block, before the swap is
    /// visible; if it fails nothing changes. A swap already scheduled for the same slot is
    /// replaced and returned.
    pub fn schedule<E>(
        &self,
        plugin: Arc<Plugin>,
        at: Option<u64>,
        persist: impl FnOnce(u64) -> Result<(), E>,
    ) -> Result<(u64, Option<Scheduled>), ScheduleError<E>> {
        let mut state = self.lock();
        let at = match at {
            None => state.next,
            Some(requested) if requested < state.next => {
                return Err(ScheduleError::Past {
                    requested,
                    next: state.next,
                });
            }
            Some(requested) => requested,
        };
        persist(at).map_err(ScheduleError::Persist)?;
        let slot = usize::from(plugin.slot().tag());
        let replaced = state.pending[slot].replace(Scheduled { at, plugin });
        Ok((at, replaced))
    }

    /// Starts block `number`: activates the swaps due by then and returns the set to build it
    /// with.
    pub fn begin_block(&self, number: u64) -> BlockStart {
        let mut state = self.lock();
        let mut activated = Vec::new();
        for pending in &mut state.pending {
            if pending.as_ref().is_some_and(|s| s.at <= number) {
                activated.extend(pending.take().map(|s| s.plugin));
            }
        }
        for plugin in &activated {
            state.active.insert(plugin.clone());
        }
        state.next = number + 1;
        BlockStart {
            set: state.active.clone(),
            activated,
        }
    }

    /// The set block `number` would be built with, if it were begun now (for estimates such as
    /// the pending block's base fee).
    pub fn at(&self, number: u64) -> ActiveSet {
        self.lock().at(number)
    }

    /// The plugins active now.
    pub fn active(&self) -> ActiveSet {
        self.lock().active.clone()
    }

    /// The swaps waiting for their block.
    pub fn pending(&self) -> Vec<Scheduled> {
        self.lock().pending.iter().flatten().cloned().collect()
    }
}
