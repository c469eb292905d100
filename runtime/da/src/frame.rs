//! The batch payload and its [`Frame`]: one definition of what L1 holds of a batch.
//!
//! ```text
//!  payload = rlp(PayloadBlock) ‖ rlp(PayloadBlock) ‖ …        (one RLP item per block)
//!  frame   = version (1 byte, PAYLOAD_VERSION) ‖ codec (1 byte)
//!          ‖ payload length (4 bytes BE) ‖ compressed length (4 bytes BE)
//!          ‖ compressed payload
//! ```
//!
//! A block carries what re-executing it needs and nothing that execution recomputes: the
//! header fields the sequencer chose (timestamp, coinbase, gas limit, base fee, extra data), its
//! L1 data fee, and its EIP-2718 transactions, deposits included.
//!
//! Versions: 1 had no data fee; 2 adds it after the base fee; 3 (this build) carries L1
//! messages (type 0x7e) with their call fields (sender alias, mint, gas limit, calldata). Parent hash, roots, bloom and gas used follow
//! from executing it on its parent.

use alloy_primitives::{Address, Bytes};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};
use keel_primitives::{DataFee, Header, KeelTx};

use crate::DaError;

/// The payload format this build writes and reads.
pub const PAYLOAD_VERSION: u8 = 3;
/// Bytes before the compressed payload.
pub const FRAME_HEADER_BYTES: usize = 10;
/// The largest decompressed payload any frame may announce: far above what six blobs of
/// compressed data hold, low enough that a hostile frame cannot exhaust a prover's memory.
pub const MAX_PAYLOAD_BYTES: u64 = 64 << 20;

/// How the payload is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Codec {
    /// Stored as is (tests, and data that does not compress).
    None = 0,
    /// Zstandard (RFC 8878); the guest decodes it with ruzstd.
    Zstd = 1,
}

impl Codec {
    fn from_byte(byte: u8) -> Result<Self, DaError> {
        match byte {
            0 => Ok(Self::None),
            1 => Ok(Self::Zstd),
            other => Err(DaError::Codec(other)),
        }
    }
}

/// One block as the payload carries it.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct PayloadBlock {
    /// Block timestamp, seconds.
    pub timestamp: u64,
    /// Receives the priority fees.
    pub coinbase: Address,
    /// Block gas limit.
    pub gas_limit: u64,
    /// Base fee per gas.
    pub base_fee: u64,
    /// The L1 data fee its transactions pay.
    pub data_fee: DataFee,
    /// Header extra data.
    pub extra_data: Bytes,
    /// The transactions in execution order, deposits first.
    pub transactions: Vec<KeelTx>,
}

impl PayloadBlock {
    /// What the payload carries of a block with `header`, whose transactions paid `data_fee`:
    /// everything a replay needs that the parent does not give.
    pub fn from_header(header: &Header, data_fee: DataFee, transactions: Vec<KeelTx>) -> Self {
        Self {
            timestamp: header.timestamp,
            coinbase: header.beneficiary,
            gas_limit: header.gas_limit,
            base_fee: header.base_fee_per_gas.unwrap_or_default(),
            data_fee,
            extra_data: header.extra_data.clone(),
            transactions,
        }
    }

    /// The block's payload item (appended to the payload).
    pub fn encode_item(&self, out: &mut Vec<u8>) {
        self.encode(out);
    }
}

/// A frame: the compressed payload of one batch, as the blobs of its commit carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame(pub Bytes);

impl Frame {
    /// A frame of `payload` stored with `codec` (`compressed` is `payload` itself for
    /// [`Codec::None`]).
    pub fn new(codec: Codec, payload_len: usize, compressed: &[u8]) -> Self {
        let mut out = Vec::with_capacity(FRAME_HEADER_BYTES + compressed.len());
        out.push(PAYLOAD_VERSION);
        out.push(codec as u8);
        out.extend_from_slice(&(payload_len as u32).to_be_bytes());
        out.extend_from_slice(&(compressed.len() as u32).to_be_bytes());
        out.extend_from_slice(compressed);
        Self(out.into())
    }

    /// An uncompressed frame of `blocks`.
    pub fn uncompressed(blocks: &[PayloadBlock]) -> Self {
        let mut payload = Vec::new();
        for block in blocks {
            block.encode_item(&mut payload);
        }
        Self::new(Codec::None, payload.len(), &payload)
    }

    /// The frame's length in bytes (what the blobs carry).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the frame is empty (never, for a frame made by [`Frame::new`]).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The frame at the start of `bytes` (blob data, with zero padding after it): checks the
    /// header and cuts the frame to the length it announces.
    pub fn parse(bytes: &[u8]) -> Result<Self, DaError> {
        let header = bytes.get(..FRAME_HEADER_BYTES).ok_or(DaError::Truncated {
            needed: FRAME_HEADER_BYTES as u64,
            got: bytes.len() as u64,
        })?;
        if header[0] != PAYLOAD_VERSION {
            return Err(DaError::Version(header[0]));
        }
        Codec::from_byte(header[1])?;
        let compressed = u64::from(u32::from_be_bytes([
            header[6], header[7], header[8], header[9],
        ]));
        let needed = FRAME_HEADER_BYTES as u64 + compressed;
        if (bytes.len() as u64) < needed {
            return Err(DaError::Truncated {
                needed,
                got: bytes.len() as u64,
            });
        }
        Ok(Self(Bytes::copy_from_slice(&bytes[..needed as usize])))
    }

    /// Decompresses the payload and decodes its blocks.
    pub fn blocks(&self) -> Result<Vec<PayloadBlock>, DaError> {
        let parsed = Self::parse(&self.0)?;
        let header = &parsed.0[..FRAME_HEADER_BYTES];
        let codec = Codec::from_byte(header[1])?;
        let payload_len = u64::from(u32::from_be_bytes([
            header[2], header[3], header[4], header[5],
        ]));
        if payload_len > MAX_PAYLOAD_BYTES {
            return Err(DaError::TooLarge(payload_len));
        }
        let compressed = &parsed.0[FRAME_HEADER_BYTES..];
        let payload = match codec {
            Codec::None => compressed.to_vec(),
            Codec::Zstd => decompress_zstd(compressed, payload_len)?,
        };
        if payload.len() as u64 != payload_len {
            return Err(DaError::Decompress(format!(
                "{} bytes where the frame announces {payload_len}",
                payload.len()
            )));
        }
        let mut rest = payload.as_slice();
        let mut blocks = Vec::new();
        while !rest.is_empty() {
            let block = PayloadBlock::decode(&mut rest).map_err(|e| DaError::Block {
                index: blocks.len() as u64,
                reason: e.to_string(),
            })?;
            blocks.push(block);
        }
        Ok(blocks)
    }
}

/// Decompresses at most `limit` bytes (one more is read to tell an overlong payload).
fn decompress_zstd(compressed: &[u8], limit: u64) -> Result<Vec<u8>, DaError> {
    use std::io::Read;
    let mut source = compressed;
    let decoder = ruzstd::decoding::StreamingDecoder::new(&mut source)
        .map_err(|e| DaError::Decompress(e.to_string()))?;
    let mut out = Vec::with_capacity(limit as usize);
    decoder
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| DaError::Decompress(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use alloy_consensus::{Signed, TxEip1559, TxEnvelope, TxLegacy};
    use alloy_primitives::{Signature, TxKind, U256};
    use keel_primitives::DepositTx;
    use proptest::prelude::*;

    use super::*;

    fn transaction(kind: u8, seed: u64, input: Vec<u8>) -> KeelTx {
        let signature = Signature::new(
            U256::from(seed) + U256::from(1),
            U256::from(seed ^ 0xff),
            seed % 2 == 0,
        );
        let to = TxKind::Call(Address::with_last_byte(seed as u8));
        match kind % 4 {
            0 => TxEnvelope::Legacy(Signed::new_unhashed(
                TxLegacy {
                    chain_id: Some(7),
                    nonce: seed,
                    gas_price: 1 + u128::from(seed),
                    gas_limit: 21_000,
                    to,
                    value: U256::from(seed),
                    input: input.into(),
                },
                signature,
            ))
            .into(),
            1 => TxEnvelope::Eip1559(Signed::new_unhashed(
                TxEip1559 {
                    chain_id: 7,
                    nonce: seed,
                    gas_limit: 50_000,
                    max_fee_per_gas: 10,
                    max_priority_fee_per_gas: 1,
                    to,
                    value: U256::from(seed),
                    input: input.into(),
                    ..Default::default()
                },
                signature,
            ))
            .into(),
            3 => DepositTx {
                gas_limit: 21_000 + seed,
                data: Bytes::from(vec![seed as u8; (seed % 40) as usize]),
                ..DepositTx::deposit(
                    seed,
                    Address::repeat_byte(1),
                    Address::repeat_byte(2),
                    U256::from(seed),
                )
            }
            .into(),
            _ => DepositTx {
                refund: seed % 3 == 0,
                ..DepositTx::deposit(
                    seed,
                    Address::repeat_byte(1),
                    Address::repeat_byte(2),
                    U256::from(seed),
                )
            }
            .into(),
        }
    }

    fn block() -> impl Strategy<Value = PayloadBlock> {
        (
            any::<u64>(),
            any::<[u8; 20]>(),
            any::<u64>(),
            any::<u64>(),
            proptest::collection::vec(any::<u8>(), 0..32),
            proptest::collection::vec(
                (
                    any::<u8>(),
                    any::<u64>(),
                    proptest::collection::vec(any::<u8>(), 0..200),
                ),
                0..8,
            ),
        )
            .prop_map(|(timestamp, coinbase, gas_limit, base_fee, extra, txs)| {
                PayloadBlock {
                    timestamp,
                    coinbase: Address::from(coinbase),
                    gas_limit,
                    base_fee,
                    data_fee: DataFee {
                        l1_blob_base_fee: gas_limit ^ base_fee,
                        price: base_fee / 3,
                    },
                    extra_data: extra.into(),
                    transactions: txs
                        .into_iter()
                        .map(|(kind, seed, input)| transaction(kind, seed, input))
                        .collect(),
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn payloads_round_trip_through_frames_and_blobs(blocks in proptest::collection::vec(block(), 0..12)) {
            let frame = Frame::uncompressed(&blocks);
            prop_assert_eq!(frame.blocks().unwrap(), blocks.clone());
            let carried = crate::frame_from_blobs(&crate::to_blobs(&frame)).unwrap();
            prop_assert_eq!(carried.blocks().unwrap(), blocks);
        }
    }

    #[test]
    fn broken_frames_are_named_errors() {
        let frame = Frame::uncompressed(&[]);
        assert!(matches!(
            Frame::parse(&frame.0[..4]),
            Err(DaError::Truncated { .. })
        ));
        let mut other = frame.0.to_vec();
        other[0] = 9;
        assert_eq!(Frame::parse(&other), Err(DaError::Version(9)));
        other[0] = PAYLOAD_VERSION;
        other[1] = 7;
        assert_eq!(Frame::parse(&other), Err(DaError::Codec(7)));
        // A payload that announces more than any batch may hold.
        let mut huge = Frame::new(Codec::None, 0, b"").0.to_vec();
        huge[2..6].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            Frame(huge.into()).blocks(),
            Err(DaError::TooLarge(_))
        ));
        // Garbage where a block should be.
        let garbage = Frame::new(Codec::None, 3, &[0xf9, 0xff, 0xff]);
        assert!(matches!(
            garbage.blocks(),
            Err(DaError::Block { index: 0, .. })
        ));
        // Garbage where zstd should be.
        let garbage = Frame::new(Codec::Zstd, 3, &[1, 2, 3]);
        assert!(matches!(garbage.blocks(), Err(DaError::Decompress(_))));
    }
}
