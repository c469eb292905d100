//! [`Shutdown`]: the one stop signal every task receives.

use std::{
    future::Future,
    sync::{Arc, Condvar, Mutex},
    time::{Duration, Instant},
};

use tokio_util::sync::CancellationToken;

use crate::fault::Fault;

/// The node's stop signal, as one task sees it: awaitable by async tasks
/// ([`Shutdown::signalled`]) and waitable with a timeout by threads ([`Shutdown::wait`]).
///
/// Cloning is cheap; every clone observes the same signal.
#[derive(Debug, Clone)]
pub struct Shutdown {
    token: CancellationToken,
    /// For threads: set and notified together with the token.
    flag: Arc<(Mutex<bool>, Condvar)>,
    /// A panic this task's waits raise once due (debug builds, [`crate::FAULT_ENV`]).
    fault: Option<Fault>,
}

impl Shutdown {
    pub(crate) fn new() -> Self {
        Self {
            token: CancellationToken::new(),
            flag: Arc::new((Mutex::new(false), Condvar::new())),
            fault: None,
        }
    }

    /// This signal, for a task that carries `fault`.
    pub(crate) fn with_fault(&self, fault: Option<Fault>) -> Self {
        Self {
            fault,
            ..self.clone()
        }
    }

    /// Fires the signal (idempotent).
    pub(crate) fn signal(&self) {
        self.token.cancel();
        let (lock, wake) = &*self.flag;
        *lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = true;
        wake.notify_all();
    }

    /// Whether the node is stopping.
    pub fn is_signalled(&self) -> bool {
        self.check_fault();
        self.token.is_cancelled()
    }

    /// Completes once the node is stopping. `'static`: it can be handed to a server's accept
    /// loop.
    pub fn signalled(&self) -> impl Future<Output = ()> + Send + 'static {
        self.token.clone().cancelled_owned()
    }

    /// Blocks the calling thread for at most `timeout`; returns `true` as soon as the node is
    /// stopping. For tasks on their own OS thread, such as the proposer.
    pub fn wait(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let (lock, wake) = &*self.flag;
        let mut stopping = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        loop {
            self.check_fault();
            if *stopping {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            // A due fault must fire even while waiting: wake up by then.
            let until = self
                .fault
                .as_ref()
                .map_or(deadline, |fault| fault.due.min(deadline));
            let (guard, _) = wake
                .wait_timeout(stopping, until.saturating_duration_since(now))
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            stopping = guard;
        }
    }

    fn check_fault(&self) {
        if let Some(fault) = &self.fault {
            fault.fire_if_due();
        }
    }
}
