//! The loop the watcher and the settler share: poll, wait, back off after errors, stop on
//! shutdown.

use std::{future::Future, time::Duration};

use tokio::sync::watch;

use crate::L1Error;

/// The longest wait between two attempts after errors.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What one poll found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Polled {
    /// Caught up: wait `interval` before the next poll.
    Idle,
    /// Did something and there may be more: poll again at once.
    Busy,
}

/// Calls `poll` until `shutdown` turns true. After an error it waits `interval · 2^failures`
/// (at most [`MAX_BACKOFF`]) and hands the error and that wait to `report`; nothing is skipped,
/// the next poll starts from the same state. Shutdown also cancels a poll in progress (a
/// transaction waiting for its receipt): L1 is the record, so the next start picks it up.
pub(crate) async fn poll_until_shutdown<F, Fut>(
    interval: Duration,
    mut shutdown: watch::Receiver<bool>,
    mut poll: F,
    report: impl Fn(&L1Error, Duration),
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Polled, L1Error>>,
{
    let mut failures = 0u32;
    loop {
        let polled = tokio::select! {
            polled = poll() => polled,
            _ = shutdown.changed() => return,
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
            Err(error) => {
                failures = failures.saturating_add(1);
                let wait = interval
                    .saturating_mul(1 << failures.min(6))
                    .min(MAX_BACKOFF);
                report(&error, wait);
                wait
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
    }
}
