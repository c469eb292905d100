//! The coordinator's wire protocol, version [`PROTOCOL_VERSION`].
//!
//! A frame is a 4-byte big-endian payload length, then the payload: one tag byte naming the
//! message and the message's fields as one RLP list. Either side refuses a frame longer than
//! its limit ([`FrameCodec::new`]). See `runtime/coordinator/PROTOCOL.md`.
//!
//! Two layers, both used by the coordinator and by `keel-prover`:
//!
//! - pure functions on bytes: [`Message::encode`] / [`Message::decode`] (a payload),
//!   [`encode_frame`] / [`FrameCodec::decode`] (a whole frame);
//! - async helpers over tokio streams: [`FrameCodec::read`] (alias [`read_message`]) and
//!   [`write_message`].

use alloy_primitives::Bytes;
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};
use keel_primitives::BatchOutput;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The protocol version this build speaks; a peer announcing another is refused.
///
/// - 1: the first.
/// - 2: `BatchOutput` has twelve fields (the last block's timestamp); error codes 9
///   (`ProofRefused`) and 10 (`Unauthenticated`); `Hello` carries a timestamp and a signature.
pub const PROTOCOL_VERSION: u16 = 2;
/// The default limit on frames *from* a prover, which the coordinator reads (the largest is a
/// `SubmitProof`; 64 MiB holds any proof a backend we know of makes).
pub const MAX_PROVER_FRAME: u32 = 64 << 20;
/// The default limit on frames *from* the coordinator, which a prover reads (the largest is a
/// `Work` carrying a batch's input; the batcher keeps inputs far below 1 GiB).
pub const MAX_COORDINATOR_FRAME: u32 = 1 << 30;
/// Bytes of the length prefix before each payload.
pub const LENGTH_PREFIX: usize = 4;

/// The first message of a connection, from the prover.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct Hello {
    /// [`PROTOCOL_VERSION`] of the prover.
    pub protocol_version: u16,
    /// The prover's name, for logs and the proof record.
    pub prover: String,
    /// Its backend: `exec`, `openvm`.
    pub backend: String,
    /// The version of the program it proves (`keel_stf::PROGRAM_VERSION` for `exec`).
    pub program_version: String,
    /// When the prover signed this `Hello` (Unix seconds; 0 when unsigned).
    pub timestamp: u64,
    /// The prover key's signature over [`Hello::digest`] (65 bytes r ‖ s ‖ v), or empty. A node
    /// with `prover.allowed_provers` takes only a recent `Hello` signed by one of them.
    pub signature: alloy_primitives::Bytes,
}

impl Hello {
    /// An unsigned `Hello` of this build's protocol version.
    pub fn new(
        prover: impl Into<String>,
        backend: impl Into<String>,
        program_version: impl Into<String>,
    ) -> Self {
        Self {
            protocol_version: PROTOCOL_VERSION,
            prover: prover.into(),
            backend: backend.into(),
            program_version: program_version.into(),
            timestamp: 0,
            signature: alloy_primitives::Bytes::new(),
        }
    }

    /// What a prover signs: keccak256 of a domain tag, then each of name, backend and program
    /// version with its 4-byte length, then the timestamp (8 bytes, big endian).
    pub fn digest(&self) -> alloy_primitives::B256 {
        let mut bytes = b"keel.prover-hello.v1".to_vec();
        for field in [&self.prover, &self.backend, &self.program_version] {
            bytes.extend_from_slice(&(field.len() as u32).to_be_bytes());
            bytes.extend_from_slice(field.as_bytes());
        }
        bytes.extend_from_slice(&self.timestamp.to_be_bytes());
        alloy_primitives::keccak256(bytes)
    }
}

/// The coordinator's answer to an accepted [`Hello`].
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct Welcome {
    /// [`PROTOCOL_VERSION`] of the coordinator.
    pub protocol_version: u16,
    /// The chain the batches belong to.
    pub chain_id: u64,
    /// How long a lease lasts, milliseconds.
    pub lease_timeout_ms: u64,
}

/// A batch leased to the prover.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct Work {
    /// The batch number.
    pub batch: u64,
    /// The lease; [`SubmitProof`] quotes it.
    pub lease_id: u64,
    /// How long the lease lasts from now, milliseconds.
    pub lease_timeout_ms: u64,
    /// The batch's encoded `keel_stf::ProverInput`.
    pub input: Bytes,
}

/// Nothing to prove now.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct NoWork {
    /// Ask again after this many milliseconds.
    pub retry_after_ms: u64,
}

/// A finished proof.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct SubmitProof {
    /// The batch.
    pub batch: u64,
    /// The lease it was proven under.
    pub lease_id: u64,
    /// What the prover computed; must equal the node's.
    pub output: BatchOutput,
    /// The proof (empty for `exec`).
    pub proof: Bytes,
    /// How long proving took, milliseconds.
    pub proving_ms: u64,
}

/// A batch the prover could not prove; it goes back to the queue.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct ReportFailure {
    /// The batch.
    pub batch: u64,
    /// The lease.
    pub lease_id: u64,
    /// What went wrong, for the node's log.
    pub reason: String,
}

/// The proof of `batch` is stored.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct ProofAccepted {
    /// The batch.
    pub batch: u64,
}

/// The failure of `batch` is recorded and its lease dropped.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct FailureRecorded {
    /// The batch.
    pub batch: u64,
}

/// A refusal; the coordinator closes the connection after sending it.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct ErrorReply {
    /// An [`ErrorCode`] as a number (an unknown number is kept: a newer coordinator may send
    /// codes this build does not know).
    pub code: u16,
    /// What was wrong and what to do, for people.
    pub message: String,
}

impl ErrorReply {
    /// The named code, if this build knows it.
    pub const fn error_code(&self) -> Option<ErrorCode> {
        ErrorCode::from_u16(self.code)
    }

    /// Whether reconnecting cannot help: the coordinator refused the prover itself (protocol or
    /// program version), not one of its messages.
    pub const fn is_fatal(&self) -> bool {
        matches!(self.error_code(), Some(code) if code.is_fatal())
    }
}

/// Why the coordinator refused something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum ErrorCode {
    /// The prover speaks another protocol version.
    UnsupportedProtocol = 1,
    /// The prover's backend or program version is not the node's.
    ProgramMismatch = 2,
    /// A frame did not decode, or was too long.
    MalformedFrame = 3,
    /// A message that is not valid at this point (e.g. anything before `Hello`).
    UnexpectedMessage = 4,
    /// The batch is not sealed, or the lease is not (or no longer) the prover's.
    NotLeased = 5,
    /// The proof attests another output than the node's.
    OutputMismatch = 6,
    /// The node failed underneath (database).
    Internal = 7,
    /// The proof is not a list of proof parts, or lacks a part one of the node's L1 verifiers
    /// requires: this prover (its backend and keys) cannot serve this node.
    MissingProofParts = 8,
    /// One of the node's L1 verifiers refuses the proof (a bad signature, a key or program L1
    /// does not accept, a forged proof): the batch goes to a prover again.
    ProofRefused = 9,
    /// The node takes only provers it knows (`prover.allowed_provers`), and this `Hello` is
    /// not a recent one signed by one of them.
    Unauthenticated = 10,
}

impl ErrorCode {
    /// The code of a number, if it is one.
    pub const fn from_u16(code: u16) -> Option<Self> {
        Some(match code {
            1 => Self::UnsupportedProtocol,
            2 => Self::ProgramMismatch,
            3 => Self::MalformedFrame,
            4 => Self::UnexpectedMessage,
            5 => Self::NotLeased,
            6 => Self::OutputMismatch,
            7 => Self::Internal,
            8 => Self::MissingProofParts,
            9 => Self::ProofRefused,
            10 => Self::Unauthenticated,
            _ => return None,
        })
    }

    /// Whether the prover itself is refused (its protocol or program version, or the proof
    /// parts it makes), so that reconnecting cannot help; every other code concerns one
    /// message or batch.
    pub const fn is_fatal(self) -> bool {
        matches!(
            self,
            Self::UnsupportedProtocol
                | Self::ProgramMismatch
                | Self::MissingProofParts
                | Self::Unauthenticated
        )
    }
}

/// Every message of the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Tag 0x01, prover → coordinator.
    Hello(Hello),
    /// Tag 0x02, prover → coordinator (no fields: an empty list).
    RequestWork,
    /// Tag 0x03, prover → coordinator.
    SubmitProof(SubmitProof),
    /// Tag 0x04, prover → coordinator.
    ReportFailure(ReportFailure),
    /// Tag 0x81, coordinator → prover.
    Welcome(Welcome),
    /// Tag 0x82, coordinator → prover.
    Work(Work),
    /// Tag 0x83, coordinator → prover.
    NoWork(NoWork),
    /// Tag 0x84, coordinator → prover.
    ProofAccepted(ProofAccepted),
    /// Tag 0x85, coordinator → prover.
    FailureRecorded(FailureRecorded),
    /// Tag 0xff, coordinator → prover; the connection closes after it.
    Error(ErrorReply),
}

/// Why a frame could not be read or decoded.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// The connection failed.
    #[error("connection error: {0}")]
    Io(#[from] std::io::Error),
    /// The frame announces more bytes than allowed.
    #[error("frame of {len} bytes is longer than the limit of {max} bytes")]
    TooLong {
        /// Announced (or, when writing, actual) payload length.
        len: u64,
        /// The limit.
        max: u32,
    },
    /// The bytes (or the connection) ended inside a frame.
    #[error("truncated frame: expected {expected} bytes, got {got}")]
    Truncated {
        /// Bytes the frame needs (the length prefix, then prefix and payload).
        expected: u64,
        /// Bytes there were.
        got: u64,
    },
    /// A frame with no tag byte.
    #[error("empty frame")]
    Empty,
    /// The tag names no message.
    #[error("unknown message tag {0:#04x}")]
    UnknownTag(u8),
    /// The body does not decode as the tag's message.
    #[error("message {tag:#04x} does not decode: {source}")]
    Body {
        /// The tag.
        tag: u8,
        /// The RLP error.
        source: alloy_rlp::Error,
    },
}

/// The empty RLP list that stands for a message without fields.
#[derive(RlpEncodable, RlpDecodable)]
struct Empty {}

impl Message {
    /// The tag byte of this message.
    pub const fn tag(&self) -> u8 {
        match self {
            Self::Hello(_) => 0x01,
            Self::RequestWork => 0x02,
            Self::SubmitProof(_) => 0x03,
            Self::ReportFailure(_) => 0x04,
            Self::Welcome(_) => 0x81,
            Self::Work(_) => 0x82,
            Self::NoWork(_) => 0x83,
            Self::ProofAccepted(_) => 0x84,
            Self::FailureRecorded(_) => 0x85,
            Self::Error(_) => 0xff,
        }
    }

    /// The message's name, for logs.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Hello(_) => "Hello",
            Self::RequestWork => "RequestWork",
            Self::SubmitProof(_) => "SubmitProof",
            Self::ReportFailure(_) => "ReportFailure",
            Self::Welcome(_) => "Welcome",
            Self::Work(_) => "Work",
            Self::NoWork(_) => "NoWork",
            Self::ProofAccepted(_) => "ProofAccepted",
            Self::FailureRecorded(_) => "FailureRecorded",
            Self::Error(_) => "Error",
        }
    }

    /// An [`ErrorReply`] message.
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Error(ErrorReply {
            code: code as u16,
            message: message.into(),
        })
    }

    /// The payload: tag byte, then the RLP body.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.tag()];
        match self {
            Self::Hello(m) => m.encode(&mut out),
            Self::RequestWork => Empty {}.encode(&mut out),
            Self::SubmitProof(m) => m.encode(&mut out),
            Self::ReportFailure(m) => m.encode(&mut out),
            Self::Welcome(m) => m.encode(&mut out),
            Self::Work(m) => m.encode(&mut out),
            Self::NoWork(m) => m.encode(&mut out),
            Self::ProofAccepted(m) => m.encode(&mut out),
            Self::FailureRecorded(m) => m.encode(&mut out),
            Self::Error(m) => m.encode(&mut out),
        }
        out
    }

    /// Decodes a payload written by [`Self::encode`]; trailing bytes are an error.
    pub fn decode(payload: &[u8]) -> Result<Self, ProtocolError> {
        let (&tag, mut body) = payload.split_first().ok_or(ProtocolError::Empty)?;
        fn body_of<T: Decodable>(tag: u8, body: &mut &[u8]) -> Result<T, ProtocolError> {
            let value = T::decode(body).map_err(|source| ProtocolError::Body { tag, source })?;
            if !body.is_empty() {
                return Err(ProtocolError::Body {
                    tag,
                    source: alloy_rlp::Error::UnexpectedLength,
                });
            }
            Ok(value)
        }
        let body = &mut body;
        Ok(match tag {
            0x01 => Self::Hello(body_of(tag, body)?),
            0x02 => {
                body_of::<Empty>(tag, body)?;
                Self::RequestWork
            }
            0x03 => Self::SubmitProof(body_of(tag, body)?),
            0x04 => Self::ReportFailure(body_of(tag, body)?),
            0x81 => Self::Welcome(body_of(tag, body)?),
            0x82 => Self::Work(body_of(tag, body)?),
            0x83 => Self::NoWork(body_of(tag, body)?),
            0x84 => Self::ProofAccepted(body_of(tag, body)?),
            0x85 => Self::FailureRecorded(body_of(tag, body)?),
            0xff => Self::Error(body_of(tag, body)?),
            other => return Err(ProtocolError::UnknownTag(other)),
        })
    }
}

/// Encodes `message` as a whole frame: length prefix, then payload.
///
/// Fails only for a payload over 4 GiB, which no frame limit admits anyway.
pub fn encode_frame(message: &Message) -> Result<Vec<u8>, ProtocolError> {
    let payload = message.encode();
    let len = u32::try_from(payload.len()).map_err(|_| ProtocolError::TooLong {
        len: payload.len() as u64,
        max: u32::MAX,
    })?;
    let mut frame = Vec::with_capacity(LENGTH_PREFIX + payload.len());
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(&payload);
    Ok(frame)
}

/// What a frame's payload buffer starts at; it grows as the bytes come.
const READ_CHUNK: usize = 64 * 1024;

/// Reads and decodes frames no longer than a limit, chosen by the reading side.
///
/// The coordinator reads with [`FrameCodec::coordinator`] (64 MiB: proofs), a prover with
/// [`FrameCodec::prover`] (1 GiB: batch inputs). The limit is checked against the length prefix
/// before anything is allocated, so a peer cannot make the reader reserve more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameCodec {
    max_frame: u32,
}

impl FrameCodec {
    /// A codec that refuses payloads longer than `max_frame` bytes.
    pub const fn new(max_frame: u32) -> Self {
        Self { max_frame }
    }

    /// The coordinator's default: reads frames from provers up to [`MAX_PROVER_FRAME`].
    pub const fn coordinator() -> Self {
        Self::new(MAX_PROVER_FRAME)
    }

    /// A prover's default: reads frames from the coordinator up to [`MAX_COORDINATOR_FRAME`].
    pub const fn prover() -> Self {
        Self::new(MAX_COORDINATOR_FRAME)
    }

    /// The longest payload this codec accepts, bytes.
    pub const fn max_frame(&self) -> u32 {
        self.max_frame
    }

    /// Decodes the frame at the start of `bytes`; returns the message and the bytes it took.
    ///
    /// Too few bytes for the prefix or the payload it announces is
    /// [`ProtocolError::Truncated`]; a prefix over the limit is [`ProtocolError::TooLong`]
    /// (even when the bytes are all there).
    pub fn decode(&self, bytes: &[u8]) -> Result<(Message, usize), ProtocolError> {
        let Some((prefix, rest)) = bytes.split_first_chunk::<LENGTH_PREFIX>() else {
            return Err(ProtocolError::Truncated {
                expected: LENGTH_PREFIX as u64,
                got: bytes.len() as u64,
            });
        };
        let len = self.check_len(*prefix)?;
        let payload = rest.get(..len).ok_or(ProtocolError::Truncated {
            expected: (LENGTH_PREFIX + len) as u64,
            got: bytes.len() as u64,
        })?;
        Ok((Message::decode(payload)?, LENGTH_PREFIX + len))
    }

    /// Reads one frame; `Ok(None)` when the peer closed the connection between frames.
    ///
    /// A connection that ends inside a frame is [`ProtocolError::Truncated`]; other I/O failures
    /// are [`ProtocolError::Io`].
    pub async fn read<R: AsyncRead + Unpin>(
        &self,
        reader: &mut R,
    ) -> Result<Option<Message>, ProtocolError> {
        let mut prefix = [0u8; LENGTH_PREFIX];
        let got = read_full(reader, &mut prefix).await?;
        if got == 0 {
            return Ok(None);
        }
        if got < LENGTH_PREFIX {
            return Err(ProtocolError::Truncated {
                expected: LENGTH_PREFIX as u64,
                got: got as u64,
            });
        }
        let len = self.check_len(prefix)?;
        // Grown as bytes arrive, not reserved from the prefix: a peer that announces a long
        // frame and sends nothing costs a few bytes, not the limit.
        let mut payload = Vec::with_capacity(len.min(READ_CHUNK));
        let got = (&mut *reader)
            .take(len as u64)
            .read_to_end(&mut payload)
            .await?;
        if got < len {
            return Err(ProtocolError::Truncated {
                expected: (LENGTH_PREFIX + len) as u64,
                got: (LENGTH_PREFIX + got) as u64,
            });
        }
        Message::decode(&payload).map(Some)
    }

    /// The payload length a prefix announces, if within the limit.
    fn check_len(&self, prefix: [u8; LENGTH_PREFIX]) -> Result<usize, ProtocolError> {
        let len = u32::from_be_bytes(prefix);
        if len > self.max_frame {
            return Err(ProtocolError::TooLong {
                len: u64::from(len),
                max: self.max_frame,
            });
        }
        // u32 → usize: Keel runs this on 64-bit hosts only (the guest never speaks TCP).
        Ok(len as usize)
    }
}

/// Fills `buf` from `reader` until it is full or the stream ends; returns the bytes read.
async fn read_full<R: AsyncRead + Unpin>(
    reader: &mut R,
    buf: &mut [u8],
) -> Result<usize, ProtocolError> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]).await {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(filled)
}

/// Reads one frame of at most `max` payload bytes: `FrameCodec::new(max).read(reader)`.
pub async fn read_message<R: AsyncRead + Unpin>(
    reader: &mut R,
    max: u32,
) -> Result<Option<Message>, ProtocolError> {
    FrameCodec::new(max).read(reader).await
}

/// Writes one frame ([`encode_frame`]) and flushes it.
pub async fn write_message<W: AsyncWrite + Unpin>(
    writer: &mut W,
    message: &Message,
) -> Result<(), ProtocolError> {
    let frame = encode_frame(message)?;
    writer.write_all(&frame).await?;
    writer.flush().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::B256;

    fn output() -> BatchOutput {
        BatchOutput {
            batch_number: 3,
            chain_spec_hash: B256::repeat_byte(7),
            first_block: 10,
            block_count: 2,
            parent_block_hash: B256::repeat_byte(1),
            pre_state_root: B256::repeat_byte(2),
            post_state_root: B256::repeat_byte(3),
            last_block_hash: B256::repeat_byte(4),
            last_block_timestamp: 1_700_000_000,
            withdrawals_root: B256::ZERO,
            deposits_rolling_hash: B256::ZERO,
            blobs_hash: B256::ZERO,
        }
    }

    #[test]
    fn every_message_round_trips() {
        let messages = [
            Message::Hello(Hello {
                protocol_version: PROTOCOL_VERSION,
                prover: "p".into(),
                backend: "exec".into(),
                program_version: "v".into(),
                timestamp: 0,
                signature: alloy_primitives::Bytes::new(),
            }),
            Message::RequestWork,
            Message::SubmitProof(SubmitProof {
                batch: 3,
                lease_id: 9,
                output: output(),
                proof: Bytes::from_static(b"proof"),
                proving_ms: 12,
            }),
            Message::ReportFailure(ReportFailure {
                batch: 3,
                lease_id: 9,
                reason: "out of memory".into(),
            }),
            Message::Welcome(Welcome {
                protocol_version: 1,
                chain_id: 7,
                lease_timeout_ms: 1000,
            }),
            Message::Work(Work {
                batch: 3,
                lease_id: 9,
                lease_timeout_ms: 1000,
                input: Bytes::from(vec![0xc0; 100]),
            }),
            Message::NoWork(NoWork {
                retry_after_ms: 500,
            }),
            Message::ProofAccepted(ProofAccepted { batch: 3 }),
            Message::FailureRecorded(FailureRecorded { batch: 3 }),
            Message::error(ErrorCode::ProgramMismatch, "no"),
        ];
        for message in messages {
            assert_eq!(Message::decode(&message.encode()).unwrap(), message);
        }
    }

    #[test]
    fn bad_payloads_are_named() {
        assert!(matches!(Message::decode(&[]), Err(ProtocolError::Empty)));
        assert!(matches!(
            Message::decode(&[0x42, 0xc0]),
            Err(ProtocolError::UnknownTag(0x42))
        ));
        // A Hello whose body is cut short.
        let payload = hello().encode();
        assert!(matches!(
            Message::decode(&payload[..payload.len() - 2]),
            Err(ProtocolError::Body { tag: 0x01, .. })
        ));
        let mut trailing = Message::RequestWork.encode();
        trailing.push(0);
        assert!(matches!(
            Message::decode(&trailing),
            Err(ProtocolError::Body { tag: 0x02, .. })
        ));
    }

    fn hello() -> Message {
        Message::Hello(Hello {
            protocol_version: PROTOCOL_VERSION,
            prover: "p".into(),
            backend: "exec".into(),
            program_version: "v".into(),
            timestamp: 0,
            signature: alloy_primitives::Bytes::new(),
        })
    }

    #[test]
    fn frames_round_trip_back_to_back() {
        let codec = FrameCodec::new(1024);
        let mut bytes = encode_frame(&hello()).unwrap();
        let first = bytes.len();
        bytes.extend(encode_frame(&Message::RequestWork).unwrap());
        assert_eq!(
            u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize,
            first - LENGTH_PREFIX
        );
        assert_eq!(bytes[4], 0x01, "the tag follows the length prefix");
        let (message, used) = codec.decode(&bytes).unwrap();
        assert_eq!((message, used), (hello(), first));
        let (message, used) = codec.decode(&bytes[first..]).unwrap();
        assert_eq!((message, first + used), (Message::RequestWork, bytes.len()));
    }

    #[test]
    fn a_frame_with_an_unknown_tag_is_named() {
        let frame = [0, 0, 0, 2, 0x42, 0xc0];
        assert!(matches!(
            FrameCodec::new(1024).decode(&frame),
            Err(ProtocolError::UnknownTag(0x42))
        ));
    }

    #[test]
    fn a_truncated_frame_says_how_much_is_missing() {
        let codec = FrameCodec::new(1024);
        let frame = encode_frame(&hello()).unwrap();
        assert!(matches!(
            codec.decode(&frame[..3]),
            Err(ProtocolError::Truncated {
                expected: 4,
                got: 3
            })
        ));
        let short = &frame[..frame.len() - 1];
        match codec.decode(short) {
            Err(ProtocolError::Truncated { expected, got }) => {
                assert_eq!((expected, got), (frame.len() as u64, short.len() as u64));
            }
            other => panic!("expected a truncated frame, got {other:?}"),
        }
    }

    #[test]
    fn an_oversize_frame_is_refused_by_its_prefix() {
        let frame = encode_frame(&Message::Work(Work {
            batch: 1,
            lease_id: 1,
            lease_timeout_ms: 1,
            input: Bytes::from(vec![0; 2048]),
        }))
        .unwrap();
        let payload = (frame.len() - LENGTH_PREFIX) as u64;
        // Refused even though every byte is there, and even from the prefix alone.
        for bytes in [&frame[..], &frame[..LENGTH_PREFIX]] {
            assert!(matches!(
                FrameCodec::new(1024).decode(bytes),
                Err(ProtocolError::TooLong { len, max: 1024 }) if len == payload
            ));
        }
        assert!(FrameCodec::new(4096).decode(&frame).is_ok());
        assert_eq!(FrameCodec::coordinator().max_frame(), 64 << 20);
        assert_eq!(FrameCodec::prover().max_frame(), 1 << 30);
    }

    #[test]
    fn error_codes_are_numbered_and_classified() {
        for code in 1..=10 {
            let named = ErrorCode::from_u16(code).unwrap();
            assert_eq!(named as u16, code);
        }
        assert_eq!(ErrorCode::from_u16(0), None);
        assert_eq!(ErrorCode::from_u16(11), None);
        let fatal = |code| match Message::error(code, "x") {
            Message::Error(reply) => reply.is_fatal(),
            _ => unreachable!(),
        };
        assert!(fatal(ErrorCode::ProgramMismatch) && fatal(ErrorCode::UnsupportedProtocol));
        assert!(fatal(ErrorCode::MissingProofParts));
        assert!(!fatal(ErrorCode::OutputMismatch) && !fatal(ErrorCode::MalformedFrame));
        assert!(!fatal(ErrorCode::ProofRefused));
    }

    #[tokio::test]
    async fn streams_carry_frames_and_name_how_they_end() {
        let (mut a, mut b) = tokio::io::duplex(1 << 16);
        write_message(&mut a, &Message::RequestWork).await.unwrap();
        assert_eq!(
            read_message(&mut b, 1024).await.unwrap(),
            Some(Message::RequestWork)
        );
        let work = Message::Work(Work {
            batch: 1,
            lease_id: 1,
            lease_timeout_ms: 1,
            input: Bytes::from(vec![0; 2048]),
        });
        write_message(&mut a, &work).await.unwrap();
        assert!(matches!(
            read_message(&mut b, 1024).await,
            Err(ProtocolError::TooLong { max: 1024, .. })
        ));
        drop((a, b));

        // Closed between frames: the end of the conversation, not an error.
        let (mut a, mut b) = tokio::io::duplex(64);
        a.shutdown().await.unwrap();
        assert_eq!(read_message(&mut b, 1024).await.unwrap(), None);

        // Closed inside a frame: truncated.
        let (mut a, mut b) = tokio::io::duplex(64);
        let frame = encode_frame(&hello()).unwrap();
        a.write_all(&frame[..frame.len() - 2]).await.unwrap();
        a.shutdown().await.unwrap();
        assert!(matches!(
            FrameCodec::new(1024).read(&mut b).await,
            Err(ProtocolError::Truncated { expected, got })
                if expected == frame.len() as u64 && got + 2 == expected
        ));
    }
}
