//! The packed candidate list of `ordering.order`: [`Candidates`], a view over the host's
//! bytes (nothing is copied or allocated up front), each [`Candidate`] decoded on access. The
//! record itself is defined once, in `keel-plugin-abi`, which the host links too.

use core::fmt;

pub use keel_plugin_abi::{CANDIDATE_SIZE, Candidate, encode_candidates};

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
