//! [`Refusal`]: why the coordinator refuses a prover or one of its messages, decided where the
//! logic is and turned into an `Error` frame only at the connection's edge.

use keel_primitives::{BatchOutput, VerifierKind};
use keel_storage::StorageError;

use crate::protocol::{ErrorCode, Message, PROTOCOL_VERSION, ProtocolError};

/// Why the coordinator refuses something; [`Refusal::code`] is the wire code, `Display` the
/// message a person reads.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The prover speaks another protocol version.
    #[error("protocol version {0} is not supported; this node speaks version {PROTOCOL_VERSION}")]
    UnsupportedProtocol(u16),
    /// The prover's backend or program version is not one this node takes.
    #[error(
        "program version {version} is not accepted for backend {backend}; this node accepts: \
         {accepted}. Run a keel-prover built from the same Keel release as the node"
    )]
    ProgramMismatch {
        /// The backend the prover announced.
        backend: String,
        /// The program version it announced.
        version: String,
        /// What this node takes, listed.
        accepted: String,
    },
    /// A frame did not decode, or was too long.
    #[error("malformed frame: {0}")]
    MalformedFrame(ProtocolError),
    /// The connection did not start with `Hello`.
    #[error("expected Hello first, got {0}")]
    ExpectedHello(&'static str),
    /// A coordinator's message, sent by a prover.
    #[error("{0} is not a message a prover sends")]
    NotFromProver(&'static str),
    /// A proof of a batch that is not sealed.
    #[error("batch {0} is not sealed")]
    NotSealed(u64),
    /// A proof of a batch that already has one.
    #[error("batch {0} is already proven")]
    AlreadyProven(u64),
    /// A proof under a lease that another prover now holds.
    #[error("lease {lease_id} on batch {batch} is no longer yours: the batch was leased again")]
    LeasedAgain {
        /// The batch.
        batch: u64,
        /// The prover's lapsed lease.
        lease_id: u64,
    },
    /// The proof attests another output than the node's.
    #[error(
        "the proof of batch {batch} attests commitment {} but the node's is {}: the prover \
         computed {proven:?}, the node {node:?}",
        proven.commitment(),
        node.commitment()
    )]
    OutputMismatch {
        /// The batch.
        batch: u64,
        /// What the proof attests.
        proven: Box<BatchOutput>,
        /// What the node computed.
        node: Box<BatchOutput>,
    },
    /// The proof is not a list of parts in the format this node reads.
    #[error("{0}; this prover speaks another proof format than the node")]
    UnreadableParts(String),
    /// The proof lacks a part one of the node's L1 verifiers needs.
    #[error(
        "the proof of batch {batch} has parts {:?} but this node's L1 verifiers need {:?} \
         (missing {:?}): a `dev` part needs `keel-prover --dev-key`, an `attesting` part \
         `--backend openvm --attester-key`",
        names(made),
        names(required),
        names(missing)
    )]
    MissingParts {
        /// The batch.
        batch: u64,
        /// The parts the proof has.
        made: Vec<VerifierKind>,
        /// The parts the node needs.
        required: Vec<VerifierKind>,
        /// The parts missing.
        missing: Vec<VerifierKind>,
    },
    /// The node takes known provers only, and this one did not prove it is one.
    #[error("prover not allowed: {0}")]
    Unauthenticated(String),
    /// One of the node's L1 verifiers refuses the proof.
    #[error("the proof of batch {batch} is refused by the node's L1 verifiers: {reason}")]
    ProofRefused {
        /// The batch.
        batch: u64,
        /// What the verifier said.
        reason: String,
    },
    /// The node's database failed.
    #[error("the node's storage failed: {0}")]
    Storage(#[from] StorageError),
    /// The node's blocking work did not complete (the node is shutting down).
    #[error("the node is shutting down")]
    ShuttingDown,
}

impl Refusal {
    /// The code sent on the wire.
    pub const fn code(&self) -> ErrorCode {
        match self {
            Self::UnsupportedProtocol(_) => ErrorCode::UnsupportedProtocol,
            Self::ProgramMismatch { .. } => ErrorCode::ProgramMismatch,
            Self::MalformedFrame(_) => ErrorCode::MalformedFrame,
            Self::ExpectedHello(_) | Self::NotFromProver(_) => ErrorCode::UnexpectedMessage,
            Self::NotSealed(_) | Self::AlreadyProven(_) | Self::LeasedAgain { .. } => {
                ErrorCode::NotLeased
            }
            Self::OutputMismatch { .. } => ErrorCode::OutputMismatch,
            Self::UnreadableParts(_) | Self::MissingParts { .. } => ErrorCode::MissingProofParts,
            Self::ProofRefused { .. } => ErrorCode::ProofRefused,
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::Storage(_) | Self::ShuttingDown => ErrorCode::Internal,
        }
    }

    /// The `Error` frame that says it.
    pub fn to_message(&self) -> Message {
        Message::error(self.code(), self.to_string())
    }
}

/// The kinds' names, as deployment files spell them.
fn names(kinds: &[VerifierKind]) -> Vec<&'static str> {
    kinds.iter().map(|kind| kind.name()).collect()
}
