//! [`Coordinator`]: serves the protocol from the batches, leases and proofs in redb.
//!
//! Every decision reads the database, never a cache of it: the leases in redb *are* the lease
//! table, so leases written before a restart are honoured after it, and a lease is persisted
//! before the `Work` that announces it is sent. Choosing a lease and accepting a proof run under
//! one lock so that two provers never get the same batch.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use keel_primitives::{BackendKind, ProofParts, VerifierKind};
use keel_primitives::{Lease, StoredProof};
use keel_storage::{Storage, StorageError};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};
use tracing::{Instrument, Span, debug, field, info, info_span, warn};

use crate::{
    Refusal,
    protocol::{
        FailureRecorded, FrameCodec, Hello, Message, NoWork, PROTOCOL_VERSION, ProofAccepted,
        ProtocolError, ReportFailure, SubmitProof, Welcome, Work, write_message,
    },
};

/// A program a prover may run: a backend and the version of what it proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramId {
    /// The backend.
    pub backend: BackendKind,
    /// The program version the backend announces.
    pub version: String,
}

impl ProgramId {
    /// The program `version` proven with `backend`.
    pub fn new(backend: BackendKind, version: impl Into<String>) -> Self {
        Self {
            backend,
            version: version.into(),
        }
    }
}

impl core::fmt::Display for ProgramId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} {}", self.backend, self.version)
    }
}

/// Where the coordinator reads the time: lease expiry and proof receipts. Injected so that tests
/// can move time on instead of sleeping.
pub trait Clock: Send + Sync + core::fmt::Debug + 'static {
    /// Now, Unix milliseconds.
    fn now_ms(&self) -> u64;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, millis)
    }
}

/// How the coordinator runs.
#[derive(Debug, Clone)]
pub struct CoordinatorConfig {
    /// Where provers connect (`127.0.0.1:0` picks a free port; see
    /// [`Coordinator::local_addr`]).
    pub listen: SocketAddr,
    /// How long a prover holds a batch; after that the batch goes to the next prover asking.
    pub lease_timeout: Duration,
    /// The chain's id, told to provers in `Welcome`.
    pub chain_id: u64,
    /// The (backend, program version) pairs whose proofs this node takes; a prover announcing
    /// any other is refused at `Hello`.
    pub accepted: Vec<ProgramId>,
    /// The poll interval: how long a prover told `NoWork` waits before asking again.
    pub retry_after: Duration,
    /// The proof parts every proof must carry: one per verifier kind the L1 deployment
    /// requires (none when the node settles nowhere).
    pub required_parts: Vec<VerifierKind>,
    /// The provers taken, by the address that signs their `Hello`; empty: any prover.
    pub allowed_provers: Vec<alloy_primitives::Address>,
}

/// How far a signed `Hello`'s timestamp may be from the node's clock, seconds.
pub const HELLO_MAX_SKEW_SECS: u64 = 300;

/// The proof coordinator, bound to its address.
///
/// # Example
///
/// ```no_run
/// # async fn launch(storage: std::sync::Arc<keel_storage::Storage>) -> std::io::Result<()> {
/// use keel_coordinator::{Coordinator, CoordinatorConfig, ProgramId};
/// use keel_primitives::BackendKind;
/// use std::time::Duration;
///
/// let config = CoordinatorConfig {
///     listen: "127.0.0.1:3900".parse().expect("an address"),
///     lease_timeout: Duration::from_secs(600),
///     chain_id: 42,
///     accepted: vec![ProgramId::new(BackendKind::Exec, "keel-stf/0.1.0/input-v1")],
///     retry_after: Duration::from_millis(500),
///     required_parts: vec![],
///     allowed_provers: vec![],
/// };
/// let coordinator = Coordinator::bind(config, storage).await?;
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let task = tokio::spawn(coordinator.run(async {
///     let _ = stopped.await;
/// }));
/// // … on shutdown:
/// let _ = stop.send(());
/// let _ = task.await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Coordinator {
    listener: TcpListener,
    /// Reads frames from provers.
    codec: FrameCodec,
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
    clock: Arc<dyn Clock>,
    /// Asks what will verify a proof before it is stored, if anything.
    proof_check: Option<Arc<dyn ProofCheck>>,
    /// (prover, batch) whose proof the L1 verifiers refused: that batch goes to other provers.
    refused: Mutex<std::collections::HashSet<(String, u64)>>,
    metrics: crate::CoordinatorMetrics,
    /// Builds inputs for batches this node followed (another based sequencer's), taken once a
    /// batch has waited this long unverified on L1.
    followed: Option<(Arc<dyn FollowedInputs>, Duration)>,
}

/// Where a based node's coordinator gets the prover input of a batch another sequencer
/// committed (this node followed it, so none is stored): built on demand, so a batch whose
/// leader and its provers are gone is still proven. Called on a blocking thread.
pub trait FollowedInputs: Send + Sync + std::fmt::Debug + 'static {
    /// The RLP prover input of `batch`, which `snapshot` holds as followed.
    fn prover_input(
        &self,
        snapshot: &keel_storage::Snapshot,
        batch: &keel_primitives::Batch,
    ) -> Result<Vec<u8>, String>;
}

/// A check of a submitted proof against what will verify it, run before the coordinator
/// stores the proof. The node asks its L1 verifiers (`IVerifier.verify`, a view call), so a
/// garbage part is refused at the door rather than making `verifyBatch` revert forever.
pub trait ProofCheck: Send + Sync + core::fmt::Debug + 'static {
    /// `Ok(())` to store the proof, `Err(reason)` to refuse it. A check that cannot be made
    /// (L1 unreachable) should pass: the settler checks again before relying on the proof.
    fn check(
        &self,
        commitment: alloy_primitives::B256,
        parts: ProofParts,
    ) -> core::pin::Pin<Box<dyn core::future::Future<Output = Result<(), String>> + Send + '_>>;
}

/// What a connection's prover said it is.
#[derive(Debug)]
struct Peer {
    prover: String,
    backend: BackendKind,
    program_version: String,
}

/// Why a connection ends: a refusal to send first, or nothing (the peer left).
type Close = Option<Refusal>;

impl Coordinator {
    /// Binds `config.listen` and loads the leases stored by earlier runs.
    ///
    /// Fails if the address cannot be bound or the leases cannot be read (a storage failure
    /// comes back as an [`std::io::Error`] of kind `Other` wrapping the [`StorageError`]).
    pub async fn bind(config: CoordinatorConfig, storage: Arc<Storage>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(config.listen).await?;
        let reader = storage.clone();
        let leases = tokio::task::spawn_blocking(move || reader.snapshot()?.leases())
            .await
            .map_err(std::io::Error::other)?
            .map_err(std::io::Error::other)?;
        let now = SystemClock.now_ms();
        let live = leases.iter().filter(|l| l.expires_at_ms > now).count();
        if !leases.is_empty() {
            info!(target: "keel::coordinator", leases = leases.len(), live, lapsed = leases.len() - live, "leases from the previous run");
        }
        // Lease ids must differ from every id still stored: start above both the stored ones
        // and the clock (in case the leases of an earlier run were already dropped).
        let seed = leases
            .iter()
            .map(|l| l.lease_id.saturating_add(1))
            .max()
            .unwrap_or(0)
            .max(now.wrapping_mul(1_000));
        Ok(Self {
            listener,
            codec: FrameCodec::coordinator(),
            shared: Arc::new(Shared {
                config,
                storage,
                leasing: Mutex::new(()),
                first_unproven: AtomicU64::new(1),
                next_lease_id: AtomicU64::new(seed),
                clock: Arc::new(SystemClock),
                proof_check: None,
                refused: Mutex::default(),
                metrics: crate::CoordinatorMetrics::default(),
                followed: None,
            }),
        })
    }

    /// Reads the time from `clock` instead of the system's (tests move time on with it).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.clock = clock;
        }
        self
    }

    /// Checks every submitted proof with `check` before storing it.
    pub fn with_proof_check(mut self, check: Arc<dyn ProofCheck>) -> Self {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.proof_check = Some(check);
        }
        self
    }

    /// Proves batches this node followed too, with inputs from `source`, once one has waited
    /// `after` since its commit without L1 verifying it (a based node: its leader's provers may
    /// be gone; before that, they prove it and nothing is done twice).
    pub fn with_followed_inputs(
        mut self,
        source: Arc<dyn FollowedInputs>,
        after: Duration,
    ) -> Self {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.followed = Some((source, after));
        }
        self
    }

    /// Counts proofs and leases in `metrics`.
    pub fn with_metrics(mut self, metrics: crate::CoordinatorMetrics) -> Self {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            shared.metrics = metrics;
        }
        self
    }

    /// Refuses frames from provers longer than `max_frame` bytes (default
    /// [`crate::protocol::MAX_PROVER_FRAME`], 64 MiB).
    pub fn with_max_frame(mut self, max_frame: u32) -> Self {
        self.codec = FrameCodec::new(max_frame);
        self
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts provers until `shutdown` completes; each connection runs on its own task, at
    /// most [`MAX_CONNECTIONS`] at once (one more is closed at once).
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        let addr = self.local_addr().ok();
        info!(target: "keel::coordinator", listen = ?addr, "proof coordinator listening");
        let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let Ok(slot) = slots.clone().try_acquire_owned() else {
                            warn!(target: "keel::coordinator", %peer, limit = MAX_CONNECTIONS, "too many prover connections; closing this one");
                            continue;
                        };
                        let shared = self.shared.clone();
                        let codec = self.codec;
                        // `name` is filled in from the prover's Hello.
                        let span = info_span!(target: "keel::coordinator", "prover", %peer, name = field::Empty);
                        tokio::spawn(
                            async move {
                                shared.serve(stream, codec).await;
                                drop(slot);
                            }
                            .instrument(span),
                        );
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

/// Most prover connections served at once: each may hold a frame of up to the frame limit.
pub const MAX_CONNECTIONS: usize = 64;

impl Shared {
    /// How long a connection may send nothing: a prover is silent while it proves, which its
    /// lease bounds, so twice the lease and a minute more.
    fn idle_timeout(&self) -> Duration {
        self.config.lease_timeout * 2 + Duration::from_secs(60)
    }

    async fn serve(self: Arc<Self>, mut stream: TcpStream, codec: FrameCodec) {
        let Err(close) = self.converse(&mut stream, codec).await;
        if let Some(refusal) = close {
            warn!(target: "keel::coordinator", code = refusal.code() as u16, %refusal, "refused; closing the connection");
            if write_message(&mut stream, &refusal.to_message())
                .await
                .is_ok()
            {
                linger(&mut stream).await;
            }
        }
        debug!(target: "keel::coordinator", "connection closed");
    }

    /// Runs one connection until it ends; the error is the reply to send before closing, if any.
    async fn converse(
        self: &Arc<Self>,
        stream: &mut TcpStream,
        codec: FrameCodec,
    ) -> Result<std::convert::Infallible, Close> {
        let idle = self.idle_timeout();
        let peer = match read(stream, codec, idle).await? {
            Message::Hello(hello) => self.greet(hello)?,
            other => return Err(Some(Refusal::ExpectedHello(other.name()))),
        };
        Span::current().record("name", peer.prover.as_str());
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
            let reply = match read(stream, codec, idle).await? {
                Message::RequestWork => self.clone().lease(&peer).await,
                Message::SubmitProof(proof) => self.clone().accept_proof(&peer, proof).await,
                Message::ReportFailure(failure) => {
                    self.clone().record_failure(&peer, failure).await
                }
                other => Err(Refusal::NotFromProver(other.name())),
            };
            match reply {
                Ok(reply) => self.send(stream, reply).await?,
                Err(refusal) => return Err(Some(refusal)),
            }
        }
    }

    /// With `allowed_provers`, `hello` must be signed by one of them within
    /// [`HELLO_MAX_SKEW_SECS`] of the node's clock.
    fn authenticate(&self, hello: &Hello) -> Result<(), Refusal> {
        let allowed = &self.config.allowed_provers;
        if allowed.is_empty() {
            return Ok(());
        }
        let refused = |reason: String| Err(Refusal::Unauthenticated(reason));
        let Ok(bytes) = <[u8; 65]>::try_from(hello.signature.as_ref()) else {
            return refused(
                "the Hello is not signed; start keel-prover with --auth-key <one of the \
                 node's prover.allowed_provers>"
                    .into(),
            );
        };
        let now = self.clock.now_ms() / 1000;
        if now.abs_diff(hello.timestamp) > HELLO_MAX_SKEW_SECS {
            return refused(format!(
                "the Hello was signed at {} but the node's clock says {now}: more than \
                 {HELLO_MAX_SKEW_SECS} s apart",
                hello.timestamp
            ));
        }
        let signer = alloy_primitives::Signature::from_raw_array(&bytes)
            .ok()
            .and_then(|signature| signature.recover_address_from_prehash(&hello.digest()).ok());
        match signer {
            Some(signer) if allowed.contains(&signer) => Ok(()),
            Some(signer) => refused(format!(
                "the Hello is signed by {signer}, which is not in prover.allowed_provers"
            )),
            None => refused("the Hello's signature does not recover".into()),
        }
    }

    async fn send(&self, stream: &mut TcpStream, message: Message) -> Result<(), Close> {
        write_message(stream, &message).await.map_err(|e| {
            debug!(target: "keel::coordinator", error = %e, "cannot send");
            None
        })
    }

    fn greet(&self, hello: Hello) -> Result<Peer, Refusal> {
        if hello.protocol_version != PROTOCOL_VERSION {
            return Err(Refusal::UnsupportedProtocol(hello.protocol_version));
        }
        self.authenticate(&hello)?;
        let backend = hello.backend.parse::<BackendKind>().ok();
        let accepted = self
            .config
            .accepted
            .iter()
            .any(|p| Some(p.backend) == backend && p.version == hello.program_version);
        let (Some(backend), true) = (backend, accepted) else {
            let accepted: Vec<String> =
                self.config.accepted.iter().map(|p| p.to_string()).collect();
            return Err(Refusal::ProgramMismatch {
                backend: hello.backend,
                version: hello.program_version,
                accepted: accepted.join(", "),
            });
        };
        Ok(Peer {
            prover: hello.prover,
            backend,
            program_version: hello.program_version,
        })
    }

    /// Leases the lowest sealed batch with neither a proof nor a live lease.
    async fn lease(self: Arc<Self>, peer: &Peer) -> Result<Message, Refusal> {
        let prover = peer.prover.clone();
        let backend = peer.backend;
        let retry_after_ms = millis(self.config.retry_after);
        let chosen = blocking(move || self.lease_blocking(prover, backend)).await?;
        Ok(match chosen {
            Some(Leased {
                lease,
                input,
                timeout_ms,
            }) => {
                info!(target: "keel::coordinator", batch = lease.batch, lease = lease.lease_id, prover = %lease.prover, input_bytes = input.len(), "batch leased");
                Message::Work(Work {
                    batch: lease.batch,
                    lease_id: lease.lease_id,
                    lease_timeout_ms: timeout_ms,
                    input: input.into(),
                })
            }
            None => Message::NoWork(NoWork { retry_after_ms }),
        })
    }

    fn lease_blocking(
        &self,
        prover: String,
        backend: BackendKind,
    ) -> Result<Option<Leased>, StorageError> {
        let _leasing = self
            .leasing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let snapshot = self.storage.snapshot()?;
        let now = self.clock.now_ms();
        let leases = snapshot.leases()?;
        let mut first = self.first_unproven.load(Ordering::Relaxed);
        let mut contiguous = true;
        // Held while choosing, after `leasing` (nothing takes the two the other way round).
        let mut refused = self
            .refused
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        refused.retain(|(_, batch)| *batch >= first);
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
                // A prover proves one batch at a time: one that asks for work has given up any
                // batch it still holds (it restarted, or the node did under it), so its own
                // lease does not keep the batch from it. Only another prover's live lease does.
                let held = leases.iter().any(|l| {
                    l.batch == batch.number && l.expires_at_ms > now && l.prover != prover
                });
                if held || refused.contains(&(prover.clone(), batch.number)) {
                    continue;
                }
                let input = match snapshot.prover_input(batch.number)? {
                    Some(input) => input,
                    // A batch another based sequencer committed, which this node followed:
                    // its leader's provers prove it, unless it waits too long.
                    None => match self.followed_input(&snapshot, &batch, now)? {
                        Some(input) => input,
                        None => continue,
                    },
                };
                let timeout = millis(self.config.lease_timeout);
                let lease = Lease {
                    batch: batch.number,
                    lease_id: self.next_lease_id.fetch_add(1, Ordering::Relaxed),
                    prover,
                    backend,
                    expires_at_ms: now + timeout,
                };
                if leases.iter().any(|l| l.batch == batch.number) {
                    info!(target: "keel::coordinator", batch = batch.number, "the previous lease lapsed; leasing the batch again");
                }
                // Persisted before the Work goes out: a restart never forgets a lease it handed.
                self.storage.put_lease(&lease)?;
                self.metrics.leases.inc();
                return Ok(Some(Leased {
                    lease,
                    input,
                    timeout_ms: timeout,
                }));
            }
            first = last + 1;
        }
    }

    /// The input of followed batch `batch` if it is due to be proven here: past the wait, and
    /// not verified on L1 yet.
    fn followed_input(
        &self,
        snapshot: &keel_storage::Snapshot,
        batch: &keel_primitives::Batch,
        now_ms: u64,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        let Some((source, after)) = &self.followed else {
            return Ok(None);
        };
        let verified = snapshot.l1_progress()?.map_or(0, |p| p.verified);
        if batch.number <= verified
            || now_ms.saturating_sub(batch.sealed_at_ms) < after.as_millis() as u64
        {
            return Ok(None);
        }
        match source.prover_input(snapshot, batch) {
            Ok(input) => {
                info!(target: "keel::coordinator", batch = batch.number, waited_s = now_ms.saturating_sub(batch.sealed_at_ms) / 1000, "proving a batch another sequencer committed: unverified past the wait");
                Ok(Some(input))
            }
            Err(error) => {
                warn!(target: "keel::coordinator", batch = batch.number, %error, "cannot build the input of a followed batch");
                Ok(None)
            }
        }
    }

    async fn accept_proof(
        self: Arc<Self>,
        peer: &Peer,
        proof: SubmitProof,
    ) -> Result<Message, Refusal> {
        let stored = StoredProof {
            batch: proof.batch,
            backend: peer.backend,
            program_version: peer.program_version.clone(),
            prover: peer.prover.clone(),
            output: proof.output,
            proof: proof.proof,
            received_at_ms: self.clock.now_ms(),
            proving_ms: proof.proving_ms,
        };
        let lease_id = proof.lease_id;
        if let Some(check) = &self.proof_check
            && let Ok(parts) = ProofParts::decode(&stored.proof)
            && let Err(reason) = check.check(stored.output.commitment(), parts).await
        {
            // The batch goes to the next prover asking, never back to this one.
            let batch = stored.batch;
            self.refused
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert((peer.prover.clone(), batch));
            self.clone().release(batch, lease_id).await?;
            self.metrics.proofs_refused.inc();
            return Err(Refusal::ProofRefused { batch, reason });
        }
        let shared = self.clone();
        let stored = blocking(move || shared.accept_blocking(stored, lease_id))
            .await?
            .inspect_err(|_| {
                self.metrics.proofs_refused.inc();
            })?;
        self.metrics.proofs_accepted.inc();
        self.metrics
            .proving_seconds
            .observe(stored.proving_ms as f64 / 1e3);
        info!(target: "keel::coordinator", batch = stored.batch, prover = %stored.prover, backend = %stored.backend, proving_ms = stored.proving_ms, proof_bytes = stored.proof.len(), commitment = %stored.output.commitment(), "proof accepted");
        Ok(Message::ProofAccepted(ProofAccepted {
            batch: stored.batch,
        }))
    }

    fn accept_blocking(
        &self,
        proof: StoredProof,
        lease_id: u64,
    ) -> Result<Result<StoredProof, Refusal>, StorageError> {
        let _leasing = self
            .leasing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let snapshot = self.storage.snapshot()?;
        let Some(batch) = snapshot.batch(proof.batch)? else {
            return Ok(Err(Refusal::NotSealed(proof.batch)));
        };
        if snapshot.proof(proof.batch)?.is_some() {
            return Ok(Err(Refusal::AlreadyProven(proof.batch)));
        }
        // The prover's own lease, a lapsed one or none at all: the work is good. Only a live
        // lease of another prover wins.
        let now = self.clock.now_ms();
        let taken = snapshot
            .leases()?
            .into_iter()
            .any(|l| l.batch == proof.batch && l.lease_id != lease_id && l.expires_at_ms > now);
        if taken {
            return Ok(Err(Refusal::LeasedAgain {
                batch: proof.batch,
                lease_id,
            }));
        }
        if proof.output != batch.output {
            return Ok(Err(Refusal::OutputMismatch {
                batch: proof.batch,
                proven: Box::new(proof.output),
                node: Box::new(batch.output),
            }));
        }
        if let Err(refusal) = self.check_parts(&proof) {
            return Ok(Err(refusal));
        }
        self.storage.put_proof(&proof)?;
        Ok(Ok(proof))
    }

    /// The proof must be [`ProofParts`] with every part the L1 deployment requires.
    fn check_parts(&self, proof: &StoredProof) -> Result<(), Refusal> {
        let parts = ProofParts::decode(&proof.proof)
            .map_err(|error| Refusal::UnreadableParts(error.to_string()))?;
        let required = &self.config.required_parts;
        let missing: Vec<VerifierKind> = required
            .iter()
            .copied()
            .filter(|kind| parts.get(*kind).is_none())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(Refusal::MissingParts {
            batch: proof.batch,
            made: parts.kinds().collect(),
            required: required.clone(),
            missing,
        })
    }

    async fn record_failure(
        self: Arc<Self>,
        peer: &Peer,
        failure: ReportFailure,
    ) -> Result<Message, Refusal> {
        warn!(target: "keel::coordinator", batch = failure.batch, prover = %peer.prover, reason = %failure.reason, "prover could not prove the batch; it goes back to the queue");
        let batch = failure.batch;
        self.release(batch, failure.lease_id).await?;
        Ok(Message::FailureRecorded(FailureRecorded { batch }))
    }

    /// Drops lease `lease_id` on `batch` if it is still the batch's: the batch goes back to
    /// the queue.
    async fn release(self: Arc<Self>, batch: u64, lease_id: u64) -> Result<(), Refusal> {
        blocking(move || {
            let _leasing = self
                .leasing
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let lease = self
                .storage
                .snapshot()?
                .leases()?
                .into_iter()
                .find(|l| l.batch == batch);
            if lease.is_some_and(|l| l.lease_id == lease_id) {
                self.storage.remove_lease(batch)?;
            }
            Ok(())
        })
        .await
    }
}

/// How long a refused connection is drained before it is dropped.
const LINGER: Duration = Duration::from_secs(2);

/// Closes our side, then discards what the prover still sends for up to [`LINGER`].
///
/// Dropping a socket with unread bytes (the rest of an oversize frame) makes the kernel answer
/// with a reset, which can destroy the error reply before the prover reads it.
async fn linger(stream: &mut TcpStream) {
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 8192];
    let _ = tokio::time::timeout(LINGER, async {
        while let Ok(1..) = stream.read(&mut sink).await {}
    })
    .await;
}

/// A lease just written, with what the `Work` announcing it carries.
#[derive(Debug)]
struct Leased {
    lease: Lease,
    /// The batch's encoded prover input.
    input: Vec<u8>,
    timeout_ms: u64,
}

/// Reads the next frame; a malformed one ends the connection with an error reply, a lost
/// or idle connection (nothing for `idle`) without one.
async fn read(stream: &mut TcpStream, codec: FrameCodec, idle: Duration) -> Result<Message, Close> {
    let Ok(read) = tokio::time::timeout(idle, codec.read(stream)).await else {
        debug!(target: "keel::coordinator", ?idle, "connection idle; closing it");
        return Err(None);
    };
    match read {
        Ok(Some(message)) => Ok(message),
        Ok(None) => Err(None),
        Err(ProtocolError::Io(e)) => {
            debug!(target: "keel::coordinator", error = %e, "connection lost");
            Err(None)
        }
        Err(e) => Err(Some(Refusal::MalformedFrame(e))),
    }
}

/// Runs storage work off the async workers; a storage failure becomes an `Internal` refusal.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StorageError> + Send + 'static,
) -> Result<T, Refusal> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(|e| {
            warn!(target: "keel::coordinator", error = %e, "storage failed");
            Refusal::Storage(e)
        }),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(Refusal::ShuttingDown),
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{ErrorCode, ErrorReply, MAX_COORDINATOR_FRAME, read_message};
    use alloy_primitives::B256;
    use keel_primitives::Batch;
    use keel_primitives::BatchOutput;
    use tokio::io::AsyncWriteExt;

    const VERSION: &str = "keel-stf/test/input-v1";

    fn output(number: u64) -> BatchOutput {
        BatchOutput {
            batch_number: number,
            chain_spec_hash: B256::repeat_byte(7),
            first_block: number,
            block_count: 1,
            parent_block_hash: B256::repeat_byte(1),
            pre_state_root: B256::repeat_byte(2),
            post_state_root: B256::repeat_byte(3),
            last_block_hash: B256::with_last_byte(number as u8),
            last_block_timestamp: 1_700_000_000,
            withdrawals_root: B256::ZERO,
            deposits_rolling_hash: B256::ZERO,
            blobs_hash: B256::ZERO,
        }
    }

    /// A fresh database with `batches` sealed one-block batches (inputs `[n; 3]`).
    fn storage_with(batches: u64) -> (Arc<Storage>, tempfile::TempDir) {
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
                deposits: 0,
                output: output(number),
                blobs: vec![],
            };
            storage.seal_batch(&batch, &[number as u8; 3], &[]).unwrap();
        }
        (storage, dir)
    }

    /// A clock that moves only when a test moves it.
    #[derive(Debug)]
    struct ManualClock(AtomicU64);

    impl ManualClock {
        fn new() -> Arc<Self> {
            Arc::new(Self(AtomicU64::new(1_700_000_000_000)))
        }

        fn advance(&self, by: Duration) {
            self.0.fetch_add(millis(by), Ordering::Relaxed);
        }
    }

    impl Clock for ManualClock {
        fn now_ms(&self) -> u64 {
            self.0.load(Ordering::Relaxed)
        }
    }

    /// Serves `storage` until `shutdown`; returns the address.
    async fn start(
        storage: Arc<Storage>,
        lease_timeout: Duration,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> SocketAddr {
        start_requiring(storage, lease_timeout, vec![], ManualClock::new(), shutdown).await
    }

    /// [`start`] for a node whose L1 verifiers need `required_parts`, reading `clock`.
    async fn start_requiring(
        storage: Arc<Storage>,
        lease_timeout: Duration,
        required_parts: Vec<VerifierKind>,
        clock: Arc<ManualClock>,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> SocketAddr {
        let config = CoordinatorConfig {
            lease_timeout,
            required_parts,
            ..test_config()
        };
        let coordinator = Coordinator::bind(config, storage)
            .await
            .unwrap()
            .with_clock(clock);
        let addr = coordinator.local_addr().unwrap();
        tokio::spawn(coordinator.run(shutdown));
        addr
    }

    /// The tests' coordinator: any free port, a minute's leases, chain 7, `exec` at
    /// [`VERSION`], no required parts, any prover.
    fn test_config() -> CoordinatorConfig {
        CoordinatorConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            lease_timeout: Duration::from_secs(60),
            chain_id: 7,
            accepted: vec![ProgramId::new(BackendKind::Exec, VERSION)],
            retry_after: Duration::from_millis(10),
            required_parts: vec![],
            allowed_provers: vec![],
        }
    }

    /// A coordinator over `batches` sealed one-block batches; returns its address.
    async fn coordinator(
        batches: u64,
        lease_timeout: Duration,
    ) -> (SocketAddr, Arc<Storage>, tempfile::TempDir) {
        let (storage, dir) = storage_with(batches);
        let addr = start(storage.clone(), lease_timeout, std::future::pending()).await;
        (addr, storage, dir)
    }

    struct Client(TcpStream);

    impl Client {
        /// Connects as a prover of a name of its own.
        async fn connect(addr: SocketAddr, version: &str) -> (Self, Message) {
            let name = format!("test-{}", NEXT_NAME.fetch_add(1, Ordering::Relaxed));
            Self::connect_as(addr, version, &name).await
        }

        /// Connects as prover `name`.
        async fn connect_as(addr: SocketAddr, version: &str, name: &str) -> (Self, Message) {
            let mut client = Self(TcpStream::connect(addr).await.unwrap());
            let reply = client
                .call(Message::Hello(Hello {
                    protocol_version: PROTOCOL_VERSION,
                    prover: name.into(),
                    backend: "exec".into(),
                    program_version: version.into(),
                    timestamp: 0,
                    signature: alloy_primitives::Bytes::new(),
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
            self.submit_proof(work, output, ProofParts::new().encode())
                .await
        }

        async fn submit_proof(
            &mut self,
            work: &Work,
            output: BatchOutput,
            proof: alloy_primitives::Bytes,
        ) -> Message {
            self.call(Message::SubmitProof(SubmitProof {
                batch: work.batch,
                lease_id: work.lease_id,
                output,
                proof,
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
        // Asking again, it gets its own batch back (it gave it up); never the other's.
        assert_eq!(other.work().await.batch, 2);

        let accepted = prover.submit(&first, output(1)).await;
        assert_eq!(accepted, Message::ProofAccepted(ProofAccepted { batch: 1 }));
        let stored = storage.snapshot().unwrap().proof(1).unwrap().unwrap();
        assert!(stored.prover.starts_with("test-") && stored.output == output(1));
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

    /// Issue 18: a node that lists its provers takes only a recent `Hello` signed by one of
    /// them; anyone else is refused at the door (code 10, fatal).
    #[tokio::test]
    async fn a_node_with_allowed_provers_takes_only_their_signed_hellos() {
        use alloy_signer::SignerSync;
        let known = alloy_signer_local::PrivateKeySigner::random();
        let stranger = alloy_signer_local::PrivateKeySigner::random();
        let (storage, _dir) = storage_with(1);
        let config = CoordinatorConfig {
            allowed_provers: vec![known.address()],
            ..test_config()
        };
        let coordinator = Coordinator::bind(config, storage).await.unwrap();
        let addr = coordinator.local_addr().unwrap();
        tokio::spawn(coordinator.run(std::future::pending()));
        let now = SystemClock.now_ms() / 1000;
        let signed = |key: &alloy_signer_local::PrivateKeySigner, timestamp: u64| {
            let mut hello = Hello::new("p", "exec", VERSION);
            hello.timestamp = timestamp;
            let signature = key.sign_hash_sync(&hello.digest()).unwrap();
            hello.signature = signature.as_bytes().to_vec().into();
            hello
        };
        let greet = |hello: Hello| async move {
            let mut client = Client(TcpStream::connect(addr).await.unwrap());
            client.call(Message::Hello(hello)).await
        };
        for (hello, why) in [
            (Hello::new("p", "exec", VERSION), "not signed"),
            (signed(&stranger, now), "not in prover.allowed_provers"),
            (signed(&known, now - 2 * HELLO_MAX_SKEW_SECS), "apart"),
        ] {
            let error = refusal(greet(hello).await);
            assert_eq!(error.error_code(), Some(ErrorCode::Unauthenticated));
            assert!(
                error.is_fatal() && error.message.contains(why),
                "{}",
                error.message
            );
        }
        assert!(matches!(
            greet(signed(&known, now)).await,
            Message::Welcome(_)
        ));
    }

    /// Each test prover's name is its own.
    static NEXT_NAME: AtomicU64 = AtomicU64::new(1);

    /// Issue 18 (found by the crash soak): a prover whose lease was in flight when the node was
    /// killed asked for work again after the restart, and the batch stayed leased to it for the
    /// whole lease timeout (10 minutes by default) while L1 verification waited.
    #[tokio::test]
    async fn a_prover_asking_again_gets_back_the_batch_it_holds() {
        let (addr, _storage, _dir) = coordinator(2, Duration::from_secs(600)).await;
        let (mut prover, _) = Client::connect(addr, VERSION).await;
        let first = prover.work().await;
        assert_eq!(first.batch, 1);
        // The same prover (by name) comes back on a new connection and asks again.
        let mut again = Client(TcpStream::connect(addr).await.unwrap());
        let hello = Message::Hello(Hello {
            protocol_version: PROTOCOL_VERSION,
            prover: "test-rejoin".into(),
            backend: "exec".into(),
            program_version: VERSION.into(),
            timestamp: 0,
            signature: alloy_primitives::Bytes::new(),
        });
        let _ = again.call(hello.clone()).await;
        let held = again.work().await;
        let mut same = Client(TcpStream::connect(addr).await.unwrap());
        let _ = same.call(hello).await;
        let back = same.work().await;
        assert_eq!(
            (held.batch, back.batch),
            (2, 2),
            "its own lease is handed back"
        );
        assert_ne!(held.lease_id, back.lease_id);
        // Another prover's live lease still keeps the batch from everyone else.
        let (mut other, _) = Client::connect(addr, VERSION).await;
        assert!(matches!(
            other.call(Message::RequestWork).await,
            Message::NoWork(_)
        ));
    }

    /// Refuses every proof whose dev part is not `[1; 65]`, as an L1 verifier would a bad
    /// signature.
    #[derive(Debug)]
    struct OnlyOnes;

    impl ProofCheck for OnlyOnes {
        fn check(
            &self,
            _commitment: alloy_primitives::B256,
            parts: ProofParts,
        ) -> core::pin::Pin<Box<dyn core::future::Future<Output = Result<(), String>> + Send + '_>>
        {
            Box::pin(async move {
                match parts.get(VerifierKind::Dev) {
                    Some(part) if part.as_ref() == [1u8; 65] => Ok(()),
                    _ => Err("DevVerifier.ProverNotRegistered".into()),
                }
            })
        }
    }

    /// Issue 18: a garbage proof used to be stored and `verifyBatch` then reverted forever.
    #[tokio::test]
    async fn a_proof_the_l1_verifiers_refuse_is_not_stored_and_the_batch_is_leased_again() {
        let (storage, _dir) = storage_with(1);
        let config = test_config();
        let coordinator = Coordinator::bind(config, storage.clone())
            .await
            .unwrap()
            .with_proof_check(Arc::new(OnlyOnes));
        let addr = coordinator.local_addr().unwrap();
        tokio::spawn(coordinator.run(std::future::pending()));

        let (mut forger, _) = Client::connect_as(addr, VERSION, "forger").await;
        let work = forger.work().await;
        let mut garbage = ProofParts::new();
        garbage.insert(
            VerifierKind::Dev,
            alloy_primitives::Bytes::from_static(&[7; 65]),
        );
        let error = refusal(
            forger
                .submit_proof(&work, output(1), garbage.encode())
                .await,
        );
        assert_eq!(error.error_code(), Some(ErrorCode::ProofRefused));
        assert!(!error.is_fatal());
        assert!(
            error.message.contains("ProverNotRegistered"),
            "{}",
            error.message
        );
        assert!(storage.snapshot().unwrap().proof(1).unwrap().is_none());

        // The forger's lease is dropped: the next prover asking gets the batch at once, and
        // its proof is stored; the forger (reconnecting under its name) never gets it again.
        let (mut again, _) = Client::connect_as(addr, VERSION, "forger").await;
        assert!(matches!(
            again.call(Message::RequestWork).await,
            Message::NoWork(_)
        ));
        let (mut honest, _) = Client::connect(addr, VERSION).await;
        let work = honest.work().await;
        assert_eq!(work.batch, 1);
        let mut good = ProofParts::new();
        good.insert(
            VerifierKind::Dev,
            alloy_primitives::Bytes::from_static(&[1; 65]),
        );
        let accepted = honest.submit_proof(&work, output(1), good.encode()).await;
        assert_eq!(accepted, Message::ProofAccepted(ProofAccepted { batch: 1 }));
        assert!(storage.snapshot().unwrap().proof(1).unwrap().is_some());
    }

    #[tokio::test]
    async fn a_wrong_program_version_is_refused_with_both_versions() {
        let (addr, _storage, _dir) = coordinator(1, Duration::from_secs(60)).await;
        let (_, reply) = Client::connect(addr, "keel-stf/0.0.0/input-v0").await;
        let error = refusal(reply);
        assert_eq!(error.error_code(), Some(ErrorCode::ProgramMismatch));
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
        assert_eq!(error.error_code(), Some(ErrorCode::MalformedFrame));
        assert_eq!(
            read_message(&mut bad, 1 << 20).await.unwrap(),
            None,
            "closed"
        );
        assert_eq!(good.work().await.batch, 1);
    }

    #[tokio::test]
    async fn a_lapsed_lease_goes_to_another_prover() {
        let (storage, _dir) = storage_with(1);
        let clock = ManualClock::new();
        let lease_timeout = Duration::from_secs(300);
        let addr = start_requiring(
            storage.clone(),
            lease_timeout,
            vec![],
            clock.clone(),
            std::future::pending(),
        )
        .await;
        let (mut slow, _) = Client::connect(addr, VERSION).await;
        let lapsed = slow.work().await;
        let (mut fresh, _) = Client::connect(addr, VERSION).await;
        assert!(matches!(
            fresh.call(Message::RequestWork).await,
            Message::NoWork(_)
        ));
        clock.advance(lease_timeout - Duration::from_millis(1));
        assert!(
            matches!(fresh.call(Message::RequestWork).await, Message::NoWork(_)),
            "a lease lives until its last millisecond"
        );
        clock.advance(Duration::from_millis(1));
        let releases = fresh.work().await;
        assert_eq!(releases.batch, 1);
        assert_ne!(releases.lease_id, lapsed.lease_id);
        // The slow prover's lease is gone: its proof is refused while the new lease lives.
        let error = refusal(slow.submit(&lapsed, output(1)).await);
        assert_eq!(error.error_code(), Some(ErrorCode::NotLeased));
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
        assert_eq!(error.error_code(), Some(ErrorCode::OutputMismatch));
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

    #[tokio::test]
    async fn anything_before_hello_is_refused() {
        let (addr, _storage, _dir) = coordinator(1, Duration::from_secs(60)).await;
        let mut client = Client(TcpStream::connect(addr).await.unwrap());
        let error = refusal(client.call(Message::RequestWork).await);
        assert_eq!(error.error_code(), Some(ErrorCode::UnexpectedMessage));
        assert!(
            error.message.contains("expected Hello"),
            "{}",
            error.message
        );
    }

    #[tokio::test]
    async fn another_protocol_version_is_refused() {
        let (addr, _storage, _dir) = coordinator(1, Duration::from_secs(60)).await;
        let mut client = Client(TcpStream::connect(addr).await.unwrap());
        let reply = client
            .call(Message::Hello(Hello {
                protocol_version: PROTOCOL_VERSION + 1,
                prover: "future".into(),
                backend: "exec".into(),
                program_version: VERSION.into(),
                timestamp: 0,
                signature: alloy_primitives::Bytes::new(),
            }))
            .await;
        let error = refusal(reply);
        assert_eq!(error.error_code(), Some(ErrorCode::UnsupportedProtocol));
        assert!(error.is_fatal());
        assert!(
            error
                .message
                .contains(&format!("protocol version {}", PROTOCOL_VERSION + 1)),
            "{}",
            error.message
        );
    }

    #[tokio::test]
    async fn leases_outlive_a_restart_of_the_coordinator() {
        let (storage, _dir) = storage_with(2);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let before = start(storage.clone(), Duration::from_secs(60), async {
            let _ = stopped.await;
        })
        .await;
        let (mut prover, _) = Client::connect(before, VERSION).await;
        let held = prover.work().await;
        assert_eq!(held.batch, 1);
        drop(prover);
        stop.send(()).unwrap();

        // A new coordinator over the same database: batch 1 is still leased, new lease ids
        // never repeat a stored one, and the old lease's proof is still taken.
        let after = start(
            storage.clone(),
            Duration::from_secs(60),
            std::future::pending(),
        )
        .await;
        let (mut other, _) = Client::connect(after, VERSION).await;
        let next = other.work().await;
        assert_eq!(next.batch, 2);
        assert!(next.lease_id > held.lease_id);
        assert_eq!(other.work().await.batch, 2, "its own batch, never batch 1");
        let (mut back, _) = Client::connect(after, VERSION).await;
        assert_eq!(
            back.submit(&held, output(1)).await,
            Message::ProofAccepted(ProofAccepted { batch: 1 })
        );
    }

    #[tokio::test]
    async fn a_proof_without_the_parts_l1_needs_is_refused() {
        let (storage, _dir) = storage_with(1);
        let addr = start_requiring(
            storage.clone(),
            Duration::from_secs(60),
            vec![VerifierKind::Attesting],
            ManualClock::new(),
            std::future::pending(),
        )
        .await;
        let mut parts = ProofParts::new();
        parts.insert(VerifierKind::Dev, vec![1; 65].into());
        let (mut prover, _) = Client::connect(addr, VERSION).await;
        let work = prover.work().await;
        for (proof, says) in [
            (parts.encode(), "missing [\"attesting\"]"),
            (vec![0xde, 0xad].into(), "not a list of proof parts"),
        ] {
            let error = refusal(prover.submit_proof(&work, output(1), proof).await);
            assert_eq!(error.error_code(), Some(ErrorCode::MissingProofParts));
            assert!(error.is_fatal());
            assert!(error.message.contains(says), "{}", error.message);
            assert!(storage.snapshot().unwrap().proof(1).unwrap().is_none());
            // The refusal closed the connection; the lease is still this prover's.
            prover = Client::connect(addr, VERSION).await.0;
        }
        // With the part, the proof is taken.
        parts.insert(VerifierKind::Attesting, vec![2; 97].into());
        let accepted = prover.submit_proof(&work, output(1), parts.encode()).await;
        assert!(
            matches!(accepted, Message::ProofAccepted(_)),
            "{accepted:?}"
        );
    }

    #[tokio::test]
    async fn an_oversize_frame_is_refused_as_malformed() {
        let (storage, _dir) = storage_with(1);
        let config = test_config();
        let coordinator = Coordinator::bind(config, storage)
            .await
            .unwrap()
            .with_max_frame(64);
        let addr = coordinator.local_addr().unwrap();
        tokio::spawn(coordinator.run(std::future::pending()));
        let (mut prover, _) = Client::connect(addr, VERSION).await;
        let work = prover.work().await;
        let reply = prover
            .call(Message::ReportFailure(ReportFailure {
                batch: work.batch,
                lease_id: work.lease_id,
                // Far more than the limit: the refusal must arrive though most of it is unread.
                reason: "x".repeat(1 << 20),
            }))
            .await;
        let error = refusal(reply);
        assert_eq!(error.error_code(), Some(ErrorCode::MalformedFrame));
        assert!(
            error.message.contains("limit of 64 bytes"),
            "{}",
            error.message
        );
    }
}
