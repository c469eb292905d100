//! One worker per coordinator: the connect / lease / prove / submit loop.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use keel_coordinator::protocol::{
    ErrorCode, Hello, MAX_COORDINATOR_FRAME, Message, PROTOCOL_VERSION, ProtocolError,
    ReportFailure, SubmitProof, Work, read_message, write_message,
};
use tokio::net::TcpStream;
use tracing::{error, info, warn};

use crate::Backend;

/// First and longest wait before reconnecting.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(250), Duration::from_secs(10));

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// The prover's name, sent in `Hello`.
    pub name: String,
    /// Announce this program version instead of the backend's (tests of the refusal).
    pub program_version: Option<String>,
    /// Wait this long after receiving work before proving (tests: a slow prover to kill).
    pub hold: Duration,
}

/// Why a worker stopped for good.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The coordinator refused this prover (protocol or program version): retrying cannot help.
    #[error("the coordinator at {addr} refused this prover: {message}")]
    Refused {
        /// The coordinator.
        addr: SocketAddr,
        /// The coordinator's explanation.
        message: String,
    },
}

/// Why one session ended.
enum SessionEnd {
    /// Connection trouble or a refused proof: reconnect after a backoff.
    Retry(String),
    /// The coordinator refused the prover itself.
    Refused(String),
}

/// Serves the coordinator at `addr` until it refuses this prover; connection failures are
/// retried with exponential backoff.
pub async fn run_worker(
    addr: SocketAddr,
    backend: Arc<dyn Backend>,
    options: WorkerOptions,
) -> Result<(), WorkerError> {
    let mut backoff = BACKOFF.0;
    loop {
        let started = Instant::now();
        match session(addr, &backend, &options).await {
            SessionEnd::Refused(message) => {
                error!(target: "keel::prover", %addr, %message, "refused by the coordinator");
                return Err(WorkerError::Refused { addr, message });
            }
            SessionEnd::Retry(reason) => {
                // A session that got going resets the backoff.
                if started.elapsed() > BACKOFF.1 {
                    backoff = BACKOFF.0;
                }
                warn!(target: "keel::prover", %addr, %reason, retry_in_ms = backoff.as_millis() as u64, "coordinator unavailable");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF.1);
            }
        }
    }
}

async fn session(
    addr: SocketAddr,
    backend: &Arc<dyn Backend>,
    options: &WorkerOptions,
) -> SessionEnd {
    let mut stream = match TcpStream::connect(addr).await {
        Ok(stream) => stream,
        Err(e) => return SessionEnd::Retry(format!("cannot connect: {e}")),
    };
    let hello = Message::Hello(Hello {
        protocol_version: PROTOCOL_VERSION,
        prover: options.name.clone(),
        backend: backend.name().to_owned(),
        program_version: options
            .program_version
            .clone()
            .unwrap_or_else(|| backend.program_version()),
    });
    if let Err(e) = write_message(&mut stream, &hello).await {
        return SessionEnd::Retry(e.to_string());
    }
    match receive(&mut stream).await {
        Ok(Message::Welcome(welcome)) => {
            info!(target: "keel::prover", %addr, chain_id = welcome.chain_id, lease_timeout_ms = welcome.lease_timeout_ms, backend = backend.name(), "connected to the coordinator");
        }
        Ok(Message::Error(error))
            if matches!(
                ErrorCode::from_u64(error.code),
                Some(ErrorCode::UnsupportedProtocol | ErrorCode::ProgramMismatch)
            ) =>
        {
            return SessionEnd::Refused(error.message);
        }
        Ok(other) => return SessionEnd::Retry(unexpected(&other)),
        Err(e) => return SessionEnd::Retry(e),
    }
    loop {
        if let Err(e) = write_message(&mut stream, &Message::RequestWork).await {
            return SessionEnd::Retry(e.to_string());
        }
        match receive(&mut stream).await {
            Ok(Message::Work(work)) => {
                if let Err(end) = prove(&mut stream, backend, options, work).await {
                    return end;
                }
            }
            Ok(Message::NoWork(no_work)) => {
                tokio::time::sleep(Duration::from_millis(no_work.retry_after_ms.max(50))).await;
            }
            Ok(other) => return SessionEnd::Retry(unexpected(&other)),
            Err(e) => return SessionEnd::Retry(e),
        }
    }
}

/// Proves one leased batch and submits the result (or reports the failure).
async fn prove(
    stream: &mut TcpStream,
    backend: &Arc<dyn Backend>,
    options: &WorkerOptions,
    work: Work,
) -> Result<(), SessionEnd> {
    let Work {
        batch,
        lease_id,
        input,
        ..
    } = work;
    info!(target: "keel::prover", batch, lease = lease_id, input_bytes = input.len(), "proving batch");
    if !options.hold.is_zero() {
        tokio::time::sleep(options.hold).await;
    }
    let started = Instant::now();
    let task_backend = backend.clone();
    let result = tokio::task::spawn_blocking(move || task_backend.prove(&input)).await;
    let proving_ms = started.elapsed().as_millis() as u64;
    let reply = match result {
        Ok(Ok(proven)) => {
            info!(target: "keel::prover", batch, proving_ms, commitment = %proven.output.commitment(), proof_bytes = proven.proof.len(), "batch proven");
            Message::SubmitProof(SubmitProof {
                batch,
                lease_id,
                output: proven.output,
                proof: proven.proof,
                proving_ms,
            })
        }
        Ok(Err(e)) => {
            error!(target: "keel::prover", batch, error = %e, "cannot prove the batch; reporting it");
            Message::ReportFailure(ReportFailure {
                batch,
                lease_id,
                reason: e.to_string(),
            })
        }
        Err(e) => Message::ReportFailure(ReportFailure {
            batch,
            lease_id,
            reason: format!("the backend panicked: {e}"),
        }),
    };
    write_message(stream, &reply)
        .await
        .map_err(|e| SessionEnd::Retry(e.to_string()))?;
    match receive(stream).await {
        Ok(Message::ProofAccepted(_) | Message::FailureRecorded(_)) => Ok(()),
        Ok(Message::Error(error)) => {
            error!(target: "keel::prover", batch, code = error.code, message = %error.message, "the coordinator refused the result");
            Err(SessionEnd::Retry(error.message))
        }
        Ok(other) => Err(SessionEnd::Retry(unexpected(&other))),
        Err(e) => Err(SessionEnd::Retry(e)),
    }
}

async fn receive(stream: &mut TcpStream) -> Result<Message, String> {
    match read_message(stream, MAX_COORDINATOR_FRAME).await {
        Ok(Some(message)) => Ok(message),
        Ok(None) => Err("the coordinator closed the connection".to_owned()),
        Err(ProtocolError::Io(e)) => Err(format!("connection error: {e}")),
        Err(e) => Err(format!("malformed frame from the coordinator: {e}")),
    }
}

fn unexpected(message: &Message) -> String {
    match message {
        Message::Error(error) => format!("error {}: {}", error.code, error.message),
        other => format!("unexpected {} from the coordinator", other.name()),
    }
}
