//! Why a transaction was refused.

use alloy_primitives::{Address, U256};

/// A rejected transaction. The messages follow go-ethereum's wording where it has one, because
/// wallets and libraries match on them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The bytes are not an EIP-2718 transaction.
    #[error("rlp: {0}")]
    Decode(String),
    /// Larger than the pool accepts.
    #[error("oversized data: transaction size {size}, limit {limit}")]
    Oversized {
        /// Encoded size.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// A type Keel does not accept (EIP-4844 blobs).
    #[error("transaction type not supported")]
    UnsupportedType,
    /// A legacy transaction without EIP-155 replay protection.
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    NotReplayProtected,
    /// Signed for another chain.
    #[error("invalid chain id: have {have}, want {want}")]
    InvalidChainId {
        /// The transaction's chain id.
        have: u64,
        /// This chain's id.
        want: u64,
    },
    /// The signature does not recover.
    #[error("invalid sender")]
    InvalidSender,
    /// The gas limit does not cover the intrinsic cost.
    #[error("intrinsic gas too low: gas {gas}, minimum needed {needed}")]
    IntrinsicGasTooLow {
        /// The transaction's gas limit.
        gas: u64,
        /// What it needs.
        needed: u64,
    },
    /// The gas limit does not cover the EIP-7623 calldata floor.
    #[error("insufficient gas for floor data gas cost: gas {gas}, minimum needed {needed}")]
    FloorDataGas {
        /// The transaction's gas limit.
        gas: u64,
        /// The floor.
        needed: u64,
    },
    /// Can never fit in a block.
    #[error("exceeds block gas limit")]
    GasLimitExceeded,
    /// Priority fee above the fee cap.
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
    /// Priority fee under the node's minimum.
    #[error("transaction underpriced: gas tip cap {tip}, minimum needed {min}")]
    Underpriced {
        /// The transaction's tip.
        tip: u128,
        /// The minimum.
        min: u128,
    },
    /// The sender already used this nonce.
    #[error("nonce too low: address {address}, tx: {tx_nonce} state: {state_nonce}")]
    NonceTooLow {
        /// Sender.
        address: Address,
        /// The transaction's nonce.
        tx_nonce: u64,
        /// The account's nonce.
        state_nonce: u64,
    },
    /// The nonce is further ahead than the sender's queue may hold.
    #[error("nonce too high: address {address}, tx: {tx_nonce} state: {state_nonce}")]
    NonceTooHigh {
        /// Sender.
        address: Address,
        /// The transaction's nonce.
        tx_nonce: u64,
        /// The account's nonce.
        state_nonce: u64,
    },
    /// Cannot pay `gas * price + value`.
    #[error(
        "insufficient funds for gas * price + value: address {address} have {have} want {want}"
    )]
    InsufficientFunds {
        /// Sender.
        address: Address,
        /// Balance.
        have: U256,
        /// Maximum cost.
        want: U256,
    },
    /// Cannot pay for this transaction on top of the sender's other pooled ones.
    #[error(
        "transaction would cause overdraft: address {address} have {have} want {want} for its pooled transactions"
    )]
    Overdraft {
        /// Sender.
        address: Address,
        /// Balance.
        have: U256,
        /// The most the sender's pooled transactions, this one included, may cost.
        want: U256,
    },
    /// The sender already has the most transactions waiting on a nonce gap.
    #[error(
        "account limit exceeded: address {address} has {limit} transactions waiting on a nonce gap"
    )]
    QueuedLimit {
        /// Sender.
        address: Address,
        /// The per-sender limit of gapped transactions.
        limit: usize,
    },
    /// The pool holds the most gapped transactions it takes and this one pays too little to
    /// displace one.
    #[error("txpool is full: {limit} transactions already wait on a nonce gap")]
    QueueFull {
        /// The limit of gapped transactions, all senders together.
        limit: usize,
    },
    /// The same transaction is already pooled.
    #[error("already known")]
    AlreadyKnown,
    /// A replacement that does not pay enough more.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// The pool is full and this transaction pays too little to displace anything.
    #[error("txpool is full")]
    PoolFull,
    /// The sender already has the most transactions the pool holds per sender.
    #[error("account limit exceeded: address {address} has {limit} pending transactions")]
    SenderLimit {
        /// Sender.
        address: Address,
        /// The per-sender limit.
        limit: usize,
    },
    /// The state could not be read to validate the transaction.
    #[error("internal error: state unavailable: {0}")]
    State(String),
}
