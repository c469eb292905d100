//! A zero-copy view of one RLP-encoded trie node, validated but not yet turned into owned
//! nodes: what lookups and proofs walk, and what [`crate::node`] builds its nodes from.

use alloy_primitives::B256;
use alloy_rlp::{EMPTY_STRING_CODE, Header};
use alloy_trie::Nibbles;

use crate::{error::MalformedReason, path::decode_compact};

/// A decoded node borrowing from its RLP.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "a short-lived stack value; boxing would allocate"
)]
pub(crate) enum RawNode<'a> {
    /// A leaf: the rest of the key and the (non-empty) value.
    Leaf { path: Nibbles, value: &'a [u8] },
    /// An extension: a shared path (never empty) and the child below it.
    Extension { path: Nibbles, child: RawChild<'a> },
    /// A branch: a child per nibble and the value of a key ending here (empty if none).
    Branch {
        children: [RawChild<'a>; 16],
        value: &'a [u8],
    },
}

/// How a node refers to one of its children.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RawChild<'a> {
    /// No child.
    Empty,
    /// A child stored separately under its hash.
    Hash(B256),
    /// A child shorter than 32 bytes, embedded as its own RLP.
    Inline(&'a [u8]),
}

impl<'a> RawNode<'a> {
    /// Decodes one node that must span all of `rlp`.
    pub(crate) fn decode(rlp: &'a [u8]) -> Result<Self, MalformedReason> {
        let mut buf = rlp;
        let header = Header::decode(&mut buf)?;
        if !header.list {
            return Err(MalformedReason::NotAList);
        }
        if buf.len() != header.payload_length {
            return Err(MalformedReason::TrailingBytes);
        }

        // Split the payload into at most 17 raw items (each with its own header).
        let mut items: [&'a [u8]; 17] = [&[]; 17];
        let mut count = 0;
        while !buf.is_empty() {
            let start = buf;
            let item = Header::decode(&mut buf)?;
            buf = &buf[item.payload_length..];
            if count == items.len() {
                return Err(MalformedReason::ItemCount(count + 1 + count_items(buf)?));
            }
            items[count] = &start[..start.len() - buf.len()];
            count += 1;
        }

        match count {
            2 => {
                let (path, is_leaf) = decode_compact(string(items[0])?)?;
                if is_leaf {
                    let value = string(items[1])?;
                    if value.is_empty() {
                        return Err(MalformedReason::EmptyValue);
                    }
                    Ok(Self::Leaf { path, value })
                } else {
                    if path.is_empty() {
                        return Err(MalformedReason::EmptyExtension);
                    }
                    match child(items[1])? {
                        RawChild::Empty => Err(MalformedReason::InvalidChild),
                        child => Ok(Self::Extension { path, child }),
                    }
                }
            }
            17 => {
                let mut children = [RawChild::Empty; 16];
                for (slot, item) in children.iter_mut().zip(&items[..16]) {
                    *slot = child(item)?;
                }
                Ok(Self::Branch {
                    children,
                    value: string(items[16])?,
                })
            }
            count => Err(MalformedReason::ItemCount(count)),
        }
    }
}

/// The payload of an item that must be an RLP string.
fn string(item: &[u8]) -> Result<&[u8], MalformedReason> {
    let mut buf = item;
    let header = Header::decode(&mut buf)?;
    if header.list {
        return Err(MalformedReason::UnexpectedList);
    }
    Ok(&buf[..header.payload_length])
}

/// A child reference: the empty string, a 32-byte hash, or an embedded node under 32 bytes.
fn child(item: &[u8]) -> Result<RawChild<'_>, MalformedReason> {
    if item == [EMPTY_STRING_CODE] {
        return Ok(RawChild::Empty);
    }
    let mut buf = item;
    let header = Header::decode(&mut buf)?;
    if header.list {
        // Embedded nodes are validated when they are walked into.
        return if item.len() < 32 {
            Ok(RawChild::Inline(item))
        } else {
            Err(MalformedReason::InvalidChild)
        };
    }
    if header.payload_length == 32 {
        Ok(RawChild::Hash(B256::from_slice(&buf[..32])))
    } else {
        Err(MalformedReason::InvalidChild)
    }
}

/// Counts the remaining items, for the error message of an over-long list.
fn count_items(mut buf: &[u8]) -> Result<usize, MalformedReason> {
    let mut count = 0;
    while !buf.is_empty() {
        let item = Header::decode(&mut buf)?;
        buf = &buf[item.payload_length..];
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::hex;

    #[test]
    fn decodes_leaf_extension_and_branch() {
        // ["0x20646f", "verb"]: the leaf for key "do" at the root.
        let leaf = hex!("c98320646f8476657262");
        let RawNode::Leaf { path, value } = RawNode::decode(&leaf).expect("leaf") else {
            panic!("not a leaf");
        };
        assert_eq!(path, Nibbles::unpack(b"do"));
        assert_eq!(value, b"verb");

        // An extension with an embedded leaf child (empty path, value 0x01).
        let ext = hex!("c78300646fc22001");
        let RawNode::Extension { path, child } = RawNode::decode(&ext).expect("ext") else {
            panic!("not an extension");
        };
        assert_eq!(path, Nibbles::unpack(b"do"));
        assert_eq!(child, RawChild::Inline(&hex!("c22001")[..]));

        let mut branch = vec![0xc0 + 33 + 16];
        branch.push(0xa0);
        branch.extend([0x11; 32]);
        branch.extend([EMPTY_STRING_CODE; 15]);
        branch.push(0x05);
        let RawNode::Branch { children, value } = RawNode::decode(&branch).expect("branch") else {
            panic!("not a branch");
        };
        assert_eq!(children[0], RawChild::Hash(B256::repeat_byte(0x11)));
        assert!(children[1..].iter().all(|c| *c == RawChild::Empty));
        assert_eq!(value, [0x05]);
    }

    #[test]
    fn rejects_malformed_nodes() {
        let cases: [(&[u8], MalformedReason); 9] = [
            (&[], MalformedReason::Rlp(alloy_rlp::Error::InputTooShort)),
            (&[0x80], MalformedReason::NotAList),
            (&[0xc0], MalformedReason::ItemCount(0)),
            (&[0xc1, 0x80, 0x00], MalformedReason::TrailingBytes),
            (&[0xc3, 0x80, 0x80, 0x80], MalformedReason::ItemCount(3)),
            (&[0xc2, 0x20, 0x80], MalformedReason::EmptyValue),
            (&[0xc2, 0x00, 0x01], MalformedReason::EmptyExtension),
            (&[0xc3, 0x11, 0x81, 0xff], MalformedReason::InvalidChild),
            (&[0xc2, 0x40, 0x01], MalformedReason::InvalidPath),
        ];
        for (rlp, reason) in cases {
            assert_eq!(
                RawNode::decode(rlp).map(drop),
                Err(reason),
                "{}",
                hex::encode(rlp)
            );
        }
        // 18 items.
        let mut long = vec![0xc0 + 18];
        long.extend([EMPTY_STRING_CODE; 18]);
        assert_eq!(
            RawNode::decode(&long).map(drop),
            Err(MalformedReason::ItemCount(18))
        );
    }
}
