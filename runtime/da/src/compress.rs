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
    /// Every block's item, uncompressed and in order: a block that does not fit is taken out
    /// by compressing the others again ([`Self::push_within`]).
    items: Vec<u8>,
    /// Where each item ends in `items`.
    ends: Vec<usize>,
    /// The last block added: its item's length and what it added to the frame.
    last: Option<(usize, usize)>,
}

impl core::fmt::Debug for PayloadWriter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PayloadWriter")
            .field("blocks", &self.blocks())
            .field("payload_len", &self.payload_len())
            .field("frame_len", &self.frame_len())
            .finish()
    }
}

impl PayloadWriter {
    /// An empty payload.
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            encoder: Self::encoder()?,
            items: Vec::new(),
            ends: Vec::new(),
            last: None,
        })
    }

    fn encoder() -> std::io::Result<Encoder<'static, Vec<u8>>> {
        let mut encoder = Encoder::new(Vec::new(), LEVEL)?;
        // The frame header carries the length: no zstd content size, no checksum (the frame
        // is bound by the proof and by L1, not by a checksum).
        encoder.include_contentsize(false)?;
        encoder.include_checksum(false)?;
        Ok(encoder)
    }

    /// Appends `block` and flushes it.
    pub fn push(&mut self, block: &PayloadBlock) -> std::io::Result<()> {
        let start = self.items.len();
        let before = self.encoder.get_ref().len();
        block.encode_item(&mut self.items);
        self.encoder.write_all(&self.items[start..])?;
        self.encoder.flush()?;
        self.ends.push(self.items.len());
        self.last = Some((
            self.items.len() - start,
            self.encoder.get_ref().len() - before,
        ));
        Ok(())
    }

    /// Appends `block` if the frame then stays within `limit` bytes and returns `true`;
    /// otherwise leaves the payload exactly as it was (compressing the earlier blocks again, one
    /// flush each, as [`Self::push`] did) and returns `false`.
    pub fn push_within(&mut self, block: &PayloadBlock, limit: usize) -> std::io::Result<bool> {
        let last = self.last;
        self.push(block)?;
        if self.frame_len() <= limit {
            return Ok(true);
        }
        self.ends.pop();
        self.items.truncate(self.ends.last().copied().unwrap_or(0));
        self.encoder = Self::encoder()?;
        let mut start = 0;
        for &end in &self.ends {
            self.encoder.write_all(&self.items[start..end])?;
            self.encoder.flush()?;
            start = end;
        }
        self.last = last;
        Ok(false)
    }

    /// Blocks added.
    pub fn blocks(&self) -> usize {
        self.ends.len()
    }

    /// Uncompressed payload bytes so far.
    pub fn payload_len(&self) -> usize {
        self.items.len()
    }

    /// The last block added: its payload bytes and the bytes it added to the frame (how well
    /// the batch's traffic compresses).
    pub const fn last_block(&self) -> Option<(usize, usize)> {
        self.last
    }

    /// The frame's length if it were finished now (the end of the zstd frame adds a few bytes,
    /// counted here).
    pub fn frame_len(&self) -> usize {
        FRAME_HEADER_BYTES + self.encoder.get_ref().len() + 8
    }

    /// The frame of everything added.
    pub fn finish(self) -> std::io::Result<Frame> {
        let payload_len = self.payload_len();
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

    #[test]
    fn a_block_past_the_limit_leaves_the_payload_as_it_was() {
        let block = |i: u64, txs: usize| PayloadBlock {
            timestamp: i,
            coinbase: Address::repeat_byte(1),
            gas_limit: 30_000_000,
            base_fee: 7,
            data_fee: keel_primitives::DataFee::default(),
            // Incompressible: random extra data, sized by `txs`.
            extra_data: Bytes::from(
                (0..txs * 100)
                    .map(|j| {
                        (alloy_primitives::keccak256((i * 1_000_000 + j as u64).to_be_bytes()))[0]
                    })
                    .collect::<Vec<u8>>(),
            ),
            transactions: vec![],
        };
        let mut writer = PayloadWriter::new().unwrap();
        let mut reference = PayloadWriter::new().unwrap();
        for i in 0..3 {
            assert!(writer.push_within(&block(i, 10), 10_000).unwrap());
            reference.push(&block(i, 10)).unwrap();
        }
        let (len, len_before) = (writer.frame_len(), writer.payload_len());
        assert!(
            !writer.push_within(&block(3, 100), 10_000).unwrap(),
            "10 kB more cannot fit"
        );
        assert_eq!(
            (writer.frame_len(), writer.payload_len(), writer.blocks()),
            (len, len_before, 3)
        );
        // What follows compresses exactly as if the refused block had never been offered.
        assert!(writer.push_within(&block(4, 5), 10_000).unwrap());
        reference.push(&block(4, 5)).unwrap();
        assert_eq!(writer.finish().unwrap(), reference.finish().unwrap());
    }
}
