//! The coordinator's wire protocol, version [`PROTOCOL_VERSION`].
//!
//! A frame is a 4-byte big-endian payload length, then the payload: one tag byte naming the
//! message and the message's fields as one RLP list. Either side refuses a frame longer than
//! its limit. See `runtime/coordinator/PROTOCOL.md`.

use alloy_primitives::Bytes;
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};
use keel_primitives::BatchOutput;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The protocol version this build speaks; a peer announcing another is refused.
pub const PROTOCOL_VERSION: u64 = 1;
/// The largest frame the coordinator reads (a proof): 64 MiB.
pub const MAX_PROVER_FRAME: u32 = 64 << 20;
/// The largest frame a prover reads (a batch's input): 1 GiB.
pub const MAX_COORDINATOR_FRAME: u32 = 1 << 30;

/// The first message of a connection, from the prover.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct Hello {
    /// [`PROTOCOL_VERSION`] of the prover.
    pub protocol_version: u64,
    /// The prover's name, for logs and the proof record.
    pub prover: String,
    /// Its backend: `exec`, `openvm`.
    pub backend: String,
    /// The version of the program it proves (`keel_stf::PROGRAM_VERSION` for `exec`).
    pub program_version: String,
}

/// The coordinator's answer to an accepted [`Hello`].
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct Welcome {
    /// [`PROTOCOL_VERSION`] of the coordinator.
    pub protocol_version: u64,
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
    /// An [`ErrorCode`] as a number.
    pub code: u64,
    /// What was wrong and what to do, for people.
    pub message: String,
}

/// Why the coordinator refused something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
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
}

impl ErrorCode {
    /// The code of a number, if it is one.
    pub const fn from_u64(code: u64) -> Option<Self> {
        Some(match code {
            1 => Self::UnsupportedProtocol,
            2 => Self::ProgramMismatch,
            3 => Self::MalformedFrame,
            4 => Self::UnexpectedMessage,
            5 => Self::NotLeased,
            6 => Self::OutputMismatch,
            7 => Self::Internal,
            _ => return None,
        })
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
        /// Announced length.
        len: u32,
        /// The limit.
        max: u32,
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
            code: code as u64,
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

/// Reads one frame; `Ok(None)` when the peer closed the connection between frames.
pub async fn read_message<R: AsyncRead + Unpin>(
    reader: &mut R,
    max: u32,
) -> Result<Option<Message>, ProtocolError> {
    let mut len = [0u8; 4];
    match reader.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let len = u32::from_be_bytes(len);
    if len > max {
        return Err(ProtocolError::TooLong { len, max });
    }
    let mut payload = vec![0u8; len as usize];
    reader.read_exact(&mut payload).await?;
    Message::decode(&payload).map(Some)
}

/// Writes one frame and flushes it.
pub async fn write_message<W: AsyncWrite + Unpin>(
    writer: &mut W,
    message: &Message,
) -> Result<(), ProtocolError> {
    let payload = message.encode();
    let len = u32::try_from(payload.len()).map_err(|_| ProtocolError::TooLong {
        len: u32::MAX,
        max: u32::MAX,
    })?;
    writer.write_all(&len.to_be_bytes()).await?;
    writer.write_all(&payload).await?;
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
            chain_id: 7,
            first_block: 10,
            block_count: 2,
            parent_block_hash: B256::repeat_byte(1),
            pre_state_root: B256::repeat_byte(2),
            post_state_root: B256::repeat_byte(3),
            last_block_hash: B256::repeat_byte(4),
            withdrawals_root: B256::ZERO,
            deposits_rolling_hash: B256::ZERO,
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
        let hello = Message::Hello(Hello {
            protocol_version: 1,
            prover: "p".into(),
            backend: "exec".into(),
            program_version: "v".into(),
        })
        .encode();
        assert!(matches!(
            Message::decode(&hello[..hello.len() - 2]),
            Err(ProtocolError::Body { tag: 0x01, .. })
        ));
        let mut trailing = Message::RequestWork.encode();
        trailing.push(0);
        assert!(matches!(
            Message::decode(&trailing),
            Err(ProtocolError::Body { tag: 0x02, .. })
        ));
    }

    #[tokio::test]
    async fn frames_are_length_prefixed_and_bounded() {
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
        drop(a);
        let (mut a, mut b) = tokio::io::duplex(64);
        drop(a.shutdown().await);
        assert_eq!(read_message(&mut b, 1024).await.unwrap(), None);
    }
}
