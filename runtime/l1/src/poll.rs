//! The loop the watcher and the settler share: poll, wait, back off after errors, stop on
//! shutdown.

use std::{future::Future, sync::Arc, time::Duration};

use keel_storage::{Storage, StorageResult};

use crate::{L1Error, L1Result};

/// The longest wait between two attempts after errors.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// How long to wait before the next attempt after `failures` failures in a row:
/// `interval · 2^failures`, at most [`MAX_BACKOFF`]. Every L1-facing loop of the node (watcher,
/// settler, follower, a based node's conductor) backs off this way.
pub fn retry_wait(interval: Duration, failures: u32) -> Duration {
    interval
        .saturating_mul(1 << failures.min(6))
        .min(MAX_BACKOFF)
}

/// What one poll found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Polled {
    /// Caught up: wait `interval` before the next poll.
    Idle,
    /// Did something and there may be more: poll again at once.
    Busy,
}

/// Calls `poll` until `shutdown` completes. After an error it waits `interval · 2^failures`
/// (at most [`MAX_BACKOFF`]) and hands the error and that wait to `report`; nothing is skipped,
/// the next poll starts from the same state. A fatal error ([`L1Error::is_fatal`]) is returned
/// instead: retrying cannot fix it, and the task's end stops the node with it. Shutdown also
/// cancels a poll in progress (a transaction waiting for its receipt): L1 is the record, so the
/// next start picks it up.
pub(crate) async fn poll_until_shutdown<F, Fut>(
    interval: Duration,
    shutdown: impl Future<Output = ()>,
    mut poll: F,
    report: impl Fn(&L1Error, Duration),
) -> L1Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Polled, L1Error>>,
{
    tokio::pin!(shutdown);
    let mut failures = 0u32;
    loop {
        let polled = tokio::select! {
            polled = poll() => polled,
            () = &mut shutdown => return Ok(()),
        };
        let wait = match polled {
            Ok(Polled::Idle) => {
                failures = 0;
                interval
            }
            Ok(Polled::Busy) => {
                failures = 0;
                Duration::ZERO
            }
            Err(error) if error.is_fatal() => return Err(error),
            Err(error) => {
                failures = failures.saturating_add(1);
                let wait = retry_wait(interval, failures);
                report(&error, wait);
                wait
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = &mut shutdown => return Ok(()),
        }
    }
}

/// Runs `work` on the storage off the async workers: a redb write waits for its fsync and
/// behind the proposer's block commit, which must not stall the runtime. A panic inside is
/// resumed in the calling task (the supervisor names it).
pub(crate) async fn blocking<T: Send + 'static>(
    storage: &Arc<Storage>,
    work: impl FnOnce(&Storage) -> StorageResult<T> + Send + 'static,
) -> L1Result<T> {
    let storage = storage.clone();
    match tokio::task::spawn_blocking(move || work(&storage)).await {
        Ok(result) => Ok(result?),
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(_) => Err(L1Error::ShuttingDown),
    }
}
