//! How a task ended, and why a node stops.

use std::time::Duration;

/// How a critical task ended when it should not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskExit {
    /// It returned `Ok` while the node was still running.
    Returned,
    /// It returned an error (its `Display`).
    Failed(String),
    /// It panicked (the panic message).
    Panicked(String),
}

impl core::fmt::Display for TaskExit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Returned => f.write_str("ended while the node was running"),
            Self::Failed(error) => write!(f, "failed: {error}"),
            Self::Panicked(message) => write!(f, "panicked: {message}"),
        }
    }
}

/// Why the supervisor stops a node, or could not stop it cleanly.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// A critical task ended before shutdown: the node is no longer whole.
    #[error("critical task `{name}` {exit}")]
    CriticalTaskExited {
        /// The task's name.
        name: &'static str,
        /// How it ended.
        exit: TaskExit,
    },
    /// Some tasks were still running when the shutdown bound passed.
    #[error("{} still running {bound:?} after shutdown was signalled: {}", if still_running.len() == 1 { "a task was" } else { "tasks were" }, still_running.join(", "))]
    ShutdownTimedOut {
        /// The bound.
        bound: Duration,
        /// The critical tasks and threads still running (other tasks are counted).
        still_running: Vec<String>,
    },
    /// An OS thread could not be started.
    #[error("cannot start the thread of task `{name}`: {source}")]
    Spawn {
        /// The task's name.
        name: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// The message of a caught panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&'static str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}
