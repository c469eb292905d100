//! Frames in blobs: each 32-byte field element carries 31 bytes of the frame after a zero
//! byte, so every element is below the BLS12-381 scalar modulus whatever the data; the frame
//! starts the first blob and is padded with zeros to the end of its last.

use crate::{DaError, Frame};

/// Field elements per blob (EIP-4844).
pub const FIELD_ELEMENTS_PER_BLOB: usize = 4096;
/// Bytes per field element.
pub const BYTES_PER_FIELD_ELEMENT: usize = 32;
/// Bytes of a blob.
pub const BLOB_BYTES: usize = FIELD_ELEMENTS_PER_BLOB * BYTES_PER_FIELD_ELEMENT;
/// Frame bytes one blob carries: 31 per field element.
pub const BLOB_CAPACITY: usize = FIELD_ELEMENTS_PER_BLOB * (BYTES_PER_FIELD_ELEMENT - 1);

/// One blob's bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Blob(pub Box<[u8; BLOB_BYTES]>);

impl core::fmt::Debug for Blob {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let used = self.0.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
        write!(f, "Blob({used} bytes used)")
    }
}

impl Blob {
    /// A blob of `bytes` (exactly [`BLOB_BYTES`] of them).
    pub fn from_slice(bytes: &[u8]) -> Result<Self, DaError> {
        let array: [u8; BLOB_BYTES] = bytes
            .try_into()
            .map_err(|_| DaError::BlobSize(bytes.len() as u64))?;
        Ok(Self(Box::new(array)))
    }

    /// Field element `index`, 32 bytes big endian.
    pub fn element(&self, index: usize) -> &[u8; 32] {
        let start = index * BYTES_PER_FIELD_ELEMENT;
        self.0[start..start + BYTES_PER_FIELD_ELEMENT]
            .try_into()
            .unwrap_or(&[0; 32])
    }

    /// How many leading field elements hold data (the rest are zero).
    pub fn used_elements(&self) -> usize {
        self.0
            .iter()
            .rposition(|b| *b != 0)
            .map_or(0, |i| i / BYTES_PER_FIELD_ELEMENT + 1)
    }
}

/// How many blobs a frame of `frame_len` bytes fills.
pub const fn blobs_needed(frame_len: usize) -> usize {
    frame_len.div_ceil(BLOB_CAPACITY)
}

/// Packs `frame` into as many blobs as it needs.
pub fn to_blobs(frame: &Frame) -> Vec<Blob> {
    let data = frame.0.as_ref();
    let mut blobs = Vec::with_capacity(blobs_needed(data.len()));
    for chunk in data.chunks(BLOB_CAPACITY) {
        let mut blob = Box::new([0u8; BLOB_BYTES]);
        for (element, bytes) in chunk.chunks(BYTES_PER_FIELD_ELEMENT - 1).enumerate() {
            let start = element * BYTES_PER_FIELD_ELEMENT + 1;
            blob[start..start + bytes.len()].copy_from_slice(bytes);
        }
        blobs.push(Blob(blob));
    }
    blobs
}

/// The frame `blobs` carry: every element's first byte must be zero.
pub fn frame_from_blobs(blobs: &[Blob]) -> Result<Frame, DaError> {
    let mut data = Vec::with_capacity(blobs.len() * BLOB_CAPACITY);
    for (index, blob) in blobs.iter().enumerate() {
        for element in 0..FIELD_ELEMENTS_PER_BLOB {
            let bytes = blob.element(element);
            if bytes[0] != 0 {
                return Err(DaError::FieldElement {
                    blob: index as u64,
                    element: element as u64,
                    reason: "its first byte is not zero",
                });
            }
            data.extend_from_slice(&bytes[1..]);
        }
    }
    Frame::parse(&data)
}
