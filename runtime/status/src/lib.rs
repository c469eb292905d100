//! The node's status page: what a person looks at to see how a Keel chain is doing.
//!
//! ```text
//!  GET /             ─ page.html (vendored into the binary: no CDN, no build step)
//!  GET /api/status   ─ StatusReport as JSON: head and its age, blocks/s and tx/s over the last
//!                      minutes, the pool, recent blocks and their transactions, batches with
//!                      their L1 state and commit transactions, provers and their leases,
//!                      deposits, withdrawals, plugins per slot with their history, settlement
//!                      lag. The page polls it every second.
//!  sampler           ─ every SAMPLE_INTERVAL: the head and the transactions since the last
//!                      sample, kept for RATE_WINDOW (so a page opened now has a chart at once)
//! ```
//!
//! It has its own port (`[status] listen`) and its own budget: at most one report is built at a
//! time, on a blocking thread, and a report younger than [`REPORT_MAX_AGE`] is served again, so
//! a dozen open tabs cost what one does and none of it touches the public RPC's connections.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod config;
mod rates;
mod report;
mod server;

pub use config::StatusConfig;
pub use rates::{RATE_WINDOW, SAMPLE_INTERVAL};
pub use report::StatusReport;
pub use server::{REPORT_MAX_AGE, StatusServer};
