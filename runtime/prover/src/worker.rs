//! One worker per coordinator: the connect / lease / prove / submit loop.

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use keel_coordinator::protocol::{
    FrameCodec, Hello, Message, ProtocolError, ReportFailure, SubmitProof, Work, write_message,
};
use keel_primitives::VerifierKind;
use tokio::net::TcpStream;
use tracing::{Instrument, error, info, info_span, warn};

use crate::Backend;

/// First and longest wait before reconnecting: the wait doubles from 250 ms after each failed
/// attempt, up to 10 s, and starts over after a session the coordinator welcomed.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(250), Duration::from_secs(10));
/// Shortest wait after `NoWork`, whatever the coordinator says: a floor against busy loops.
const MIN_RETRY_AFTER: Duration = Duration::from_millis(50);

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// The prover's name, sent in `Hello`.
    pub name: String,
    /// Announce this program version instead of the backend's (tests of the refusal).
    pub program_version: Option<String>,
    /// Wait this long after receiving work before proving (tests: a slow prover to kill).
    pub hold: Duration,
    /// Signs `Hello` with this key, for a node that takes known provers only
    /// (`prover.allowed_provers`).
    pub auth_key: Option<alloy_signer_local::PrivateKeySigner>,
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
#[derive(Debug)]
enum SessionEnd {
    /// Connection trouble or a refused message: reconnect after a backoff.
    Retry {
        /// For the log.
        reason: String,
        /// Whether the coordinator had welcomed this prover (the backoff starts over).
        welcomed: bool,
    },
    /// The coordinator refused the prover itself.
    Refused(String),
}

impl SessionEnd {
    fn retry(reason: impl Into<String>) -> Self {
        Self::Retry {
            reason: reason.into(),
            welcomed: false,
        }
    }
}

/// Serves the coordinator at `addr` until it refuses this prover (a fatal `Error`: another
/// protocol or program version); it never returns otherwise.
///
/// Connection failures, refused proofs and malformed replies end the session, and the worker
/// reconnects after an exponential backoff. Runs in a `worker` tracing span naming `addr`.
pub async fn run_worker(
    addr: SocketAddr,
    backend: Arc<dyn Backend>,
    options: WorkerOptions,
) -> Result<Infallible, WorkerError> {
    let span = info_span!(target: "keel::prover", "worker", coordinator = %addr);
    async move {
        let mut backoff = BACKOFF.0;
        loop {
            match session(addr, &backend, &options).await {
                SessionEnd::Refused(message) => {
                    error!(target: "keel::prover", %message, "refused by the coordinator");
                    return Err(WorkerError::Refused { addr, message });
                }
                SessionEnd::Retry { reason, welcomed } => {
                    if welcomed {
                        backoff = BACKOFF.0;
                    }
                    warn!(target: "keel::prover", %reason, retry_in_ms = backoff.as_millis() as u64, "session ended; reconnecting");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(BACKOFF.1);
                }
            }
        }
    }
    .instrument(span)
    .await
}

/// One connection: handshake, then lease / prove / submit until something breaks.
async fn session(
    addr: SocketAddr,
    backend: &Arc<dyn Backend>,
    options: &WorkerOptions,
) -> SessionEnd {
    let mut stream = match TcpStream::connect(addr).await {
        Ok(stream) => stream,
        Err(e) => return SessionEnd::retry(format!("cannot connect: {e}")),
    };
    match handshake(&mut stream, backend, options).await {
        Ok(()) => {}
        Err(end) => return end,
    }
    let reason = match serve(&mut stream, backend, options).await {
        Ok(never) => match never {},
        Err(reason) => reason,
    };
    SessionEnd::Retry {
        reason,
        welcomed: true,
    }
}

/// Sends `Hello` and waits for `Welcome`.
async fn handshake(
    stream: &mut TcpStream,
    backend: &Arc<dyn Backend>,
    options: &WorkerOptions,
) -> Result<(), SessionEnd> {
    let mut hello = Hello::new(
        options.name.clone(),
        backend.kind().name(),
        options
            .program_version
            .clone()
            .unwrap_or_else(|| backend.program_version()),
    );
    if let Some(key) = &options.auth_key {
        // Who this prover is, for a node that takes known provers only.
        hello.timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let signature = alloy_signer::SignerSync::sign_hash_sync(key, &hello.digest())
            .map_err(|e| SessionEnd::Refused(format!("cannot sign Hello: {e}")))?;
        hello.signature = signature.as_bytes().to_vec().into();
    }
    let hello = Message::Hello(hello);
    write_message(stream, &hello)
        .await
        .map_err(|e| SessionEnd::retry(e.to_string()))?;
    match receive(stream).await {
        Ok(Message::Welcome(welcome)) => {
            info!(target: "keel::prover", chain_id = welcome.chain_id, lease_timeout_ms = welcome.lease_timeout_ms, backend = %backend.kind(), "connected to the coordinator");
            Ok(())
        }
        Ok(Message::Error(error)) if error.is_fatal() => Err(SessionEnd::Refused(error.message)),
        Ok(other) => Err(SessionEnd::retry(unexpected(&other))),
        Err(e) => Err(SessionEnd::retry(e)),
    }
}

/// Asks for work and proves it until the connection breaks; the error is why.
async fn serve(
    stream: &mut TcpStream,
    backend: &Arc<dyn Backend>,
    options: &WorkerOptions,
) -> Result<Infallible, String> {
    loop {
        write_message(stream, &Message::RequestWork)
            .await
            .map_err(|e| e.to_string())?;
        match receive(stream).await? {
            Message::Work(work) => prove(stream, backend, options, work).await?,
            Message::NoWork(no_work) => {
                let wait = Duration::from_millis(no_work.retry_after_ms).max(MIN_RETRY_AFTER);
                tokio::time::sleep(wait).await;
            }
            other => return Err(unexpected(&other)),
        }
    }
}

/// Proves one leased batch and submits the result (or reports the failure).
async fn prove(
    stream: &mut TcpStream,
    backend: &Arc<dyn Backend>,
    options: &WorkerOptions,
    work: Work,
) -> Result<(), String> {
    let Work {
        batch,
        lease_id,
        input,
        ..
    } = work;
    info!(target: "keel::prover", batch, lease = lease_id, input_bytes = input.len(), hold_ms = options.hold.as_millis() as u64, "proving batch");
    if !options.hold.is_zero() {
        tokio::time::sleep(options.hold).await;
    }
    let started = Instant::now();
    let task_backend = backend.clone();
    // A live progress line on a terminal (keel-logging); the backend's own spans nest under it.
    let progress = tracing::info_span!("proving", indicatif.pb_show = true, batch);
    let result =
        tokio::task::spawn_blocking(move || progress.in_scope(|| task_backend.prove(&input))).await;
    let proving_ms = started.elapsed().as_millis() as u64;
    let reply = match result {
        Ok(Ok(proven)) => {
            info!(target: "keel::prover", batch, proving_ms, commitment = %proven.output.commitment(), parts = ?proven.parts.kinds().map(VerifierKind::name).collect::<Vec<_>>(), "batch proven");
            Message::SubmitProof(SubmitProof {
                batch,
                lease_id,
                output: proven.output,
                proof: proven.parts.encode(),
                proving_ms,
            })
        }
        Ok(Err(e)) => {
            error!(target: "keel::prover", batch, error = %e, bad_input = e.is_bad_input(), "cannot prove the batch; reporting it");
            Message::ReportFailure(ReportFailure {
                batch,
                lease_id,
                reason: e.to_string(),
            })
        }
        Err(e) => {
            error!(target: "keel::prover", batch, error = %e, "the backend panicked; reporting it");
            Message::ReportFailure(ReportFailure {
                batch,
                lease_id,
                reason: format!("the backend panicked: {e}"),
            })
        }
    };
    write_message(stream, &reply)
        .await
        .map_err(|e| e.to_string())?;
    match receive(stream).await? {
        Message::ProofAccepted(_) => {
            info!(target: "keel::prover", batch, "proof accepted");
            Ok(())
        }
        Message::FailureRecorded(_) => Ok(()),
        Message::Error(error) => {
            error!(target: "keel::prover", batch, code = error.code, message = %error.message, "the coordinator refused the result");
            Err(unexpected(&Message::Error(error)))
        }
        other => Err(unexpected(&other)),
    }
}

/// Reads the coordinator's next message (frames up to 1 GiB: a batch's input).
async fn receive(stream: &mut TcpStream) -> Result<Message, String> {
    match FrameCodec::prover().read(stream).await {
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
