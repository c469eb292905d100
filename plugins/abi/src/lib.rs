//! What Keel's host and its plugins share, defined once: the byte layouts (the host, native in
//! `keel-plugin-host`, encodes what the guest, in a Wasm component through `keel-plugin-sdk`,
//! decodes) and the ordering rules both sides apply (the sender queues an ordering merges, and
//! the merge a 0.4.0 ranking stands for). Both link this crate, so nothing is written twice.
//!
//! `no_std` with `alloc`, no dependencies: it builds for `wasm32-unknown-unknown` as for the
//! node.

#![no_std]
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

extern crate alloc;

pub mod candidate;
pub mod lanes;
pub mod ranking;

pub use candidate::{CANDIDATE_SIZE, Candidate, encode_candidates};
pub use lanes::Lanes;
pub use ranking::{LEAVE_OUT, merge_ranks};
