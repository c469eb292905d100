//! Keel's stateless state-transition function (STF): the code a prover runs.
//!
//! ```text
//!  ProverInput ─ parent header, ancestor headers, payload frame, blob hashes, witness
//!     │  decode (RLP)                     hash every witness node and code: content addressed
//!     ▼
//!  frame ─▶ blocks (keel-da: decompress, decode)
//!        ─▶ blobs ─▶ per blob: z = keccak(vh ‖ keccak(frame)), y = p(z) ─▶ blobs hash
//!  for each block:  recover senders ─▶ keel_evm::BlockBuilder over WitnessState
//!                   (accounts and storage read through the trie at the parent's root)
//!                   ─▶ finish: header, new root, new nodes (kept for the next block)
//!     ▼
//!  BatchOutput ─▶ commitment (keccak-256 of its ABI words): the 32 bytes a proof attests
//! ```
//!
//! The node runs the very same code (`keel_evm::BlockBuilder`) to build its blocks, against its
//! flat state instead of a witness, so the STF reproduces the node's state root by construction
//! unless the witness is incomplete or the input was tampered with, and each of those is a named
//! [`StfError`], never a panic.
//!
//! No I/O, threads, clocks or async: the crate builds for the OpenVM guest (32-bit RISC-V, where
//! `usize` is 32 bits; every count in the input is a `u64` or bounded by a `Vec`'s length).
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod error;
mod execute;
mod input;
mod witness;

pub use error::StfError;

/// The STF's program version, as the `exec` prover backend announces it to the coordinator.
///
/// Two builds agree on it exactly when they compute the same [`BatchOutput`] from the same
/// [`ProverInput`] encoding; bump `input-v…` whenever the input encoding or the execution rules
/// change, `output-v…` whenever the output does (v2: the last block's timestamp).
pub const PROGRAM_VERSION: &str = concat!(
    "keel-stf/",
    env!("CARGO_PKG_VERSION"),
    "/input-v2/output-v2"
);
pub use execute::{ExecutedBatch, execute_batch, replay_block};
pub use input::{ProverInput, Witness};
pub use keel_primitives::{BatchOutput, NO_DEPOSITS, NO_WITHDRAWALS};
pub use keel_trie::StaleNodes;
pub use witness::{WitnessError, WitnessState};
