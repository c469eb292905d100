//! Nibble paths: turning keys into paths, joining paths without overflow, and the hex-prefix
//! (compact) encoding leaves and extensions store their path in.

use alloy_trie::{
    Nibbles,
    nodes::{ExtensionNode, LeafNode},
};

use crate::error::{MalformedReason, TrieError, TrieResult};

/// The most nibbles a path can hold (a 32-byte key).
pub(crate) const MAX_NIBBLES: usize = 64;

/// The nibble path of a raw key.
pub(crate) fn key_nibbles(key: &[u8]) -> TrieResult<Nibbles> {
    if key.len() > MAX_NIBBLES / 2 {
        return Err(TrieError::KeyTooLong { len: key.len() });
    }
    Ok(Nibbles::unpack(key))
}

/// `head` followed by `tail`, or `None` if that would exceed [`MAX_NIBBLES`].
pub(crate) fn join(head: &Nibbles, tail: &Nibbles) -> Option<Nibbles> {
    (head.len() + tail.len() <= MAX_NIBBLES).then(|| head.join(tail))
}

/// The single nibble `nibble` followed by `tail`, or `None` if that would exceed
/// [`MAX_NIBBLES`].
pub(crate) fn prepend(nibble: u8, tail: &Nibbles) -> Option<Nibbles> {
    join(&Nibbles::from_nibbles_unchecked([nibble & 0x0f]), tail)
}

/// Writes the hex-prefix encoding of `path` (flagged as a leaf or an extension) as an RLP
/// string into `out`.
pub(crate) fn encode_compact(path: &Nibbles, is_leaf: bool, out: &mut Vec<u8>) {
    let compact = alloy_trie::nodes::encode_path_leaf(path, is_leaf);
    alloy_rlp::Encodable::encode(&compact[..], out);
}

/// The RLP length of the hex-prefix encoding of a path of `nibbles` nibbles.
pub(crate) fn compact_rlp_len(nibbles: usize) -> usize {
    // The flag byte plus the packed nibbles; a lone flag byte below 0x80 is its own encoding.
    let len = nibbles / 2 + 1;
    if len == 1 {
        1
    } else {
        len + alloy_rlp::length_of_length(len)
    }
}

/// Decodes a hex-prefix encoded path: the nibbles and whether it is flagged as a leaf.
pub(crate) fn decode_compact(compact: &[u8]) -> Result<(Nibbles, bool), MalformedReason> {
    let Some((&first, rest)) = compact.split_first() else {
        return Err(MalformedReason::InvalidPath);
    };
    let flag = first & 0xf0;
    let is_leaf = match flag {
        LeafNode::EVEN_FLAG | LeafNode::ODD_FLAG => true,
        ExtensionNode::EVEN_FLAG | ExtensionNode::ODD_FLAG => false,
        _ => return Err(MalformedReason::InvalidPath),
    };
    let odd = flag == LeafNode::ODD_FLAG || flag == ExtensionNode::ODD_FLAG;
    if !odd && first & 0x0f != 0 {
        return Err(MalformedReason::InvalidPath);
    }
    if rest.len() * 2 + usize::from(odd) > MAX_NIBBLES {
        return Err(MalformedReason::PathTooLong);
    }
    let tail = Nibbles::unpack(rest);
    let path = if odd {
        Nibbles::from_nibbles_unchecked([first & 0x0f]).join(&tail)
    } else {
        tail
    };
    Ok((path, is_leaf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_round_trip() {
        for len in 0..=MAX_NIBBLES {
            let nibbles: Vec<u8> = (0..len).map(|i| (i * 7 % 16) as u8).collect();
            let path = Nibbles::from_nibbles(&nibbles);
            for is_leaf in [false, true] {
                let mut out = Vec::new();
                encode_compact(&path, is_leaf, &mut out);
                assert_eq!(out.len(), compact_rlp_len(len), "len {len}");
                let compact: &[u8] =
                    alloy_rlp::Header::decode_bytes(&mut &out[..], false).expect("string");
                assert_eq!(decode_compact(compact), Ok((path, is_leaf)));
            }
        }
    }

    #[test]
    fn compact_known_encodings() {
        // The Yellow Paper's examples, as in the Ethereum wiki.
        let cases: [(&[u8], bool, &[u8]); 4] = [
            (&[1, 2, 3, 4, 5], false, &[0x11, 0x23, 0x45]),
            (&[0, 1, 2, 3, 4, 5], false, &[0x00, 0x01, 0x23, 0x45]),
            (&[0, 0xf, 1, 0xc, 0xb, 8], true, &[0x20, 0x0f, 0x1c, 0xb8]),
            (&[0xf, 1, 0xc, 0xb, 8], true, &[0x3f, 0x1c, 0xb8]),
        ];
        for (nibbles, is_leaf, compact) in cases {
            let decoded = decode_compact(compact).expect("valid");
            assert_eq!(decoded, (Nibbles::from_nibbles(nibbles), is_leaf));
        }
    }

    #[test]
    fn compact_rejects_bad_input() {
        assert_eq!(decode_compact(&[]), Err(MalformedReason::InvalidPath));
        assert_eq!(decode_compact(&[0x40]), Err(MalformedReason::InvalidPath));
        assert_eq!(decode_compact(&[0x01]), Err(MalformedReason::InvalidPath));
        assert_eq!(
            decode_compact(&[0x20; 34]),
            Err(MalformedReason::PathTooLong)
        );
        let mut odd_too_long = vec![0x31];
        odd_too_long.extend([0u8; 32]);
        assert_eq!(
            decode_compact(&odd_too_long),
            Err(MalformedReason::PathTooLong)
        );
        assert!(decode_compact(&[0x20; 33]).is_ok());
    }

    #[test]
    fn joins_are_checked() {
        let full = Nibbles::unpack([0xab; 32]);
        assert_eq!(join(&full, &Nibbles::new()), Some(full));
        assert_eq!(prepend(1, &full), None);
        assert_eq!(join(&full, &Nibbles::from_nibbles([1])), None);
        assert!(matches!(
            key_nibbles(&[0; 33]),
            Err(TrieError::KeyTooLong { len: 33 })
        ));
    }
}
