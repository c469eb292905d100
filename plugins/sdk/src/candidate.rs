//! The packed candidate list of `ordering.order` (documented in `wit/v0.1.0/ordering.wit`).
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
//! [`Candidates`] is a view over the host's bytes (nothing is copied or allocated up front);
//! each [`Candidate`] is decoded on access. [`encode_candidates`] is the one encoder, shared by
//! the host's tests and the SDK's: the host may depend on this crate natively for it.
//!
//! Reserved bytes (105..112, 120..128) are written as zero and ignored on read.

use core::fmt;

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

/// Encodes `candidates` in the packed layout `ordering.order` receives (`128 * len` bytes).
pub fn encode_candidates(candidates: &[Candidate]) -> Vec<u8> {
    let mut out = Vec::with_capacity(candidates.len() * CANDIDATE_SIZE);
    for c in candidates {
        out.extend_from_slice(&c.encode());
    }
    out
}

/// The candidate bytes do not match the count the host sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayoutError {
    /// The `count` argument.
    pub count: u32,
    /// The length of the `candidates` argument, in bytes.
    pub len: usize,
}

impl fmt::Display for LayoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "candidate list is {} bytes, but {} candidates of {CANDIDATE_SIZE} bytes need {}",
            self.len,
            self.count,
            u64::from(self.count) * CANDIDATE_SIZE as u64
        )
    }
}

impl core::error::Error for LayoutError {}

impl From<LayoutError> for String {
    fn from(e: LayoutError) -> Self {
        e.to_string()
    }
}

/// A zero-copy view of the packed candidate list.
#[derive(Clone, Copy, Debug)]
pub struct Candidates<'a> {
    bytes: &'a [u8],
}

impl<'a> Candidates<'a> {
    /// Checks that `bytes` holds exactly `count` records.
    pub fn parse(count: u32, bytes: &'a [u8]) -> Result<Self, LayoutError> {
        let len = bytes.len();
        let expected = u64::from(count) * CANDIDATE_SIZE as u64;
        if len as u64 != expected {
            return Err(LayoutError { count, len });
        }
        Ok(Self { bytes })
    }

    /// Number of candidates.
    pub fn len(&self) -> usize {
        self.bytes.len() / CANDIDATE_SIZE
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The raw 128-byte record of candidate `index`.
    pub fn record(&self, index: usize) -> Option<&'a [u8; CANDIDATE_SIZE]> {
        let start = index.checked_mul(CANDIDATE_SIZE)?;
        self.bytes
            .get(start..start + CANDIDATE_SIZE)?
            .try_into()
            .ok()
    }

    /// Candidate `index`, decoded.
    pub fn get(&self, index: usize) -> Option<Candidate> {
        self.record(index).map(Candidate::decode)
    }

    /// Every candidate in host order; `enumerate()` gives the index to return.
    pub fn iter(&self) -> CandidateIter<'a> {
        CandidateIter {
            chunks: self.bytes.chunks_exact(CANDIDATE_SIZE),
        }
    }
}

impl<'a> IntoIterator for Candidates<'a> {
    type Item = Candidate;
    type IntoIter = CandidateIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a> IntoIterator for &Candidates<'a> {
    type Item = Candidate;
    type IntoIter = CandidateIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over [`Candidates`], decoding each record as it goes.
#[derive(Clone, Debug)]
pub struct CandidateIter<'a> {
    chunks: core::slice::ChunksExact<'a, u8>,
}

impl Iterator for CandidateIter<'_> {
    type Item = Candidate;

    fn next(&mut self) -> Option<Candidate> {
        let chunk = self.chunks.next()?;
        Some(Candidate::decode(chunk.try_into().ok()?))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }
}

impl ExactSizeIterator for CandidateIter<'_> {}

impl DoubleEndedIterator for CandidateIter<'_> {
    fn next_back(&mut self) -> Option<Candidate> {
        let chunk = self.chunks.next_back()?;
        Some(Candidate::decode(chunk.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(i: u8) -> Candidate {
        Candidate {
            hash: [i; 32],
            sender: [0x10 + i; 20],
            nonce: 0x0102_0304_0506_0708 + u64::from(i),
            gas_limit: 21_000 + u64::from(i),
            max_fee: 0x1111_2222_3333_4444_5555_6666_7777_8888 + u128::from(i),
            max_priority_fee: 0x99 + u128::from(i),
            size: 0xaabb_ccdd,
            tx_type: 2,
            arrival: 1000 + u64::from(i),
        }
    }

    #[test]
    fn layout_matches_ordering_wit_byte_for_byte() {
        let c = sample(7);
        let r = c.encode();
        assert_eq!(&r[0..32], &[7u8; 32]);
        assert_eq!(&r[32..52], &[0x17u8; 20]);
        assert_eq!(&r[52..60], &(0x0102_0304_0506_0708u64 + 7).to_le_bytes());
        assert_eq!(&r[60..68], &21_007u64.to_le_bytes());
        assert_eq!(
            &r[68..84],
            &(0x1111_2222_3333_4444_5555_6666_7777_8888u128 + 7).to_le_bytes()
        );
        assert_eq!(&r[84..100], &0xa0u128.to_le_bytes());
        assert_eq!(&r[100..104], &[0xdd, 0xcc, 0xbb, 0xaa]);
        assert_eq!(r[104], 2);
        assert_eq!(&r[105..112], &[0u8; 7]);
        assert_eq!(&r[112..120], &1007u64.to_le_bytes());
        assert_eq!(&r[120..128], &[0u8; 8]);
        assert_eq!(Candidate::decode(&r), c);
    }

    #[test]
    fn parse_and_iterate() {
        let list: Vec<Candidate> = (0..5).map(sample).collect();
        let bytes = encode_candidates(&list);
        assert_eq!(bytes.len(), 5 * CANDIDATE_SIZE);
        let parsed = Candidates::parse(5, &bytes).expect("layout");
        assert_eq!(parsed.len(), 5);
        assert_eq!(parsed.iter().collect::<Vec<_>>(), list);
        assert_eq!(parsed.iter().next_back(), Some(list[4]));
        assert_eq!(parsed.get(3), Some(list[3]));
        assert_eq!(parsed.get(5), None);
        assert_eq!(parsed.get(usize::MAX), None);
        assert!(Candidates::parse(0, &[]).expect("empty").is_empty());
    }

    #[test]
    fn parse_rejects_a_count_mismatch() {
        let bytes = encode_candidates(&[sample(1), sample(2)]);
        let err = Candidates::parse(3, &bytes).expect_err("mismatch");
        assert_eq!(err, LayoutError { count: 3, len: 256 });
        assert_eq!(
            err.to_string(),
            "candidate list is 256 bytes, but 3 candidates of 128 bytes need 384"
        );
        assert!(Candidates::parse(2, &bytes[..255]).is_err());
        assert!(Candidates::parse(u32::MAX, &bytes).is_err());
    }

    #[test]
    fn reserved_bytes_are_ignored_on_read() {
        let mut r = sample(3).encode();
        r[105..112].fill(0xff);
        r[120..128].fill(0xff);
        assert_eq!(Candidate::decode(&r), sample(3));
    }

    #[test]
    fn effective_tip() {
        let c = Candidate {
            max_fee: 100,
            max_priority_fee: 10,
            ..Candidate::default()
        };
        assert_eq!(c.effective_tip(50), Some(10));
        assert_eq!(c.effective_tip(95), Some(5));
        assert_eq!(c.effective_tip(100), Some(0));
        assert_eq!(c.effective_tip(101), None);
        let huge = Candidate {
            max_fee: u128::MAX,
            max_priority_fee: u128::MAX,
            ..Candidate::default()
        };
        assert_eq!(
            huge.effective_tip(u64::MAX),
            Some(u128::MAX - u128::from(u64::MAX))
        );
    }
}
