//! The byte layouts Keel's host and its plugins share, defined once: the host (native, in
//! `keel-plugin-host`) encodes what the guest (in a Wasm component, through `keel-plugin-sdk`)
//! decodes, so both link this crate and no layout is written twice.
//!
//! `no_std` with `alloc`, no dependencies: it builds for `wasm32-unknown-unknown` as for the
//! node.

#![no_std]
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

extern crate alloc;

pub mod candidate;

pub use candidate::{CANDIDATE_SIZE, Candidate, encode_candidates};
