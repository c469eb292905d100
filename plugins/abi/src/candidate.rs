//! The packed candidate record of `ordering.rank` (0.4.0) and `ordering.order` (0.1.0), the
//! same in both (documented in `wit/v0.4.0/ordering.wit`).
//!
//! Each candidate is a fixed 128-byte record, integers little-endian:
//!
//! ```text
//!   0..32    transaction hash
//!   32..52   sender address
//!   52..60   nonce (u64)
//!   60..68   gas limit (u64)
//!   68..84   max fee per gas (u128; the gas price for legacy transactions)
//!   84..100  max priority fee per gas (u128; the gas price for legacy transactions)
//!   100..104 encoded size in bytes (u32)
//!   104      transaction type (u8)
//!   105..112 zero
//!   112..120 arrival sequence (u64; lower arrived earlier)
//!   120..128 zero
//! ```
//!
//! [`Candidate::encode`] is the one encoder (the host's), [`Candidate::decode`] the one decoder
//! (the guest's, through the SDK's `Candidates` view).
//!
//! Reserved bytes (105..112, 120..128) are written as zero and ignored on read.

use alloc::vec::Vec;

/// Size of one packed candidate record, in bytes.
pub const CANDIDATE_SIZE: usize = 128;

mod offset {
    pub(super) const HASH: usize = 0;
    pub(super) const SENDER: usize = 32;
    pub(super) const NONCE: usize = 52;
    pub(super) const GAS_LIMIT: usize = 60;
    pub(super) const MAX_FEE: usize = 68;
    pub(super) const MAX_PRIORITY_FEE: usize = 84;
    pub(super) const SIZE: usize = 100;
    pub(super) const TX_TYPE: usize = 104;
    pub(super) const ARRIVAL: usize = 112;
}

/// One pooled transaction offered to an ordering policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Candidate {
    /// Transaction hash.
    pub hash: [u8; 32],
    /// Sender address.
    pub sender: [u8; 20],
    /// Nonce.
    pub nonce: u64,
    /// Gas limit.
    pub gas_limit: u64,
    /// Max fee per gas (the gas price for legacy transactions).
    pub max_fee: u128,
    /// Max priority fee per gas (the gas price for legacy transactions).
    pub max_priority_fee: u128,
    /// Encoded size in bytes.
    pub size: u32,
    /// EIP-2718 transaction type (0 for legacy).
    pub tx_type: u8,
    /// Arrival sequence: lower arrived earlier.
    pub arrival: u64,
}

fn array<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[at..at + N]);
    out
}

impl Candidate {
    /// Decodes one 128-byte record.
    pub fn decode(record: &[u8; CANDIDATE_SIZE]) -> Self {
        Self {
            hash: array(record, offset::HASH),
            sender: array(record, offset::SENDER),
            nonce: u64::from_le_bytes(array(record, offset::NONCE)),
            gas_limit: u64::from_le_bytes(array(record, offset::GAS_LIMIT)),
            max_fee: u128::from_le_bytes(array(record, offset::MAX_FEE)),
            max_priority_fee: u128::from_le_bytes(array(record, offset::MAX_PRIORITY_FEE)),
            size: u32::from_le_bytes(array(record, offset::SIZE)),
            tx_type: record[offset::TX_TYPE],
            arrival: u64::from_le_bytes(array(record, offset::ARRIVAL)),
        }
    }

    /// The sender of a record, read without decoding the rest.
    pub fn sender_of(record: &[u8; CANDIDATE_SIZE]) -> [u8; 20] {
        array(record, offset::SENDER)
    }

    /// The nonce of a record, read without decoding the rest.
    pub fn nonce_of(record: &[u8; CANDIDATE_SIZE]) -> u64 {
        u64::from_le_bytes(array(record, offset::NONCE))
    }

    /// Encodes the 128-byte record (reserved bytes zero).
    pub fn encode(&self) -> [u8; CANDIDATE_SIZE] {
        let mut out = [0u8; CANDIDATE_SIZE];
        out[offset::HASH..offset::HASH + 32].copy_from_slice(&self.hash);
        out[offset::SENDER..offset::SENDER + 20].copy_from_slice(&self.sender);
        out[offset::NONCE..offset::NONCE + 8].copy_from_slice(&self.nonce.to_le_bytes());
        out[offset::GAS_LIMIT..offset::GAS_LIMIT + 8]
            .copy_from_slice(&self.gas_limit.to_le_bytes());
        out[offset::MAX_FEE..offset::MAX_FEE + 16].copy_from_slice(&self.max_fee.to_le_bytes());
        out[offset::MAX_PRIORITY_FEE..offset::MAX_PRIORITY_FEE + 16]
            .copy_from_slice(&self.max_priority_fee.to_le_bytes());
        out[offset::SIZE..offset::SIZE + 4].copy_from_slice(&self.size.to_le_bytes());
        out[offset::TX_TYPE] = self.tx_type;
        out[offset::ARRIVAL..offset::ARRIVAL + 8].copy_from_slice(&self.arrival.to_le_bytes());
        out
    }

    /// The tip per gas the block producer earns at `base_fee`:
    /// `min(max_priority_fee, max_fee - base_fee)`, or `None` when `max_fee < base_fee` (the
    /// transaction cannot be included in this block).
    pub fn effective_tip(&self, base_fee: u64) -> Option<u128> {
        let headroom = self.max_fee.checked_sub(u128::from(base_fee))?;
        Some(headroom.min(self.max_priority_fee))
    }
}

/// Encodes `candidates` in the packed layout `ordering.rank` receives (`128 * len` bytes).
pub fn encode_candidates(candidates: &[Candidate]) -> Vec<u8> {
    let mut out = Vec::with_capacity(candidates.len() * CANDIDATE_SIZE);
    for c in candidates {
        out.extend_from_slice(&c.encode());
    }
    out
}
