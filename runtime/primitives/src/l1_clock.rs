//! How far the node has read L1: the time up to which every L1 message is known.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

/// The timestamp of the newest L1 block whose messages the deposit watcher has all recorded,
/// shared between the watcher (which advances it after each committed scan) and the proposer
/// (which never lets L2 time pass a deadline it might not know of). `None` until the first
/// scan after start.
///
/// Every message not yet seen was queued in a later L1 block, so its deadline is after
/// `read_through + inclusion period`: an L2 block no later than that never owes it.
#[derive(Debug, Clone, Default)]
pub struct L1Clock(Arc<AtomicU64>);

impl L1Clock {
    /// The L1 time every message up to which is recorded, if the watcher has read any.
    pub fn read_through(&self) -> Option<u64> {
        Some(self.0.load(Ordering::Acquire)).filter(|t| *t > 0)
    }

    /// Records that every message of L1 blocks up to one at `timestamp` is recorded. The clock
    /// never goes back (an L1 reorg may show an older head for a while).
    pub fn advance(&self, timestamp: u64) {
        self.0.fetch_max(timestamp, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unread_until_advanced_and_never_back() {
        let clock = L1Clock::default();
        assert_eq!(clock.read_through(), None);
        let shared = clock.clone();
        shared.advance(100);
        assert_eq!(clock.read_through(), Some(100));
        shared.advance(90);
        assert_eq!(clock.read_through(), Some(100));
    }
}
