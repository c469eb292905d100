//! Keel's L1 side, over alloy: everything the node says to and reads from Ethereum.
//!
//! ```text
//!  keel deploy ─ deploy::deploy ─▶ CommonBridge, verifiers, OnChainProposer ─▶ Deployment (JSON)
//!  node:  DepositWatcher  ─ DepositInitiated logs (N confirmations) ─▶ storage l1_deposits
//!         Settler         ─ sealed batch + its frame as blobs ─▶ OnChainProposer.commitBatch
//!                           (a type-3 transaction; a plain one under validium)
//!                         ─ stored proof  ─▶ OnChainProposer.verifyBatch (a part per verifier)
//!  keel withdraw claim ─ CommonBridge.claimWithdrawal
//! ```
//!
//! The contracts are the source of truth: the watcher records how far it scanned in the same
//! redb transaction as the deposits it saw, and the settler reads `lastCommittedBatch` and
//! `lastVerifiedBatch` from L1 before each transaction, so a restart of the node or of the L1
//! node neither repeats nor skips anything. All settlement transactions come from one task
//! with one key, so their nonces never race.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod blobs;
mod config;
mod contracts;
mod deploy;
mod deployment;
mod error;
mod openvm_artifact;
mod poll;
mod proof_check;
mod schedule;
mod sender;
mod settler;
mod watcher;

pub use blobs::{BeaconBlockId, BlobSource, blob_sidecar};
pub use config::{
    BasedConfig, DEFAULT_DEPOSIT_INCLUSION_PERIOD, DEFAULT_EXIT_WINDOW, DEFAULT_FEE_BUMP_PERCENT,
    DEFAULT_L1_CONFIRMATIONS, DEFAULT_L1_POLL_INTERVAL, DEFAULT_L1_TX_TIMEOUT,
    DEFAULT_MAX_BATCHES_PER_TX, DEFAULT_MAX_DEPOSITS_PER_BLOCK, DEFAULT_MAX_FEE_PER_BLOB_GAS,
    DEFAULT_MAX_FEE_PER_GAS, DEFAULT_MAX_SCAN_BLOCKS, L1Config, MIN_POLL_INTERVAL,
};
pub use contracts::{
    AttestingVerifier, CommonBridge, DevVerifier, IVerifier, KeelTimelock, L2Bridge,
    OnChainProposer, OpenVmVerifier, SequencerRegistry,
};
pub use deploy::{
    AttestingParams, DEV_L1_CHAIN_IDS, DeployParams, Governance, MIN_EXIT_WINDOW, deploy,
};
pub use deployment::{DEPLOYMENT_FILE, Deployment, VerifierDeployment};
pub use error::{L1Error, L1Result};
pub use openvm_artifact::{OPENVM_VERIFIER_FILE, OpenVmVerifierArtifact};
pub use poll::retry_wait;
pub use proof_check::{PartRejected, RequiredVerifier, check_proof};
pub use schedule::Schedule;
pub use sender::{FeePolicy, L1Client, TxSender, parse_key};
pub use settler::{
    MAX_BLOBS_PER_TX, ProposerProgress, Settler, SettlerConfig, SettlerMetrics, Step,
};
pub use watcher::{DepositWatcher, WatcherConfig};
