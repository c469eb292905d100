//! The node's task supervisor: every long-lived part of a node is spawned here, by name.
//!
//! ```text
//!  TaskManager::new() ──executor()──▶ TaskExecutor (Clone, Send)
//!     spawn_critical("rpc", |shutdown| serve(…, shutdown.signalled()))      a tokio task
//!     spawn_critical_thread("proposer", |shutdown| loop { … })              an OS thread
//!     spawn("rpc-connection", future)                                       tracked, not critical
//!
//!  a critical task that returns, fails or panics before shutdown
//!     ─▶ TaskManager::critical_exit() yields TaskError::CriticalTaskExited { name, exit }
//!  TaskManager::shutdown(bound): one signal reaches every task; waits for all of them, at most
//!     `bound`, and names those still running after it
//! ```
//!
//! This is reth's `TaskExecutor::spawn_critical_with_graceful_shutdown_signal` in the small: a
//! node whose coordinator or settler has died must not keep answering RPC as if it were whole,
//! so the death of any critical part stops the node with that part's name, and a stop request
//! reaches every part and is waited for with a bound.
//!
//! Debug builds can inject a panic into one named critical task, to test exactly that from
//! outside the process (see [`FAULT_ENV`]).
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod error;
mod executor;
mod fault;
mod shutdown;

pub use error::{TaskError, TaskExit};
pub use executor::{TaskExecutor, TaskManager};
pub use fault::FAULT_ENV;
pub use shutdown::Shutdown;

#[cfg(test)]
mod tests;
