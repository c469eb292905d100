//! Forced inclusion in L2 time: the proposer keeps block timestamps where every L1 message due
//! by them is already in the chain.
//!
//! L1 (`CommonBridge.consumeDeposits`) refuses a batch that leaves out a message whose deadline
//! is before the batch's last block timestamp. The deadline is measured in L2 time so that a
//! batch stays committable however late it reaches L1 (an outage of the sequencer's L1 access
//! never freezes settlement); the price is that the proposer must not let L2 time run past a
//! deadline it has not honoured. Two things can make it:
//!
//! - a message the node has not seen: it was queued after the last L1 block the watcher has
//!   read ([`L1Clock`]), so its deadline is after `read_through + inclusion_period`;
//! - a message the node has seen but not yet included (a full block, the per-block cap):
//!   messages are included oldest first, so the first pending one has the earliest deadline.
//!
//! A block is therefore never later than either bound. When L1 cannot be read for longer than
//! the inclusion period, L2 time stands still (blocks go on, at the held timestamp) until the
//! watcher catches up: the analogue of the OP Stack's sequencer drift, without its halt.

use keel_primitives::L1Clock;

/// The L1 clock and the bridge's inclusion period, from the deployment.
#[derive(Debug, Clone)]
pub struct InclusionWindow {
    clock: L1Clock,
    period: u64,
}

impl InclusionWindow {
    /// The window of a bridge with `period` seconds (`CommonBridge.inclusionPeriod`) over
    /// `clock`, which the deposit watcher advances.
    pub fn new(clock: L1Clock, period: u64) -> Self {
        Self { clock, period }
    }

    /// No message the node has not seen is due before this L2 time (0 until the watcher has
    /// read L1 once: only the parent's timestamp is safe then). Read it before the snapshot the
    /// block is built from, so every message it accounts for is in that snapshot.
    pub fn unseen_due(&self) -> u64 {
        self.clock
            .read_through()
            .map_or(0, |t| t.saturating_add(self.period))
    }
}

/// The timestamp of the next block: the wall clock, never before the parent's, and never past
/// `limit` (the earliest time a message could be skipped) unless the parent already is.
pub(crate) fn next_timestamp(now: u64, parent: u64, limit: Option<u64>) -> u64 {
    now.min(limit.unwrap_or(u64::MAX)).max(parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l2_time_waits_for_l1_reads_and_pending_deadlines() {
        let clock = L1Clock::default();
        let window = InclusionWindow::new(clock.clone(), 25);
        // Nothing read yet: only the parent's time is safe.
        assert_eq!(window.unseen_due(), 0);
        assert_eq!(next_timestamp(1_000, 990, Some(window.unseen_due())), 990);

        clock.advance(980);
        assert_eq!(window.unseen_due(), 1_005);
        assert_eq!(next_timestamp(1_000, 990, Some(1_005)), 1_000, "wall clock");
        // L1 unread for longer than the period: time is held at the bound.
        assert_eq!(next_timestamp(1_010, 1_000, Some(1_005)), 1_005);
        // A pending message due earlier holds it there instead.
        assert_eq!(next_timestamp(1_000, 990, Some(1_005.min(995))), 995);
        // Never backwards.
        assert_eq!(next_timestamp(1_000, 1_003, Some(995)), 1_003);
        // No L1: the wall clock.
        assert_eq!(next_timestamp(1_000, 990, None), 1_000);
    }
}
