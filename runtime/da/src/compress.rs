//! [`PayloadWriter`]: the open batch's payload, compressed as blocks are added, so the batcher
//! knows at every block how many blob bytes the batch already fills.

use std::io::Write;

use zstd::stream::write::Encoder;

use crate::{Codec, FRAME_HEADER_BYTES, Frame, PayloadBlock};

/// zstd level: 3 (zstd's default) compresses a block of transfers in well under a millisecond;
/// higher levels gain little on data dominated by signatures.
const LEVEL: i32 = 3;

/// A payload being compressed block by block. Each block is flushed, so [`Self::frame_len`]
/// is exact, and [`Self::finish`] gives the frame the batch's blobs carry.
pub struct PayloadWriter {
    encoder: Encoder<'static, Vec<u8>>,
    payload_len: usize,
    blocks: usize,
}

impl core::fmt::Debug for PayloadWriter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PayloadWriter")
            .field("blocks", &self.blocks)
            .field("payload_len", &self.payload_len)
            .field("frame_len", &self.frame_len())
            .finish()
    }
}

impl PayloadWriter {
    /// An empty payload.
    pub fn new() -> std::io::Result<Self> {
        let mut encoder = Encoder::new(Vec::new(), LEVEL)?;
        // The frame header carries the length: no zstd content size, no checksum (the frame
        // is bound by the proof and by L1, not by a checksum).
        encoder.include_contentsize(false)?;
        encoder.include_checksum(false)?;
        Ok(Self {
            encoder,
            payload_len: 0,
            blocks: 0,
        })
    }

    /// Appends `block` and flushes it.
    pub fn push(&mut self, block: &PayloadBlock) -> std::io::Result<()> {
        let mut item = Vec::new();
        block.encode_item(&mut item);
        self.encoder.write_all(&item)?;
        self.encoder.flush()?;
        self.payload_len += item.len();
        self.blocks += 1;
        Ok(())
    }

    /// Blocks added.
    pub const fn blocks(&self) -> usize {
        self.blocks
    }

    /// Uncompressed payload bytes so far.
    pub const fn payload_len(&self) -> usize {
        self.payload_len
    }

    /// The frame's length if it were finished now (the end of the zstd frame adds a few bytes,
    /// counted here).
    pub fn frame_len(&self) -> usize {
        FRAME_HEADER_BYTES + self.encoder.get_ref().len() + 8
    }

    /// The frame of everything added.
    pub fn finish(self) -> std::io::Result<Frame> {
        let payload_len = self.payload_len;
        let compressed = self.encoder.finish()?;
        Ok(Frame::new(Codec::Zstd, payload_len, &compressed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, Bytes};

    #[test]
    fn a_streamed_payload_decodes_to_its_blocks() {
        let blocks: Vec<PayloadBlock> = (0..50u64)
            .map(|i| PayloadBlock {
                timestamp: 1_700_000_000 + i,
                coinbase: Address::repeat_byte(1),
                gas_limit: 30_000_000,
                base_fee: 1_000_000_000 - i,
                data_fee: keel_primitives::DataFee {
                    l1_blob_base_fee: i,
                    price: 826 * i,
                },
                extra_data: Bytes::from_static(b"keel"),
                transactions: vec![],
            })
            .collect();
        let mut writer = PayloadWriter::new().unwrap();
        for block in &blocks {
            writer.push(block).unwrap();
        }
        let announced = writer.frame_len();
        let frame = writer.finish().unwrap();
        assert!(frame.len() <= announced, "{} > {announced}", frame.len());
        assert_eq!(frame.blocks().unwrap(), blocks);
        let from_blobs = crate::frame_from_blobs(&crate::to_blobs(&frame)).unwrap();
        assert_eq!(from_blobs, frame);
    }
}
