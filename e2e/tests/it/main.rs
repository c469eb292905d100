//! End-to-end tests: each test starts the real `keel` binary (see `keel_e2e::KeelNode`) and
//! talks to it only through standard Ethereum JSON-RPC.
//!
//! Build the node first: `cargo build -p keel-node && cargo test -p keel-e2e`.

mod based;
mod contracts;
mod crash;
mod dapp_libraries;
mod filters;
mod follower;
mod openvm;
mod openvm_settlement;
mod plugin_swap;
mod progress;
mod proving;
mod readme_cast;
mod settlement;
mod soak;
mod state_proofs;
mod status_page;
mod subscriptions;
mod supervisor;
mod third_party;
mod traces;
mod transfers;
mod tx_errors;
mod txpool;
