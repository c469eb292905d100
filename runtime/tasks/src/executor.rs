//! [`TaskManager`] and [`TaskExecutor`]: spawning, watching and stopping the node's tasks.

use std::{
    collections::BTreeMap,
    fmt::Display,
    future::Future,
    panic::AssertUnwindSafe,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot};
use tokio_util::task::TaskTracker;
use tracing::{Instrument, debug, error, info, info_span, warn};

use crate::{Shutdown, TaskError, TaskExit, error::panic_message, fault::Fault};

/// Owns the node's tasks: hands out [`TaskExecutor`]s, reports the first critical task that
/// ends, and stops everything with a bound.
#[derive(Debug)]
pub struct TaskManager {
    executor: TaskExecutor,
    exits: mpsc::UnboundedReceiver<TaskError>,
}

/// Spawns named tasks onto the current tokio runtime (or OS threads) under one [`Shutdown`].
#[derive(Debug, Clone)]
pub struct TaskExecutor {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    shutdown: Shutdown,
    /// Every task and thread, so shutdown can wait for all of them.
    tracker: TaskTracker,
    /// The critical tasks and threads running now, by spawn id: named when shutdown overruns.
    running: Mutex<BTreeMap<u64, &'static str>>,
    next_id: AtomicU64,
    exits: mpsc::UnboundedSender<TaskError>,
}

impl Default for TaskManager {
    fn default() -> Self {
        Self::new()
    }
}

impl TaskManager {
    /// A manager with no tasks yet.
    pub fn new() -> Self {
        let (exits_tx, exits) = mpsc::unbounded_channel();
        Self {
            executor: TaskExecutor {
                inner: Arc::new(Inner {
                    shutdown: Shutdown::new(),
                    tracker: TaskTracker::new(),
                    running: Mutex::new(BTreeMap::new()),
                    next_id: AtomicU64::new(0),
                    exits: exits_tx,
                }),
            },
            exits,
        }
    }

    /// A handle to spawn tasks with.
    pub fn executor(&self) -> TaskExecutor {
        self.executor.clone()
    }

    /// Completes when a critical task ends before shutdown, with its name and how it ended.
    /// (Pending forever if none ever does.)
    pub async fn critical_exit(&mut self) -> TaskError {
        match self.exits.recv().await {
            Some(exit) => exit,
            // The manager holds a sender through its executor: the channel never closes.
            None => std::future::pending().await,
        }
    }

    /// The names of the critical tasks and threads running now, in spawn order.
    pub fn running(&self) -> Vec<&'static str> {
        self.executor.inner.running_names()
    }

    /// Signals shutdown to every task and waits for all of them to end, at most `bound`.
    pub async fn shutdown(self, bound: Duration) -> Result<(), TaskError> {
        let inner = &self.executor.inner;
        inner.shutdown.signal();
        inner.tracker.close();
        info!(target: "keel::tasks", tasks = inner.tracker.len(), ?bound, "shutdown signalled; waiting for tasks");
        if tokio::time::timeout(bound, inner.tracker.wait())
            .await
            .is_ok()
        {
            return Ok(());
        }
        let names = inner.running_names();
        let others = inner.tracker.len().saturating_sub(names.len());
        let mut still_running: Vec<String> = names.into_iter().map(str::to_owned).collect();
        if others > 0 {
            still_running.push(format!("{others} other task(s)"));
        }
        Err(TaskError::ShutdownTimedOut {
            bound,
            still_running,
        })
    }
}

impl Inner {
    fn running_names(&self) -> Vec<&'static str> {
        self.running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .values()
            .copied()
            .collect()
    }

    /// Records a critical task as running; the guard removes it when dropped.
    fn register(self: &Arc<Self>, name: &'static str) -> Running {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(id, name);
        Running {
            inner: self.clone(),
            id,
        }
    }

    /// What a critical task's end means: nothing during shutdown (an error is still logged),
    /// a [`TaskError::CriticalTaskExited`] otherwise.
    fn ended(&self, name: &'static str, exit: Option<TaskExit>) {
        let stopping = self.shutdown.is_signalled();
        match (exit, stopping) {
            (None, true) => debug!(target: "keel::tasks", task = name, "task stopped"),
            (Some(exit), true) => {
                warn!(target: "keel::tasks", task = name, %exit, "task ended badly during shutdown")
            }
            (exit, false) => {
                let exit = exit.unwrap_or(TaskExit::Returned);
                error!(target: "keel::tasks", task = name, %exit, "critical task ended; the node stops");
                // The receiver lives as long as the manager; once it is gone nobody waits.
                let _ = self
                    .exits
                    .send(TaskError::CriticalTaskExited { name, exit });
            }
        }
    }
}

/// A critical task's entry in [`Inner::running`], removed on drop (also on unwind).
struct Running {
    inner: Arc<Inner>,
    id: u64,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.inner
            .running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&self.id);
    }
}

/// A task's result as the supervisor judges it: `None` for a clean `Ok`.
fn judge<E: Display>(outcome: std::thread::Result<Result<(), E>>) -> Option<TaskExit> {
    match outcome {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(TaskExit::Failed(error.to_string())),
        Err(payload) => Some(TaskExit::Panicked(panic_message(payload.as_ref()))),
    }
}

impl TaskExecutor {
    /// The node's stop signal.
    pub fn shutdown(&self) -> Shutdown {
        self.inner.shutdown.clone()
    }

    /// Spawns a critical task: `task` gets the stop signal and must return once it fires. If
    /// it returns, fails or panics before that, the node stops with `name` in the error.
    pub fn spawn_critical<F, Fut, E>(&self, name: &'static str, task: F)
    where
        F: FnOnce(Shutdown) -> Fut,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Display + Send + 'static,
    {
        let fault = Fault::armed(name);
        let future = task(self.inner.shutdown.clone());
        let inner = self.inner.clone();
        let running = inner.register(name);
        let span = info_span!(target: "keel::tasks", "task", name);
        self.inner.tracker.spawn(
            async move {
                let future = async move {
                    match fault {
                        None => future.await,
                        Some(fault) => {
                            let due = tokio::time::Instant::from_std(fault.due);
                            tokio::select! {
                                result = future => result,
                                () = tokio::time::sleep_until(due) => fault.fire(),
                            }
                        }
                    }
                };
                let outcome = AssertUnwindSafe(future).catch_unwind().await;
                drop(running);
                inner.ended(name, judge(outcome));
            }
            .instrument(span),
        );
    }

    /// Spawns a critical task on its own OS thread (named `keel-<name>`), for CPU-bound or
    /// blocking loops such as the proposer. `task` gets the stop signal (see
    /// [`Shutdown::wait`]); the rules of [`TaskExecutor::spawn_critical`] apply.
    pub fn spawn_critical_thread<F, E>(&self, name: &'static str, task: F) -> Result<(), TaskError>
    where
        F: FnOnce(Shutdown) -> Result<(), E> + Send + 'static,
        E: Display + Send + 'static,
    {
        let shutdown = self.inner.shutdown.with_fault(Fault::armed(name));
        let inner = self.inner.clone();
        let running = inner.register(name);
        // The tracker cannot hold a thread: a task that ends with it stands in.
        let (done, ended) = oneshot::channel::<()>();
        self.inner.tracker.spawn(async move {
            let _ = ended.await;
        });
        let span = info_span!(target: "keel::tasks", "task", name);
        std::thread::Builder::new()
            .name(format!("keel-{name}"))
            .spawn(move || {
                let _entered = span.enter();
                let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| task(shutdown)));
                drop(running);
                inner.ended(name, judge(outcome));
                drop(done);
            })
            .map(drop)
            .map_err(|source| TaskError::Spawn { name, source })
    }

    /// Spawns a task that is not critical (a connection handler, one request): shutdown waits
    /// for it within its bound, and a panic is logged, never fatal.
    pub fn spawn<Fut>(&self, name: &'static str, future: Fut)
    where
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.inner.tracker.spawn(async move {
            if let Err(payload) = AssertUnwindSafe(future).catch_unwind().await {
                error!(target: "keel::tasks", task = name, panic = %panic_message(payload.as_ref()), "task panicked");
            }
        });
    }
}
