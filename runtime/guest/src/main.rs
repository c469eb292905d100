//! Keel's OpenVM guest program.
//!
//! Input: one byte vector, the RLP `ProverInput` the node sealed with the batch (what
//! `keel-prover` receives from the coordinator). Public output: the 32-byte batch commitment
//! `keccak256(abi.encode(BatchOutput))`, the value `OnChainProposer` stores for the batch.
//!
//! It runs the very function the node's self-check and the `exec` backend run
//! (`keel_stf::execute_batch`); any input that does not re-execute makes the guest panic, so
//! no proof exists for it.

// The intrinsic-type macros refer to `alloc::`.
extern crate alloc;

#[cfg(feature = "accelerated-crypto")]
mod blob_field;
#[cfg(feature = "accelerated-bn254")]
mod bn254;
#[cfg(feature = "accelerated-crypto")]
mod crypto;
#[cfg(feature = "meter-phases")]
mod phases;

use keel_stf::ProverInput;
#[cfg(not(feature = "meter-phases"))]
use keel_stf::execute_batch;
// Linked for the `native_keccak256` symbol alloy-primitives calls.
#[cfg(feature = "accelerated-keccak")]
use openvm_keccak256 as _;

// Sets up the intrinsic moduli and curve `crypto` declares (`openvm_init.rs` is generated from
// openvm.toml by the guest build).
#[cfg(feature = "accelerated-crypto")]
openvm::init!();

fn main() {
    #[cfg(feature = "accelerated-crypto")]
    {
        crypto::install();
        blob_field::install();
    }
    let bytes = openvm::io::read_vec();
    let input = ProverInput::decode(&bytes).unwrap_or_else(|error| panic!("keel guest: {error}"));
    // A measurement build stops after its phase and reveals nothing of meaning.
    #[cfg(feature = "meter-phases")]
    let commitment = {
        phases::run(&input);
        [0; 32]
    };
    #[cfg(not(feature = "meter-phases"))]
    let commitment = execute_batch(&input)
        .unwrap_or_else(|error| panic!("keel guest: batch {}: {error}", input.batch_number))
        .output
        .commitment()
        .0;
    openvm::io::reveal_bytes32(commitment);
}
