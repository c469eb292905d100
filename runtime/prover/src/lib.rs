//! `keel-prover`: connects to one or more Keel nodes' proof coordinators, leases sealed batches,
//! proves them with a [`Backend`] and sends the proofs back.
//!
//! ```text
//!  worker per coordinator: connect ─▶ Hello ─▶ Welcome
//!      loop: RequestWork ─▶ Work ─▶ Backend::prove (blocking thread) ─▶ SubmitProof
//!                       └▶ NoWork ─▶ sleep retry_after
//!      connection lost ─▶ reconnect with exponential backoff (250 ms … 10 s)
//!      refused (protocol or program version) ─▶ the worker stops with the node's message
//! ```
//!
//! A backend that fails on a batch (a bad input, or the backend itself) makes the worker send
//! `ReportFailure`: the coordinator drops the lease and offers the batch again. Any other
//! `Error` from the coordinator (a refused proof) ends the session; the worker reconnects.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

// The command line and log setup of the binary (`src/main.rs`), which shares the package.
use clap as _;
use keel_logging as _;
use tracing_subscriber as _;

mod backend;
#[cfg(feature = "openvm")]
mod openvm;
mod worker;

pub use backend::{Backend, BackendError, BackendOptions, ExecBackend, Proven, make_backend};
pub use keel_primitives::BackendKind;
#[cfg(feature = "openvm")]
pub use openvm::OpenVmBackend;
pub use worker::{WorkerError, WorkerOptions, run_worker};
