//! [`Rates`]: blocks and transactions per second over the last minutes, sampled by the server
//! so a page opened now has its chart at once.

use std::{
    collections::VecDeque,
    sync::{Mutex, PoisonError},
    time::Duration,
};

use keel_storage::{Snapshot, StorageResult};
use serde::Serialize;

/// How often the head is sampled.
pub const SAMPLE_INTERVAL: Duration = Duration::from_secs(2);
/// How far back the chart goes.
pub const RATE_WINDOW: Duration = Duration::from_secs(5 * 60);
/// Most blocks one sample counts the transactions of (a node catching up after a long gap
/// counts the rest as empty rather than stalling the page).
const MAX_BLOCKS_PER_SAMPLE: u64 = 2_000;

#[derive(Debug, Clone, Copy)]
struct Sample {
    at_ms: u64,
    head: u64,
    /// Transactions in blocks up to `head`, counted from the first sample.
    transactions: u64,
}

/// One interval of the chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rate {
    /// The interval's end, Unix milliseconds.
    pub at_ms: u64,
    /// Blocks per second over the interval.
    pub blocks_per_second: f64,
    /// Transactions per second over the interval.
    pub transactions_per_second: f64,
}

/// The samples of the last [`RATE_WINDOW`].
#[derive(Debug, Default)]
pub(crate) struct Rates {
    samples: Mutex<VecDeque<Sample>>,
}

impl Rates {
    /// Takes a sample of `snapshot`'s head at `now_ms`.
    pub(crate) fn sample(&self, snapshot: &Snapshot, now_ms: u64) -> StorageResult<()> {
        let head = snapshot.head_number()?;
        let last_head = self.lock().back().map(|s| s.head);
        let mut new_transactions = 0;
        if let Some(last_head) = last_head.filter(|last| head >= *last) {
            for number in last_head + 1..=head.min(last_head + MAX_BLOCKS_PER_SAMPLE) {
                new_transactions += snapshot
                    .body(number)?
                    .map_or(0, |(txs, _)| txs.len() as u64);
            }
        }
        self.record(now_ms, head, new_transactions);
        Ok(())
    }

    /// Records the head at `now_ms` with the transactions of the blocks since the last sample;
    /// drops samples older than [`RATE_WINDOW`]. A head that went back (an unwind) starts over.
    fn record(&self, now_ms: u64, head: u64, new_transactions: u64) {
        let mut samples = self.lock();
        let transactions = match samples.back() {
            Some(last) if head >= last.head => last.transactions + new_transactions,
            _ => {
                samples.clear();
                0
            }
        };
        samples.push_back(Sample {
            at_ms: now_ms,
            head,
            transactions,
        });
        let window_ms = RATE_WINDOW.as_millis() as u64;
        while samples
            .front()
            .is_some_and(|s| now_ms.saturating_sub(s.at_ms) > window_ms)
        {
            samples.pop_front();
        }
    }

    /// The rate over each interval between two samples, oldest first.
    pub(crate) fn series(&self) -> Vec<Rate> {
        let samples = self.lock();
        samples
            .iter()
            .zip(samples.iter().skip(1))
            .filter(|(a, b)| b.at_ms > a.at_ms)
            .map(|(a, b)| {
                let seconds = (b.at_ms - a.at_ms) as f64 / 1_000.0;
                Rate {
                    at_ms: b.at_ms,
                    blocks_per_second: (b.head - a.head) as f64 / seconds,
                    transactions_per_second: (b.transactions - a.transactions) as f64 / seconds,
                }
            })
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Sample>> {
        // A sample is pushed whole or not at all.
        self.samples.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_per_interval_and_forget_what_is_past_the_window() {
        let rates = Rates::default();
        rates.record(0, 10, 0);
        rates.record(2_000, 14, 100);
        rates.record(4_000, 15, 10);
        let series = rates.series();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].blocks_per_second, 2.0);
        assert_eq!(series[0].transactions_per_second, 50.0);
        assert_eq!(series[1].blocks_per_second, 0.5);
        assert_eq!(series[1].transactions_per_second, 5.0);

        // Past the window the first samples go.
        let late = RATE_WINDOW.as_millis() as u64 + 3_000;
        rates.record(late, 16, 0);
        assert_eq!(rates.series().len(), 1);
    }

    #[test]
    fn a_head_that_went_back_starts_the_series_over() {
        let rates = Rates::default();
        rates.record(0, 10, 0);
        rates.record(2_000, 12, 4);
        rates.record(4_000, 9, 0);
        assert!(rates.series().is_empty());
        rates.record(6_000, 11, 6);
        assert_eq!(rates.series()[0].transactions_per_second, 3.0);
    }
}
