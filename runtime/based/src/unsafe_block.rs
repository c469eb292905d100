//! `keel::UnsafeBlock/v1`: a block as the leader gossips it before L1 has it, signed with the
//! leader's registered L1 key. One definition: the leader encodes it, every other based node
//! decodes and checks it here.
//!
//! ```text
//!  wire   = 0x01 ‖ rlp(UnsafeBlock) ‖ signature (65 bytes: r ‖ s ‖ v)
//!  digest = keccak256("keel:unsafe-block:v1" ‖ keccak256(rlp(UnsafeBlock)))
//! ```

use alloy_primitives::{Address, B256, Signature, keccak256};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};
use alloy_signer_local::PrivateKeySigner;
use keel_da::PayloadBlock;

/// The wire format's version byte.
pub const UNSAFE_BLOCK_VERSION: u8 = 1;
/// The domain of the signed digest.
const DOMAIN: &[u8] = b"keel:unsafe-block:v1";
/// The largest message a node takes (a full block of calldata compresses nowhere near this).
pub const MAX_UNSAFE_BLOCK_BYTES: usize = 8 << 20;

/// A block the leader made, with what a receiver needs to place and check it.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct UnsafeBlock {
    /// The L2 chain.
    pub chain_id: u64,
    /// The block's number.
    pub number: u64,
    /// Its parent's hash: a receiver whose head is not this parent cannot place it.
    pub parent_hash: B256,
    /// Its hash, as the leader built it: the receiver's re-execution must give the same.
    pub hash: B256,
    /// When the leader stored it (ms since the Unix epoch): receivers report the delay.
    pub made_at_ms: u64,
    /// The block as a batch's payload carries it.
    pub block: PayloadBlock,
}

/// Why a gossiped message is not a signed unsafe block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsafeBlockError {
    /// Another version, or empty.
    #[error("version byte {0:?}, expected {UNSAFE_BLOCK_VERSION}")]
    Version(Option<u8>),
    /// The body does not decode.
    #[error("does not decode: {0}")]
    Decode(String),
    /// The signature does not recover an address.
    #[error("bad signature: {0}")]
    Signature(String),
}

impl UnsafeBlock {
    fn digest(body: &[u8]) -> B256 {
        let mut preimage = Vec::with_capacity(DOMAIN.len() + 32);
        preimage.extend_from_slice(DOMAIN);
        preimage.extend_from_slice(keccak256(body).as_slice());
        keccak256(preimage)
    }

    /// The wire bytes, signed by `signer`.
    pub fn sign(&self, signer: &PrivateKeySigner) -> Result<Vec<u8>, UnsafeBlockError> {
        use alloy_signer::SignerSync;
        let mut out = vec![UNSAFE_BLOCK_VERSION];
        self.encode(&mut out);
        let signature = signer
            .sign_hash_sync(&Self::digest(&out[1..]))
            .map_err(|e| UnsafeBlockError::Signature(e.to_string()))?;
        out.extend_from_slice(&signature.as_bytes());
        Ok(out)
    }

    /// Decodes wire bytes; returns the block and the address that signed it.
    pub fn open(wire: &[u8]) -> Result<(Self, Address), UnsafeBlockError> {
        let (&version, rest) = wire.split_first().ok_or(UnsafeBlockError::Version(None))?;
        if version != UNSAFE_BLOCK_VERSION {
            return Err(UnsafeBlockError::Version(Some(version)));
        }
        let Some(split) = rest.len().checked_sub(65) else {
            return Err(UnsafeBlockError::Decode("shorter than a signature".into()));
        };
        let (body, signature) = rest.split_at(split);
        let mut cursor = body;
        let block =
            Self::decode(&mut cursor).map_err(|e| UnsafeBlockError::Decode(e.to_string()))?;
        if !cursor.is_empty() {
            return Err(UnsafeBlockError::Decode(format!(
                "{} bytes after the block",
                cursor.len()
            )));
        }
        let raw: [u8; 65] = signature
            .try_into()
            .map_err(|_| UnsafeBlockError::Signature("not 65 bytes".into()))?;
        let signer = Signature::from_raw_array(&raw)
            .and_then(|signature| signature.recover_address_from_prehash(&Self::digest(body)))
            .map_err(|e| UnsafeBlockError::Signature(e.to_string()))?;
        Ok((block, signer))
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, Bytes};
    use keel_primitives::DataFee;

    use super::*;

    fn block() -> UnsafeBlock {
        UnsafeBlock {
            chain_id: 7,
            number: 12,
            parent_hash: B256::repeat_byte(1),
            hash: B256::repeat_byte(2),
            made_at_ms: 1_700_000_000_000,
            block: PayloadBlock {
                timestamp: 1_700_000_000,
                coinbase: Address::repeat_byte(3),
                gas_limit: 30_000_000,
                base_fee: 7,
                data_fee: DataFee::default(),
                extra_data: Bytes::from_static(b"keel"),
                transactions: vec![],
            },
        }
    }

    #[test]
    fn the_signer_is_recovered_and_any_change_is_caught() {
        let leader = PrivateKeySigner::random();
        let wire = block().sign(&leader).unwrap();
        let (opened, signer) = UnsafeBlock::open(&wire).unwrap();
        assert_eq!(opened, block());
        assert_eq!(signer, leader.address());

        // A changed byte anywhere in the body: another signer (or none), never the leader.
        for i in 1..wire.len() - 65 {
            let mut tampered = wire.clone();
            tampered[i] ^= 1;
            if let Ok((_, signer)) = UnsafeBlock::open(&tampered) {
                assert_ne!(signer, leader.address(), "byte {i}");
            }
        }
        let mut versioned = wire.clone();
        versioned[0] = 2;
        assert_eq!(
            UnsafeBlock::open(&versioned).unwrap_err(),
            UnsafeBlockError::Version(Some(2))
        );
        assert!(matches!(
            UnsafeBlock::open(&wire[..40]),
            Err(UnsafeBlockError::Decode(_))
        ));
        assert_eq!(
            UnsafeBlock::open(&[]).unwrap_err(),
            UnsafeBlockError::Version(None)
        );
    }
}
