//! Keel's core data types: blocks, transactions, receipts and the account model.
//!
//! Everything here is plain data built on `alloy-consensus` and `alloy-primitives`, so that the
//! same types serve the node, the RPC layer and (later) the stateless prover guest. No I/O, no
//! async, no allocator tricks.
//!
//! - [`block`]: the sealed block Keel stores and serves.
//! - [`transaction`]: [`KeelTx`] (signed Ethereum transactions and the privileged
//!   [`DepositTx`]) and [`KeelReceipt`].
//! - [`batch`]: what a batch proof attests ([`BatchOutput`]) and its commitment.
//! - [`proof`]: what a prover submits for L1's verifiers ([`ProofParts`]) and the digests
//!   their keys sign.
//! - [`bridge`]: withdrawals, their Merkle tree and the deposits rolling hash, as L1 checks them.
//! - [`state`]: the [`StateReader`] trait through which execution reads state, whatever backs it.
//! - [`chain`]: chain-wide constants and the [`ChainSpec`] that execution needs.
//! - [`data_fee`]: the L1 data fee each block charges ([`DataFee`]) and its predeploys.
//! - [`l1_clock`]: how far the node has read L1's message queue ([`L1Clock`]).
//! - [`plugins`]: plugin slots, identities and records, as blocks record them, and the admin
//!   interface that loads a plugin.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

pub mod batch;
pub mod block;
pub mod bridge;
pub mod chain;
pub mod data_fee;
pub mod l1_clock;
pub mod plugins;
pub mod proof;
#[cfg(feature = "native-crypto")]
pub mod senders;
pub mod state;
pub mod transaction;

pub use alloy_consensus::{
    Header, ReceiptEnvelope, Sealed, TxEnvelope, TxReceipt, transaction::Recovered,
};
pub use alloy_primitives::{Address, B256, Bytes, U256};
pub use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY, TrieAccount};
pub use batch::{
    Batch, BatchOutput, BlobBinding, DataAvailability, Lease, NO_DEPOSITS, NO_WITHDRAWALS,
    PostedBlob, StoredProof, VALIDIUM, blobs_hash,
};
pub use block::SealedBlock;
pub use bridge::{
    BatchSettlement, L1Deposit, L2_ALIAS_OFFSET, L2_BRIDGE_ADDRESS, TokenDeposit, Withdrawal,
    WithdrawalTree, l2_alias,
};
pub use chain::ChainSpec;
pub use data_fee::{DataFee, L1_FEE_ORACLE_ADDRESS, L1_FEE_VAULT_ADDRESS, L1BlobBaseFee};
pub use l1_clock::L1Clock;
pub use plugins::{
    BlockPlugin, PluginActivation, PluginId, PluginRecords, PluginSlot, PluginSource, PluginSpec,
};
pub use proof::{
    BackendKind, ProofMode, ProofPart, ProofParts, ProofPartsError, UnknownBackend, VerifierKind,
    attestation_digest, attestation_proof, dev_attestation_digest,
};
pub use state::StateReader;
pub use transaction::{DEPOSIT_TX_TYPE, DepositTx, KeelReceipt, KeelTx};
