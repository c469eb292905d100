//! Keel's data availability format: how a batch's blocks are posted to L1 as EIP-4844 blobs,
//! and how a proof is bound to exactly those blobs.
//!
//! ```text
//!  sealed blocks ─▶ PayloadBlock RLP items, concatenated ─▶ zstd ─▶ Frame (version, codec,
//!    lengths, compressed bytes) ─▶ blobs: 4096 field elements of 31 payload bytes each
//!  node:  blob ─▶ KZG commitment (c-kzg) ─▶ versioned hash vh
//!         z = keccak(vh ‖ keccak(frame)) mod r;  (y, proof) = KZG opening at z
//!  L1:    commitBatch reads blobhash(i) = vh and checks p(z) = y with the point-evaluation
//!         precompile, then stores keccak(vh ‖ z ‖ y …) in the batch commitment
//!  proof: the STF decodes the blocks it executes from the frame, rebuilds the blobs, derives
//!         z from vh and the frame, and evaluates the blob polynomial itself (barycentric
//!         form over BLS12-381's scalar field): the same y, or no valid proof
//! ```
//!
//! So the blocks a proof executes are the blocks L1 holds: a different blob gives a different
//! `p(z)` at a `z` chosen after the blob (Schwartz–Zippel), and the guest never computes a KZG
//! commitment.
//!
//! Features: `compress` (node: the zstd compressor that seals payloads), `kzg` (node:
//! commitments and openings with c-kzg). Without them the crate is pure Rust and builds for the
//! OpenVM guest: decompression (ruzstd) and evaluation (bls12_381) only.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod blob;
#[cfg(feature = "compress")]
mod compress;
mod error;
mod eval;
mod frame;
#[cfg(feature = "kzg")]
mod kzg;

pub use blob::{
    BLOB_BYTES, BLOB_CAPACITY, BYTES_PER_FIELD_ELEMENT, Blob, FIELD_ELEMENTS_PER_BLOB,
    blobs_needed, frame_from_blobs, to_blobs,
};
#[cfg(feature = "compress")]
pub use compress::PayloadWriter;
pub use error::DaError;
pub use eval::{
    BlobBinding, BlobEvaluator, BlobField, VALIDIUM, bind_blobs, blobs_hash, challenge, evaluate,
    evaluate_in, install_evaluator,
};
pub use frame::{
    Codec, FRAME_HEADER_BYTES, Frame, MAX_PAYLOAD_BYTES, PAYLOAD_VERSION, PayloadBlock,
};
#[cfg(feature = "kzg")]
pub use kzg::{
    Sidecar, blob_versioned_hash, commit_blobs, load_trusted_setup, sidecar, versioned_hash,
};
