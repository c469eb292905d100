//! Fault injection for tests of the supervisor from outside the process (debug builds only).
//!
//! `KEEL_TEST_FAULT=<task>[@<ms>]` makes the critical task named `<task>` panic `<ms>`
//! milliseconds (default 1000) after it was spawned: an async task panics in its own poll, a
//! thread in its next wait on [`crate::Shutdown`]. Release builds ignore the variable, so a
//! production node cannot be told to crash.

use std::time::{Duration, Instant};

/// The environment variable that arms an injected panic (debug builds only).
pub const FAULT_ENV: &str = "KEEL_TEST_FAULT";

/// How long after spawning an injected panic fires when the variable names no delay.
const DEFAULT_DELAY: Duration = Duration::from_secs(1);

/// An armed panic of one task.
#[derive(Debug, Clone)]
pub(crate) struct Fault {
    pub(crate) task: &'static str,
    pub(crate) due: Instant,
}

impl Fault {
    /// The fault armed for `task`, if the environment names it (always `None` in release
    /// builds).
    pub(crate) fn armed(task: &'static str) -> Option<Self> {
        if !cfg!(debug_assertions) {
            return None;
        }
        let spec = std::env::var(FAULT_ENV).ok()?;
        let delay = parse(&spec, task)?;
        tracing::warn!(target: "keel::tasks", task, ?delay, "{FAULT_ENV}: this task will panic");
        Some(Self {
            task,
            due: Instant::now() + delay,
        })
    }

    /// Panics if the fault is due.
    pub(crate) fn fire_if_due(&self) {
        if Instant::now() >= self.due {
            self.fire();
        }
    }

    /// Panics.
    pub(crate) fn fire(&self) -> ! {
        panic!("fault injected into task `{}` ({FAULT_ENV})", self.task)
    }
}

/// The delay `spec` (`task` or `task@ms`) sets for `task`, if it names it.
fn parse(spec: &str, task: &str) -> Option<Duration> {
    let (name, delay) = match spec.split_once('@') {
        Some((name, ms)) => (name, Duration::from_millis(ms.trim().parse().ok()?)),
        None => (spec, DEFAULT_DELAY),
    };
    (name.trim() == task).then_some(delay)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_names_one_task() {
        assert_eq!(parse("proposer", "proposer"), Some(DEFAULT_DELAY));
        assert_eq!(parse("rpc@250", "rpc"), Some(Duration::from_millis(250)));
        assert_eq!(parse("rpc@250", "proposer"), None);
        assert_eq!(parse("rpc@soon", "rpc"), None);
    }
}
