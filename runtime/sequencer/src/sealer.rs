//! Sealing closed batches off the proposer's thread.
//!
//! ```text
//!  proposer ── SealJob (number, blocks) ──▶ SealQueue (bounded) ──▶ Sealer (own thread)
//!     blocks when the queue is full           assemble: frame, blobs + KZG, prover input
//!     (backpressure, not a growing backlog)   self-check: the stateless STF re-runs it
//!                                             Storage::seal_batch ─▶ coordinator, settler
//! ```
//!
//! A batch reaches storage, and so provers and L1, only after its self-check passed: a batch
//! that cannot be proven is never committed. The check no longer sits in front of the next
//! block: the proposer closes the batch (a few counters) and builds on while the sealer works.
//! A failed check stops the sealer with [`SequencerError::SelfCheck`], and the proposer's next
//! hand-over returns the same error, so the node stops as before.
//!
//! Storage is the record: a batch is recorded as closed (`Storage::close_batch`) before it is
//! queued, so a job lost with the queue when the node stops is sealed on the next start, over
//! the same blocks ([`OpenBatch::load`]).
//!
//! [`OpenBatch::load`]: crate::batcher::OpenBatch::load

use std::{
    collections::VecDeque,
    sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use keel_primitives::{Batch, ChainSpec};
use keel_storage::Storage;
use keel_tasks::Shutdown;
use tracing::info;

use crate::{
    SequencerError, SequencerMetrics, SequencerResult,
    batcher::{assemble, missing, self_check},
    config::BatcherConfig,
};

/// Batches the proposer may close ahead of the sealer before it waits.
pub const SEAL_QUEUE_CAPACITY: usize = 2;
/// How often a waiting sealer or proposer looks at the shutdown signal.
const POLL: Duration = Duration::from_millis(100);

/// A batch the proposer closed: its number and blocks, and why it was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SealJob {
    pub(crate) number: u64,
    pub(crate) first_block: u64,
    pub(crate) last_block: u64,
    pub(crate) reason: &'static str,
}

/// The closed batches on their way from the proposer to the [`Sealer`], in order; cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct SealQueue(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    capacity: usize,
}

#[derive(Debug, Default)]
struct State {
    jobs: VecDeque<SealJob>,
    /// A job is being sealed.
    busy: bool,
    /// The sealer stopped on this error; every later hand-over returns it.
    failed: Option<String>,
    /// The sealer has stopped (shutdown): hand-overs are dropped, storage keeps the blocks.
    stopped: bool,
}

impl SealQueue {
    /// A queue holding at most `capacity` closed batches (at least one).
    pub fn new(capacity: usize) -> Self {
        Self(Arc::new(Shared {
            state: Mutex::default(),
            changed: Condvar::new(),
            capacity: capacity.max(1),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change is a whole assignment: a panic leaves nothing half-written.
        self.0.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.0
            .changed
            .wait_timeout(guard, POLL)
            .unwrap_or_else(PoisonError::into_inner)
            .0
    }

    /// Hands `job` to the sealer, waiting while the queue is full.
    pub(crate) fn push(&self, job: SealJob) -> SequencerResult<()> {
        let mut state = self.lock();
        loop {
            if let Some(error) = &state.failed {
                return Err(SequencerError::SealerStopped(error.clone()));
            }
            if state.stopped {
                return Ok(());
            }
            if state.jobs.len() < self.0.capacity {
                state.jobs.push_back(job);
                self.0.changed.notify_all();
                return Ok(());
            }
            state = self.wait(state);
        }
    }

    /// Waits until every job handed over is sealed (a based node's turn ends only then).
    pub(crate) fn flush(&self) -> SequencerResult<()> {
        let mut state = self.lock();
        loop {
            if let Some(error) = &state.failed {
                return Err(SequencerError::SealerStopped(error.clone()));
            }
            if state.stopped || (state.jobs.is_empty() && !state.busy) {
                return Ok(());
            }
            state = self.wait(state);
        }
    }

    /// The sealer's side: the next job, or `None` once every job handed over is sealed and
    /// shutdown is signalled or no proposer holds the queue any more.
    fn next(&self, shutdown: &Shutdown) -> Option<SealJob> {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.jobs.pop_front() {
                state.busy = true;
                self.0.changed.notify_all();
                return Some(job);
            }
            if shutdown.is_signalled() || Arc::strong_count(&self.0) == 1 {
                state.stopped = true;
                self.0.changed.notify_all();
                return None;
            }
            state = self.wait(state);
        }
    }

    /// The sealer's side: the job it took is done, or failed with `error`.
    fn done(&self, error: Option<&SequencerError>) {
        let mut state = self.lock();
        state.busy = false;
        if let Some(error) = error {
            state.failed = Some(error.to_string());
            state.stopped = true;
        }
        self.0.changed.notify_all();
    }
}

/// Seals the batches the proposer closes, in order, on its own thread (the node's part
/// `sealer`).
#[derive(Debug)]
pub struct Sealer {
    spec: ChainSpec,
    config: BatcherConfig,
    storage: Arc<Storage>,
    metrics: SequencerMetrics,
    queue: SealQueue,
}

impl Sealer {
    /// A sealer taking jobs from `queue` (the one given to the proposer).
    pub fn new(
        spec: ChainSpec,
        config: BatcherConfig,
        storage: Arc<Storage>,
        metrics: SequencerMetrics,
        queue: SealQueue,
    ) -> Self {
        Self {
            spec,
            config,
            storage,
            metrics,
            queue,
        }
    }

    /// Seals jobs until `shutdown` is signalled and the queue is empty, or a seal fails (a
    /// self-check that disagrees, storage): then with that error, which the proposer's next
    /// hand-over returns too.
    pub fn run(self, shutdown: &Shutdown) -> SequencerResult<()> {
        while let Some(job) = self.queue.next(shutdown) {
            let sealed = seal(&self.spec, &self.config, &self.storage, &self.metrics, job);
            self.queue.done(sealed.as_ref().err());
            sealed?;
        }
        Ok(())
    }
}

/// Seals `job`: assembles its prover input and blobs from storage, self-checks it when the
/// config says so, and stores it.
pub(crate) fn seal(
    spec: &ChainSpec,
    config: &BatcherConfig,
    storage: &Storage,
    metrics: &SequencerMetrics,
    job: SealJob,
) -> SequencerResult<Batch> {
    let snapshot = storage.snapshot()?;
    let (input, batch) = assemble(
        spec,
        config,
        &snapshot,
        job.number,
        job.first_block,
        job.last_block,
    )?;
    let encoded = input.encode();
    let batch = Batch {
        input_bytes: encoded.len() as u64,
        ..batch
    };
    if config.self_check {
        let headers = (batch.first_block..=batch.last_block)
            .map(|n| {
                snapshot
                    .sealed_header(n)?
                    .ok_or_else(|| missing("headers", n))
            })
            .collect::<SequencerResult<Vec<_>>>()?;
        self_check(&input, &batch, &headers)?;
    }
    drop(snapshot);
    storage.seal_batch(&batch, &encoded, &input.frame)?;
    metrics.batches.inc();
    info!(
        target: "keel::batcher",
        batch = batch.number,
        blocks = %format_args!("{}..={}", batch.first_block, batch.last_block),
        txs = batch.transactions,
        gas_used = batch.gas_used,
        witness_bytes = batch.witness_bytes,
        input_bytes = batch.input_bytes,
        payload_bytes = input.frame.len(),
        blobs = batch.blobs.len(),
        commitment = %batch.output.commitment(),
        reason = job.reason,
        "sealed batch"
    );
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(number: u64) -> SealJob {
        SealJob {
            number,
            first_block: number,
            last_block: number,
            reason: "test",
        }
    }

    #[test]
    fn a_failed_seal_stops_every_later_hand_over_and_flush() {
        let queue = SealQueue::new(2);
        queue.push(job(1)).unwrap();
        {
            let mut state = queue.lock();
            state.jobs.pop_front();
            state.busy = true;
        }
        queue.done(Some(&SequencerError::SelfCheck {
            batch: 1,
            detail: "a different state root".into(),
        }));
        for outcome in [queue.push(job(2)), queue.flush()] {
            match outcome {
                Err(SequencerError::SealerStopped(why)) => {
                    assert!(why.contains("self-check failed for batch 1"), "{why}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_full_queue_holds_the_proposer_until_the_sealer_takes_a_job() {
        let queue = SealQueue::new(1);
        queue.push(job(1)).unwrap();
        let pusher = {
            let queue = queue.clone();
            std::thread::spawn(move || queue.push(job(2)))
        };
        std::thread::sleep(Duration::from_millis(300));
        assert!(!pusher.is_finished(), "the second job must wait for room");
        assert_eq!(queue.lock().jobs.pop_front(), Some(job(1)));
        queue.0.changed.notify_all();
        pusher.join().unwrap().unwrap();
        assert_eq!(queue.lock().jobs.pop_front(), Some(job(2)));
    }
}
