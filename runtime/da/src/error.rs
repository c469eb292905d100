//! [`DaError`]: why a payload or blob cannot be read.

/// A frame, blob or payload that cannot be what the format says. Every variant is a fault of
/// the data (a prover's input, or blobs fetched from L1), never of the machine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DaError {
    /// The frame is shorter than its header or than the length it announces.
    #[error("truncated frame: {needed} bytes needed, {got} present")]
    Truncated {
        /// Bytes the frame needs.
        needed: u64,
        /// Bytes there are.
        got: u64,
    },
    /// A format version this build does not read.
    #[error("payload version {0} is not supported (this build reads version {ours})", ours = crate::PAYLOAD_VERSION)]
    Version(u8),
    /// A compression codec this build does not know.
    #[error("unknown payload codec {0}")]
    Codec(u8),
    /// The payload announces more bytes than any batch may hold.
    #[error("the payload announces {0} bytes, above the limit of {limit}", limit = crate::MAX_PAYLOAD_BYTES)]
    TooLarge(u64),
    /// The compressed bytes do not decompress to the announced length.
    #[error("the payload does not decompress: {0}")]
    Decompress(String),
    /// A block of the payload does not decode.
    #[error("payload block {index} does not decode: {reason}")]
    Block {
        /// Its position in the payload.
        index: u64,
        /// The decoder's message.
        reason: String,
    },
    /// A blob's field element is not below the BLS12-381 scalar modulus, or a byte that must be
    /// zero is not.
    #[error("blob {blob}, field element {element}: {reason}")]
    FieldElement {
        /// The blob.
        blob: u64,
        /// The field element.
        element: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// More blobs are bound than the frame fills, or fewer.
    #[error("{given} blob hashes for a frame that fills {needed} blobs")]
    BlobCount {
        /// Versioned hashes given.
        given: u64,
        /// Blobs the frame fills.
        needed: u64,
    },
    /// c-kzg refused a blob or an opening (with the `kzg` feature).
    #[error("KZG: {0}")]
    Kzg(String),
    /// A blob does not have the size of a blob.
    #[error("a blob of {0} bytes (a blob is {size} bytes)", size = crate::BLOB_BYTES)]
    BlobSize(u64),
}
