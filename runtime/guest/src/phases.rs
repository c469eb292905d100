//! A profile of the guest by phases, for the `meter` example (no OpenVM profiler is built in:
//! its per-function counts need openvm-circuit rebuilt with `perf-metrics`). Each
//! `meter-until-*` feature makes the guest stop after one phase of what `execute_batch` does,
//! so metering the same input under each feature gives the instructions of each phase by
//! difference:
//!
//! - `meter-until-decode`: the `ProverInput` RLP (witness nodes, headers, frame bytes)
//! - `meter-until-frame`: then the frame decompressed and its transactions decoded
//! - `meter-until-senders`: then every transaction's sender recovered (signing hash + ECDSA)
//! - `meter-until-witness`: then the witness nodes keyed by hash (the node store)
//! - `meter-until-blobs`: then the blobs bound (each evaluated at its challenge)
//!
//! The full guest does all of these once more inside `execute_batch`, plus execution in revm,
//! the state root and the commitment: full − `meter-until-blobs` is what those cost.

use alloy_consensus::transaction::SignerRecoverable;
use keel_da::Frame;
use keel_primitives::KeelTx;
use keel_stf::ProverInput;
use keel_trie::MemoryNodeStore;

/// The last phase this build runs.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Decode,
    Frame,
    Senders,
    Witness,
    Blobs,
}

const UNTIL: Phase = if cfg!(feature = "meter-until-decode") {
    Phase::Decode
} else if cfg!(feature = "meter-until-frame") {
    Phase::Frame
} else if cfg!(feature = "meter-until-senders") {
    Phase::Senders
} else if cfg!(feature = "meter-until-witness") {
    Phase::Witness
} else {
    Phase::Blobs
};

/// Runs the phases up to this build's last one on an input `main` decoded; the outputs are
/// kept alive with `black_box` so that none is optimised away.
pub(crate) fn run(input: &ProverInput) {
    if UNTIL == Phase::Decode {
        return;
    }
    let frame = Frame(input.frame.clone());
    let blocks = frame.blocks().expect("frame");
    core::hint::black_box(&blocks);
    if UNTIL == Phase::Frame {
        return;
    }
    for block in &blocks {
        for tx in &block.transactions {
            if let KeelTx::Ethereum(tx) = tx {
                core::hint::black_box(tx.recover_signer().expect("signature"));
            }
        }
    }
    if UNTIL == Phase::Senders {
        return;
    }
    let nodes = MemoryNodeStore::from_nodes(input.witness.nodes.iter().cloned());
    core::hint::black_box(&nodes);
    if UNTIL == Phase::Witness {
        return;
    }
    core::hint::black_box(keel_da::bind_blobs(&frame, &input.blob_hashes).expect("blobs"));
}
