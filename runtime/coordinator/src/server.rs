//! [`Coordinator`]: serves the protocol from the batches, leases and proofs in redb.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use keel_storage::{Lease, Storage, StorageError, StoredProof};
use tokio::net::{TcpListener, TcpStream};
use tracing::{Instrument, debug, info, info_span, warn};

use crate::protocol::{
    ErrorCode, FailureRecorded, Hello, MAX_PROVER_FRAME, Message, NoWork, PROTOCOL_VERSION,
    ProofAccepted, ReportFailure, SubmitProof, Welcome, Work, read_message, write_message,
};

/// A program a prover may run: a backend and the version of what it proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramId {
    /// `exec`, `openvm`.
    pub backend: String,
    /// The program version the backend announces.
    pub version: String,
}

/// How the coordinator runs.
#[derive(Debug, Clone)]
pub struct CoordinatorConfig {
    /// Where provers connect.
    pub listen: SocketAddr,
    /// How long a prover holds a batch.
    pub lease_timeout: Duration,
    /// The chain's id, told to provers.
    pub chain_id: u64,
    /// The programs whose proofs this node takes.
    pub accepted: Vec<ProgramId>,
    /// How long a prover waits before asking again when there is no work.
    pub retry_after: Duration,
}

/// The proof coordinator, bound to its address.
#[derive(Debug)]
pub struct Coordinator {
    listener: TcpListener,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    config: CoordinatorConfig,
    storage: Arc<Storage>,
    /// Held while a lease is chosen and written, so two provers never get the same batch.
    leasing: Mutex<()>,
    /// Batches below this one all have proofs: where the search for work starts.
    first_unproven: AtomicU64,
    next_lease_id: AtomicU64,
}

/// What a connection's prover said it is.
#[derive(Debug)]
struct Peer {
    prover: String,
    backend: String,
    program_version: String,
}

/// Why a connection ends: an error reply to send first, or nothing (the peer left).
type Close = Option<Box<Message>>;

impl Coordinator {
    /// Binds `config.listen`.
    pub async fn bind(config: CoordinatorConfig, storage: Arc<Storage>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(config.listen).await?;
        // Lease ids only need to differ from those of earlier runs still stored: start from
        // the clock.
        let seed = now_ms().wrapping_mul(1_000);
        Ok(Self {
            listener,
            shared: Arc::new(Shared {
                config,
                storage,
                leasing: Mutex::new(()),
                first_unproven: AtomicU64::new(1),
                next_lease_id: AtomicU64::new(seed),
            }),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts provers until `shutdown` completes; each connection runs on its own task.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        let addr = self.local_addr().ok();
        info!(target: "keel::coordinator", listen = ?addr, "proof coordinator listening");
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let shared = self.shared.clone();
                        let span = info_span!(target: "keel::coordinator", "prover", %peer);
                        tokio::spawn(async move { shared.serve(stream).await }.instrument(span));
                    }
                    Err(e) => {
                        warn!(target: "keel::coordinator", error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
            }
        }
    }
}

impl Shared {
    async fn serve(self: Arc<Self>, mut stream: TcpStream) {
        let Err(close) = self.converse(&mut stream).await;
        if let Some(reply) = close {
            if let Message::Error(error) = &*reply {
                warn!(target: "keel::coordinator", code = error.code, message = %error.message, "refused; closing the connection");
            }
            let _ = write_message(&mut stream, &reply).await;
        }
        debug!(target: "keel::coordinator", "connection closed");
    }

    /// Runs one connection until it ends; the error is the reply to send before closing, if any.
    async fn converse(
        self: &Arc<Self>,
        stream: &mut TcpStream,
    ) -> Result<std::convert::Infallible, Close> {
        let peer = match self.read(stream).await? {
            Message::Hello(hello) => self.greet(hello)?,
            other => {
                return Err(Some(Box::new(Message::error(
                    ErrorCode::UnexpectedMessage,
                    format!("expected Hello first, got {}", other.name()),
                ))));
            }
        };
        info!(target: "keel::coordinator", prover = %peer.prover, backend = %peer.backend, program = %peer.program_version, "prover connected");
        self.send(
            stream,
            Message::Welcome(Welcome {
                protocol_version: PROTOCOL_VERSION,
                chain_id: self.config.chain_id,
                lease_timeout_ms: millis(self.config.lease_timeout),
            }),
        )
        .await?;
        loop {
            let reply = match self.read(stream).await? {
                Message::RequestWork => self.clone().lease(&peer).await,
                Message::SubmitProof(proof) => self.clone().accept_proof(&peer, proof).await,
                Message::ReportFailure(failure) => {
                    self.clone().record_failure(&peer, failure).await
                }
                other => Err(Message::error(
                    ErrorCode::UnexpectedMessage,
                    format!("{} is not a message a prover sends", other.name()),
                )),
            };
            match reply {
                Ok(reply) => self.send(stream, reply).await?,
                Err(refusal) => return Err(Some(Box::new(refusal))),
            }
        }
    }

    /// Reads the next frame; a malformed one ends the connection with an error reply.
    async fn read(&self, stream: &mut TcpStream) -> Result<Message, Close> {
        match read_message(stream, MAX_PROVER_FRAME).await {
            Ok(Some(message)) => Ok(message),
            Ok(None) => Err(None),
            Err(crate::protocol::ProtocolError::Io(e)) => {
                debug!(target: "keel::coordinator", error = %e, "connection lost");
                Err(None)
            }
            Err(e) => Err(Some(Box::new(Message::error(
                ErrorCode::MalformedFrame,
                format!("malformed frame: {e}"),
            )))),
        }
    }

    async fn send(&self, stream: &mut TcpStream, message: Message) -> Result<(), Close> {
        write_message(stream, &message).await.map_err(|e| {
            debug!(target: "keel::coordinator", error = %e, "cannot send");
            None
        })
    }

    fn greet(&self, hello: Hello) -> Result<Peer, Close> {
        if hello.protocol_version != PROTOCOL_VERSION {
            return Err(Some(Box::new(Message::error(
                ErrorCode::UnsupportedProtocol,
                format!(
                    "protocol version {} is not supported; this node speaks version {PROTOCOL_VERSION}",
                    hello.protocol_version
                ),
            ))));
        }
        let accepted = self
            .config
            .accepted
            .iter()
            .any(|p| p.backend == hello.backend && p.version == hello.program_version);
        if !accepted {
            let versions: Vec<String> = self
                .config
                .accepted
                .iter()
                .map(|p| format!("{} {}", p.backend, p.version))
                .collect();
            return Err(Some(Box::new(Message::error(
                ErrorCode::ProgramMismatch,
                format!(
                    "program version {} is not accepted for backend {}; this node accepts: {}. \
                     Run a keel-prover built from the same Keel release as the node",
                    hello.program_version,
                    hello.backend,
                    versions.join(", ")
                ),
            ))));
        }
        Ok(Peer {
            prover: hello.prover,
            backend: hello.backend,
            program_version: hello.program_version,
        })
    }

    /// Leases the lowest sealed batch with neither a proof nor a live lease.
    async fn lease(self: Arc<Self>, peer: &Peer) -> Result<Message, Message> {
        let prover = peer.prover.clone();
        let backend = peer.backend.clone();
        let retry_after_ms = millis(self.config.retry_after);
        let chosen = blocking(move || self.lease_blocking(prover, backend)).await?;
        Ok(match chosen {
            Some((lease, input, timeout)) => {
                info!(target: "keel::coordinator", batch = lease.batch, lease = lease.lease_id, prover = %lease.prover, input_bytes = input.len(), "batch leased");
                Message::Work(Work {
                    batch: lease.batch,
                    lease_id: lease.lease_id,
                    lease_timeout_ms: timeout,
                    input: input.into(),
                })
            }
            None => Message::NoWork(NoWork { retry_after_ms }),
        })
    }

    #[allow(clippy::type_complexity)]
    fn lease_blocking(
        &self,
        prover: String,
        backend: String,
    ) -> Result<Option<(Lease, Vec<u8>, u64)>, StorageError> {
        let _leasing = self
            .leasing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let snapshot = self.storage.snapshot()?;
        let now = now_ms();
        let leases = snapshot.leases()?;
        let mut first = self.first_unproven.load(Ordering::Relaxed);
        let mut contiguous = true;
        loop {
            let batches = snapshot.batches_from(first, 256)?;
            let Some(last) = batches.last().map(|b| b.number) else {
                return Ok(None);
            };
            for batch in batches {
                if snapshot.proof(batch.number)?.is_some() {
                    if contiguous {
                        self.first_unproven
                            .store(batch.number + 1, Ordering::Relaxed);
                    }
                    continue;
                }
                contiguous = false;
                let held = leases
                    .iter()
                    .any(|l| l.batch == batch.number && l.expires_at_ms > now);
                if held {
                    continue;
                }
                let timeout = millis(self.config.lease_timeout);
                let lease = Lease {
                    batch: batch.number,
                    lease_id: self.next_lease_id.fetch_add(1, Ordering::Relaxed),
                    prover,
                    backend,
                    expires_at_ms: now + timeout,
                };
                let input =
                    snapshot
                        .prover_input(batch.number)?
                        .ok_or_else(|| StorageError::Corrupt {
                            table: "prover_inputs",
                            reason: format!("batch {} has no prover input", batch.number),
                        })?;
                if leases.iter().any(|l| l.batch == batch.number) {
                    info!(target: "keel::coordinator", batch = batch.number, "the previous lease lapsed; leasing the batch again");
                }
                self.storage.put_lease(&lease)?;
                return Ok(Some((lease, input, timeout)));
            }
            first = last + 1;
        }
    }

    async fn accept_proof(
        self: Arc<Self>,
        peer: &Peer,
        proof: SubmitProof,
    ) -> Result<Message, Message> {
        let stored = StoredProof {
            batch: proof.batch,
            backend: peer.backend.clone(),
            program_version: peer.program_version.clone(),
            prover: peer.prover.clone(),
            output: proof.output,
            proof: proof.proof,
            received_at_ms: now_ms(),
            proving_ms: proof.proving_ms,
        };
        let lease_id = proof.lease_id;
        let shared = self.clone();
        let stored = blocking(move || shared.accept_blocking(stored, lease_id)).await??;
        info!(target: "keel::coordinator", batch = stored.batch, prover = %stored.prover, backend = %stored.backend, proving_ms = stored.proving_ms, proof_bytes = stored.proof.len(), commitment = %stored.output.commitment(), "proof accepted");
        Ok(Message::ProofAccepted(ProofAccepted {
            batch: stored.batch,
        }))
    }

    fn accept_blocking(
        &self,
        proof: StoredProof,
        lease_id: u64,
    ) -> Result<Result<StoredProof, Message>, StorageError> {
        let _leasing = self
            .leasing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let snapshot = self.storage.snapshot()?;
        let refuse = |code, message: String| Ok(Err(Message::error(code, message)));
        let Some(batch) = snapshot.batch(proof.batch)? else {
            return refuse(
                ErrorCode::NotLeased,
                format!("batch {} is not sealed", proof.batch),
            );
        };
        if snapshot.proof(proof.batch)?.is_some() {
            return refuse(
                ErrorCode::NotLeased,
                format!("batch {} is already proven", proof.batch),
            );
        }
        // The prover's own lease, a lapsed one or none at all: the work is good. Only a live
        // lease of another prover wins.
        let taken = snapshot.leases()?.into_iter().any(|l| {
            l.batch == proof.batch && l.lease_id != lease_id && l.expires_at_ms > now_ms()
        });
        if taken {
            return refuse(
                ErrorCode::NotLeased,
                format!(
                    "lease {lease_id} on batch {} is no longer yours: the batch was leased again",
                    proof.batch
                ),
            );
        }
        if proof.output != batch.output {
            return refuse(
                ErrorCode::OutputMismatch,
                format!(
                    "the proof of batch {} attests commitment {} but the node's is {}: the \
                     prover computed {:?}, the node {:?}",
                    proof.batch,
                    proof.output.commitment(),
                    batch.output.commitment(),
                    proof.output,
                    batch.output
                ),
            );
        }
        self.storage.put_proof(&proof)?;
        Ok(Ok(proof))
    }

    async fn record_failure(
        self: Arc<Self>,
        peer: &Peer,
        failure: ReportFailure,
    ) -> Result<Message, Message> {
        warn!(target: "keel::coordinator", batch = failure.batch, prover = %peer.prover, reason = %failure.reason, "prover could not prove the batch; it goes back to the queue");
        let batch = failure.batch;
        let shared = self.clone();
        blocking(move || {
            let _leasing = shared
                .leasing
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let lease = shared
                .storage
                .snapshot()?
                .leases()?
                .into_iter()
                .find(|l| l.batch == batch);
            if lease.is_some_and(|l| l.lease_id == failure.lease_id) {
                shared.storage.remove_lease(batch)?;
            }
            Ok(())
        })
        .await?;
        Ok(Message::FailureRecorded(FailureRecorded { batch }))
    }
}

/// Runs storage work off the async workers; a storage failure becomes an `Internal` reply.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StorageError> + Send + 'static,
) -> Result<T, Message> {
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => {
            warn!(target: "keel::coordinator", error = %e, "storage failed");
            Err(Message::error(
                ErrorCode::Internal,
                format!("the node's storage failed: {e}"),
            ))
        }
        Err(e) => Err(Message::error(
            ErrorCode::Internal,
            format!("internal error: {e}"),
        )),
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, millis)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ErrorReply, MAX_COORDINATOR_FRAME};
    use alloy_primitives::B256;
    use keel_primitives::BatchOutput;
    use keel_storage::Batch;
    use tokio::io::AsyncWriteExt;

    const VERSION: &str = "keel-stf/test/input-v1";

    fn output(number: u64) -> BatchOutput {
        BatchOutput {
            batch_number: number,
            chain_id: 7,
            first_block: number,
            block_count: 1,
            parent_block_hash: B256::repeat_byte(1),
            pre_state_root: B256::repeat_byte(2),
            post_state_root: B256::repeat_byte(3),
            last_block_hash: B256::with_last_byte(number as u8),
            withdrawals_root: B256::ZERO,
            deposits_rolling_hash: B256::ZERO,
        }
    }

    /// A coordinator over `batches` sealed one-block batches; returns its address.
    async fn coordinator(
        batches: u64,
        lease_timeout: Duration,
    ) -> (SocketAddr, Arc<Storage>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(Storage::open(&dir.path().join("keel.redb")).unwrap());
        for number in 1..=batches {
            let batch = Batch {
                number,
                first_block: number,
                last_block: number,
                gas_used: 0,
                transactions: 0,
                witness_bytes: 0,
                input_bytes: 3,
                sealed_at_ms: 0,
                output: output(number),
            };
            storage.seal_batch(&batch, &[number as u8; 3]).unwrap();
        }
        let config = CoordinatorConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            lease_timeout,
            chain_id: 7,
            accepted: vec![ProgramId {
                backend: "exec".into(),
                version: VERSION.into(),
            }],
            retry_after: Duration::from_millis(10),
        };
        let coordinator = Coordinator::bind(config, storage.clone()).await.unwrap();
        let addr = coordinator.local_addr().unwrap();
        tokio::spawn(coordinator.run(std::future::pending()));
        (addr, storage, dir)
    }

    struct Client(TcpStream);

    impl Client {
        async fn connect(addr: SocketAddr, version: &str) -> (Self, Message) {
            let mut client = Self(TcpStream::connect(addr).await.unwrap());
            let reply = client
                .call(Message::Hello(Hello {
                    protocol_version: PROTOCOL_VERSION,
                    prover: "test".into(),
                    backend: "exec".into(),
                    program_version: version.into(),
                }))
                .await;
            (client, reply)
        }

        async fn call(&mut self, message: Message) -> Message {
            write_message(&mut self.0, &message).await.unwrap();
            read_message(&mut self.0, MAX_COORDINATOR_FRAME)
                .await
                .unwrap()
                .expect("a reply")
        }

        async fn work(&mut self) -> Work {
            match self.call(Message::RequestWork).await {
                Message::Work(work) => work,
                other => panic!("expected work, got {other:?}"),
            }
        }

        async fn submit(&mut self, work: &Work, output: BatchOutput) -> Message {
            self.call(Message::SubmitProof(SubmitProof {
                batch: work.batch,
                lease_id: work.lease_id,
                output,
                proof: Default::default(),
                proving_ms: 1,
            }))
            .await
        }
    }

    fn refusal(message: Message) -> ErrorReply {
        match message {
            Message::Error(error) => error,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn batches_are_leased_in_order_and_proofs_stored() {
        let (addr, storage, _dir) = coordinator(2, Duration::from_secs(60)).await;
        let (mut prover, welcome) = Client::connect(addr, VERSION).await;
        assert!(matches!(
            welcome,
            Message::Welcome(Welcome { chain_id: 7, .. })
        ));
        let first = prover.work().await;
        assert_eq!((first.batch, first.input.as_ref()), (1, &[1u8; 3][..]));
        // A second prover gets the next batch, not the leased one.
        let (mut other, _) = Client::connect(addr, VERSION).await;
        let second = other.work().await;
        assert_eq!(second.batch, 2);
        assert!(matches!(
            other.call(Message::RequestWork).await,
            Message::NoWork(_)
        ));

        let accepted = prover.submit(&first, output(1)).await;
        assert_eq!(accepted, Message::ProofAccepted(ProofAccepted { batch: 1 }));
        let stored = storage.snapshot().unwrap().proof(1).unwrap().unwrap();
        assert_eq!((stored.prover.as_str(), stored.output), ("test", output(1)));
        assert!(
            storage
                .snapshot()
                .unwrap()
                .leases()
                .unwrap()
                .iter()
                .all(|l| l.batch != 1)
        );
    }

    #[tokio::test]
    async fn a_wrong_program_version_is_refused_with_both_versions() {
        let (addr, _storage, _dir) = coordinator(1, Duration::from_secs(60)).await;
        let (_, reply) = Client::connect(addr, "keel-stf/0.0.0/input-v0").await;
        let error = refusal(reply);
        assert_eq!(
            ErrorCode::from_u64(error.code),
            Some(ErrorCode::ProgramMismatch)
        );
        assert!(
            error.message.contains("keel-stf/0.0.0/input-v0"),
            "{}",
            error.message
        );
        assert!(error.message.contains(VERSION), "{}", error.message);
    }

    #[tokio::test]
    async fn a_malformed_frame_closes_only_its_connection() {
        let (addr, _storage, _dir) = coordinator(1, Duration::from_secs(60)).await;
        let (mut good, _) = Client::connect(addr, VERSION).await;
        let mut bad = TcpStream::connect(addr).await.unwrap();
        bad.write_all(&[0, 0, 0, 2, 0x01, 0xff]).await.unwrap();
        let error = refusal(read_message(&mut bad, 1 << 20).await.unwrap().unwrap());
        assert_eq!(
            ErrorCode::from_u64(error.code),
            Some(ErrorCode::MalformedFrame)
        );
        assert_eq!(
            read_message(&mut bad, 1 << 20).await.unwrap(),
            None,
            "closed"
        );
        assert_eq!(good.work().await.batch, 1);
    }

    #[tokio::test]
    async fn a_lapsed_lease_goes_to_another_prover() {
        let (addr, storage, _dir) = coordinator(1, Duration::from_millis(300)).await;
        let (mut slow, _) = Client::connect(addr, VERSION).await;
        let lapsed = slow.work().await;
        let (mut fresh, _) = Client::connect(addr, VERSION).await;
        assert!(matches!(
            fresh.call(Message::RequestWork).await,
            Message::NoWork(_)
        ));
        tokio::time::sleep(Duration::from_millis(400)).await;
        let releases = fresh.work().await;
        assert_eq!(releases.batch, 1);
        assert_ne!(releases.lease_id, lapsed.lease_id);
        // The slow prover's lease is gone: its proof is refused while the new lease lives.
        let error = refusal(slow.submit(&lapsed, output(1)).await);
        assert_eq!(ErrorCode::from_u64(error.code), Some(ErrorCode::NotLeased));
        assert!(matches!(
            fresh.submit(&releases, output(1)).await,
            Message::ProofAccepted(_)
        ));
        assert!(storage.snapshot().unwrap().proof(1).unwrap().is_some());
    }

    #[tokio::test]
    async fn a_proof_of_another_output_is_refused() {
        let (addr, storage, _dir) = coordinator(1, Duration::from_secs(60)).await;
        let (mut prover, _) = Client::connect(addr, VERSION).await;
        let work = prover.work().await;
        let error = refusal(prover.submit(&work, output(9)).await);
        assert_eq!(
            ErrorCode::from_u64(error.code),
            Some(ErrorCode::OutputMismatch)
        );
        assert!(error.message.contains(&output(1).commitment().to_string()));
        assert!(storage.snapshot().unwrap().proof(1).unwrap().is_none());
    }

    #[tokio::test]
    async fn a_reported_failure_frees_the_batch() {
        let (addr, _storage, _dir) = coordinator(1, Duration::from_secs(60)).await;
        let (mut prover, _) = Client::connect(addr, VERSION).await;
        let work = prover.work().await;
        let reply = prover
            .call(Message::ReportFailure(ReportFailure {
                batch: 1,
                lease_id: work.lease_id,
                reason: "out of memory".into(),
            }))
            .await;
        assert_eq!(
            reply,
            Message::FailureRecorded(FailureRecorded { batch: 1 })
        );
        assert_eq!(prover.work().await.batch, 1);
    }
}
