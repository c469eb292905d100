//! Tests of the whole crate against independent references: `alloy_trie`'s `HashBuilder`,
//! `alloy_trie`'s proof verifier, and public Ethereum test vectors.

mod differential;
mod errors;
mod perf;
mod proofs;
mod state;
mod support;
mod vectors;
mod witness;
