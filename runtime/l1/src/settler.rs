//! The settler: commits sealed batches to `OnChainProposer` and sends their proofs, in order.
//!
//! One task does both, with one key, so its transactions never compete for a nonce. Each step
//! first reads `lastCommittedBatch` and `lastVerifiedBatch` from L1, then sends at most one
//! transaction for the batches after them: several batches per commit or verification when
//! they are ready, and a commit and a verification ready together in one `multicall`, so that
//! settlement keeps pace with a slow L1 (sent apart they would alternate, a block each). L1 is
//! the record of what was done: a restart of the node, or of the L1 node with a transaction
//! lost from its pool, leads to the same decision again, never to a second commit of a batch
//! nor to a gap.

use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy::{
    eips::{BlockNumberOrTag, eip4844::BlobTransactionSidecar},
    primitives::{Address, B256, Bytes, U256},
    providers::Provider,
    rpc::types::TransactionReceipt,
    sol_types::SolCall,
};
use keel_primitives::{Batch, ProofParts, StoredProof};
use keel_storage::{BatchCommit, L1Progress, SettlementLag, Storage};
use prometheus_client::{metrics::gauge::Gauge, registry::Registry};
use tracing::{Instrument, debug, info, info_span, warn};

use crate::{
    Deployment, L1Error, L1Result, OnChainProposer, PartRejected, RequiredVerifier,
    SequencerRegistry, TxSender, VerifierDeployment, check_proof,
    poll::{Polled, blocking, poll_until_shutdown},
};

/// What the settler does.
#[derive(Debug, Clone, Copy)]
pub struct SettlerConfig {
    /// Time between polls when there is nothing to send.
    pub poll_interval: Duration,
    /// Commit sealed batches.
    pub commit: bool,
    /// Send stored proofs.
    pub verify: bool,
    /// Most batches one commit or one verification carries.
    pub max_batches_per_tx: usize,
    /// Keep prover inputs of verified batches (otherwise dropped once L1 verified them).
    pub keep_prover_inputs: bool,
}

/// Most blobs one commit carries (the per-transaction limit since Osaka, EIP-7594); a batch
/// with more (`batcher.max_blobs` up to 9) is committed alone.
pub const MAX_BLOBS_PER_TX: usize = 6;

/// What the settler reports: L1's progress and how far verification trails the chain.
#[derive(Debug, Clone, Default)]
pub struct SettlerMetrics {
    /// `lastCommittedBatch` on L1.
    pub committed_batch: Gauge,
    /// `lastVerifiedBatch` on L1.
    pub verified_batch: Gauge,
    /// L2 blocks after the last block L1 verified.
    pub lag_blocks: Gauge,
    /// Age of the oldest sealed batch L1 has not verified, seconds (0 when none waits).
    pub lag_seconds: Gauge,
    /// Based deployments: the current epoch of the sequencer registry.
    pub based_epoch: Gauge,
    /// Based deployments: 1 while this node may commit (it leads the epoch, or the fallback is
    /// open), else 0.
    pub based_may_commit: Gauge,
    /// Based deployments: the next epoch this node leads (-1: none scheduled).
    pub based_next_turn: Gauge,
}

impl SettlerMetrics {
    /// Registers every metric in `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "keel_l1_committed_batch",
            "lastCommittedBatch on L1",
            self.committed_batch.clone(),
        );
        registry.register(
            "keel_l1_verified_batch",
            "lastVerifiedBatch on L1",
            self.verified_batch.clone(),
        );
        registry.register(
            "keel_settlement_lag_blocks",
            "L2 blocks after the last block L1 verified",
            self.lag_blocks.clone(),
        );
        registry.register(
            "keel_settlement_lag_seconds",
            "Age of the oldest sealed batch L1 has not verified, seconds",
            self.lag_seconds.clone(),
        );
        registry.register(
            "keel_based_epoch",
            "Based deployments: the sequencer registry's current epoch",
            self.based_epoch.clone(),
        );
        registry.register(
            "keel_based_may_commit",
            "Based deployments: 1 while this node may commit (its turn, or the fallback)",
            self.based_may_commit.clone(),
        );
        registry.register(
            "keel_based_next_turn",
            "Based deployments: the next epoch this node leads (-1: none scheduled)",
            self.based_next_turn.clone(),
        );
    }

    fn record(&self, committed: u64, verified: u64, lag: SettlementLag) {
        let gauge = |g: &Gauge, v: u64| g.set(i64::try_from(v).unwrap_or(i64::MAX));
        gauge(&self.committed_batch, committed);
        gauge(&self.verified_batch, verified);
        gauge(&self.lag_blocks, lag.blocks);
        gauge(&self.lag_seconds, lag.seconds);
    }
}

/// Now, Unix milliseconds.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Sent one transaction: committed batches up to `committed`, verified batches up to
    /// `verified`, or both.
    Settled {
        committed: Option<u64>,
        verified: Option<u64>,
    },
    /// Forgot the stored proof of this batch: L1's verifiers refuse it.
    Evicted(u64),
    /// Nothing to send yet.
    Idle,
}

/// One call to `OnChainProposer`, named for the logs and errors.
#[derive(Clone)]
struct ProposerCall {
    what: String,
    input: Bytes,
}

/// Consecutive batches ready to commit: the call and the blobs it carries.
struct ReadyCommit {
    group: Vec<Batch>,
    call: ProposerCall,
    sidecar: Option<BlobTransactionSidecar>,
}

/// Proofs of batches `first..=last` ready to send, each accepted by L1's verifiers.
struct ReadyProofs {
    first: u64,
    last: u64,
    backends: Vec<String>,
    call: ProposerCall,
}

/// Commits batches and sends proofs; see the module docs.
#[derive(Debug)]
pub struct Settler {
    sender: TxSender,
    proposer: Address,
    /// The deployment's `SequencerRegistry`: commits wait for this node's turn.
    registry: Option<Address>,
    /// The deployment's verifiers: what kind of proof part each address takes.
    verifiers: Vec<VerifierDeployment>,
    storage: Arc<Storage>,
    config: SettlerConfig,
    metrics: SettlerMetrics,
}

impl Settler {
    /// A settler sending to the deployment's `OnChainProposer` from `sender`'s key.
    pub fn new(
        sender: TxSender,
        deployment: &Deployment,
        storage: Arc<Storage>,
        config: SettlerConfig,
    ) -> Self {
        Self {
            sender,
            proposer: deployment.on_chain_proposer,
            registry: deployment.sequencer_registry,
            verifiers: deployment.verifiers.clone(),
            storage,
            config,
            metrics: SettlerMetrics::default(),
        }
    }

    /// Reports to `metrics` (registered by the caller).
    pub fn with_metrics(mut self, metrics: SettlerMetrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Runs until `shutdown` completes; returns early only with a fatal error
    /// ([`L1Error::is_fatal`]: the contracts settle another chain, …), which stops the node.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) -> L1Result<()> {
        let span =
            info_span!("l1_settler", proposer = %self.proposer, sender = %self.sender.address());
        poll_until_shutdown(
            self.config.poll_interval,
            shutdown,
            || async {
                Ok(match self.step().await? {
                    Step::Idle | Step::Evicted(_) => Polled::Idle,
                    Step::Settled { .. } => Polled::Busy,
                })
            },
            |error, wait| warn!(target: "keel::l1", %error, retry_in = ?wait, "settlement step failed; it is retried from L1's state"),
        )
        .instrument(span)
        .await
    }

    /// Reads L1's progress and sends at most one transaction: a commit of the next sealed
    /// batches, a verification of the next proven ones, or both in one `multicall`; several
    /// batches each (up to [`SettlerConfig::max_batches_per_tx`]) so that settlement keeps pace
    /// with a slow L1.
    pub async fn step(&self) -> L1Result<Step> {
        let client = self.sender.client();
        let proposer = OnChainProposer::new(self.proposer, client.provider());
        let ProposerProgress {
            committed,
            verified,
            reverts,
        } = ProposerProgress::read(client, self.proposer).await?;
        let config = self.config;
        let limit = config.max_batches_per_tx.max(1);
        let (batches, proofs, lag) = blocking(&self.storage, move |storage| {
            // L1 reverted batches this node still holds: committing them again would bring
            // back what the revert took away. Its blocks are re-formed offline (`keel revert`).
            if storage.snapshot()?.l1_reverts()? < reverts {
                return Ok(None);
            }
            storage.set_l1_progress(L1Progress {
                committed,
                verified,
            })?;
            let snapshot = storage.snapshot()?;
            let batches = if config.commit {
                snapshot.batches_from(committed + 1, limit)?
            } else {
                Vec::new()
            };
            let mut proofs = Vec::new();
            if config.verify {
                for number in verified + 1..=committed.min(verified + limit as u64) {
                    match snapshot.proof(number)? {
                        Some(proof) => proofs.push(proof),
                        None => break,
                    }
                }
            }
            Ok(Some((
                batches,
                proofs,
                snapshot.settlement_lag(verified, now_ms())?,
            )))
        })
        .await?
        .ok_or(L1Error::BatchesReverted {
            kept: committed,
            reverts,
        })?;
        self.metrics.record(committed, verified, lag);

        let commit = self.ready_commit(&proposer, committed, batches).await?;
        let mut proofs = match self.ready_proofs(&proposer, verified, proofs).await? {
            Ok(proofs) => proofs,
            // Nothing else to send: report the eviction (the batch is proven again).
            Err(evicted) if commit.is_none() => return Ok(Step::Evicted(evicted)),
            Err(_) => None,
        };
        let sidecar = commit.as_ref().and_then(|commit| commit.sidecar.clone());
        let receipt = match (&commit, &proofs) {
            (None, None) => return Ok(Step::Idle),
            (Some(commit), None) => self.send(&commit.call, sidecar).await?,
            (None, Some(proofs)) => self.send(&proofs.call, None).await?,
            (Some(commit), Some(ready)) => {
                let both = ProposerCall {
                    what: format!("multicall({}, {})", commit.call.what, ready.call.what),
                    input: OnChainProposer::multicallCall {
                        data: vec![commit.call.input.clone(), ready.call.input.clone()],
                    }
                    .abi_encode()
                    .into(),
                };
                match self.send(&both, sidecar.clone()).await {
                    // The proofs passed L1's verifiers a moment ago, so this is rare (a verifier
                    // changed in between); whatever the cause, it must not hold commits back.
                    Err(error @ (L1Error::WouldRevert { .. } | L1Error::Reverted { .. })) => {
                        warn!(target: "keel::l1", %error, "the commit and the verification together revert; committing alone");
                        proofs = None;
                        self.send(&commit.call, sidecar).await?
                    }
                    landed => landed?,
                }
            }
        };
        self.settled(&receipt, committed, commit.as_ref(), proofs.as_ref())
            .await
    }

    /// Sends `call`, with `sidecar`'s blobs if any, and waits for its receipt.
    async fn send(
        &self,
        call: &ProposerCall,
        sidecar: Option<BlobTransactionSidecar>,
    ) -> L1Result<TransactionReceipt> {
        match sidecar {
            None => {
                self.sender
                    .call(&call.what, self.proposer, call.input.clone())
                    .await
            }
            Some(sidecar) => {
                self.sender
                    .call_with_blobs(&call.what, self.proposer, call.input.clone(), sidecar)
                    .await
            }
        }
    }

    /// Records what the landed `receipt` did: the commit's checks and L1 blocks, the
    /// verification's pruning.
    async fn settled(
        &self,
        receipt: &TransactionReceipt,
        committed: u64,
        commit: Option<&ReadyCommit>,
        proofs: Option<&ReadyProofs>,
    ) -> L1Result<Step> {
        let committed_now = commit.map(|commit| commit.group[commit.group.len() - 1].number);
        if let Some(commit) = commit {
            self.committed(receipt, &commit.group).await?;
        }
        if let Some(proofs) = proofs {
            self.verified(receipt, committed_now.unwrap_or(committed), proofs)
                .await?;
        }
        Ok(Step::Settled {
            committed: committed_now,
            verified: proofs.map(|proofs| proofs.last),
        })
    }

    /// The commit of the longest run of `batches` (consecutive, from L1's next) that fits one
    /// transaction: no batch later than L1's clock, at most [`MAX_BLOBS_PER_TX`] blobs in all
    /// (a batch with more goes alone). `None` if none can go yet.
    async fn ready_commit(
        &self,
        proposer: &OnChainProposer::OnChainProposerInstance<&alloy::providers::DynProvider>,
        committed: u64,
        batches: Vec<Batch>,
    ) -> L1Result<Option<ReadyCommit>> {
        let Some((first, first_time)) = batches
            .first()
            .map(|b| (b.number, b.output.last_block_timestamp))
        else {
            return Ok(None);
        };
        if !self.our_turn(proposer).await? {
            return Ok(None);
        }
        // L1 refuses a batch later than the block committing it (`BatchFromTheFuture`): a
        // batch sealed a moment ago waits for L1's clock (the pending block's: the one the
        // commit would land in), a slot at most.
        let client = self.sender.client();
        let l1_time = client
            .rpc(
                "eth_getBlockByNumber",
                client
                    .provider()
                    .get_block_by_number(BlockNumberOrTag::Pending),
            )
            .await?
            .map_or(0, |block| block.header.timestamp);
        let mut blobs = 0;
        let group: Vec<Batch> = batches
            .into_iter()
            .take_while(|batch| {
                blobs += batch.blobs.len();
                batch.output.last_block_timestamp <= l1_time
                    && (blobs <= MAX_BLOBS_PER_TX || blobs == batch.blobs.len())
            })
            .collect();
        if group.is_empty() {
            debug!(target: "keel::l1", batch = first, l2_time = first_time, l1_time, "batch is later than L1's pending block; committing it once L1 gets there");
            return Ok(None);
        }
        self.check_parent(proposer, committed, &group[0]).await?;
        let call = commit_call(&group);
        let mut sidecar: Option<BlobTransactionSidecar> = None;
        for batch in group.iter().filter(|batch| !batch.blobs.is_empty()) {
            let more = self.sidecar(batch).await?;
            match &mut sidecar {
                None => sidecar = Some(more),
                Some(all) => {
                    all.blobs.extend(more.blobs);
                    all.commitments.extend(more.commitments);
                    all.proofs.extend(more.proofs);
                }
            }
        }
        Ok(Some(ReadyCommit {
            group,
            call,
            sidecar,
        }))
    }

    /// The verification of batches `verified + 1 ..` with their stored `proofs` (`None` if
    /// there are none), each checked with L1's verifiers first: the first one they refuse is
    /// evicted (its batch is proven again) and the ones before it go; `Err` with its batch if
    /// it was the first.
    async fn ready_proofs(
        &self,
        proposer: &OnChainProposer::OnChainProposerInstance<&alloy::providers::DynProvider>,
        verified: u64,
        proofs: Vec<StoredProof>,
    ) -> L1Result<Result<Option<ReadyProofs>, u64>> {
        let mut lined_up: Vec<Vec<Bytes>> = Vec::with_capacity(proofs.len());
        for proof in &proofs {
            match self.proofs_for(proposer, proof).await? {
                Ok(parts) => lined_up.push(parts),
                Err(rejected) => {
                    // Sending it would revert forever: forget it, and the batch is proven again.
                    let number = proof.batch;
                    warn!(target: "keel::l1", batch = number, prover = %proof.prover, backend = %proof.backend, %rejected, "L1's verifiers refuse the stored proof; evicting it so the batch is proven again");
                    blocking(&self.storage, move |storage| storage.remove_proof(number)).await?;
                    if lined_up.is_empty() {
                        return Ok(Err(number));
                    }
                    break;
                }
            }
        }
        if lined_up.is_empty() {
            return Ok(Ok(None));
        }
        let first = verified + 1;
        let last = verified + lined_up.len() as u64;
        let backends = proofs
            .iter()
            .take(lined_up.len())
            .map(|p| p.backend.to_string())
            .collect();
        let (what, input): (String, Bytes) = if lined_up.len() == 1 {
            let proofs = lined_up.pop().unwrap_or_default();
            (
                format!("verifyBatch({first})"),
                OnChainProposer::verifyBatchCall {
                    batchNumber: U256::from(first),
                    proofs,
                }
                .abi_encode()
                .into(),
            )
        } else {
            (
                format!("verifyBatches({first}..={last})"),
                OnChainProposer::verifyBatchesCall {
                    firstBatch: U256::from(first),
                    proofs: lined_up,
                }
                .abi_encode()
                .into(),
            )
        };
        Ok(Ok(Some(ReadyProofs {
            first,
            last,
            backends,
            call: ProposerCall { what, input },
        })))
    }

    /// After L1 verified `proofs`' batches in `receipt` (and holds batches up to `committed`):
    /// records the progress and drops what no one needs any more.
    async fn verified(
        &self,
        receipt: &TransactionReceipt,
        committed: u64,
        proofs: &ReadyProofs,
    ) -> L1Result<()> {
        let ReadyProofs {
            first,
            last,
            backends,
            ..
        } = proofs;
        let last = *last;
        info!(target: "keel::l1", batches = format!("{first}..={last}"), backends = ?backends, tx = %receipt.transaction_hash, gas_used = receipt.gas_used, "batches verified on L1");
        let keep_inputs = self.config.keep_prover_inputs;
        // Frames of batches whose commits are final go too; L1 not answering just leaves them
        // for a later verification.
        let finalized = self.sender.client().finalized_block().await.ok().flatten();
        blocking(&self.storage, move |storage| {
            storage.set_l1_progress(L1Progress {
                committed,
                verified: last,
            })?;
            // This node never unwinds a batch L1 verified: its blocks' change sets go, and
            // (unless kept) the prover inputs no prover needs any more.
            let last_block = storage.snapshot()?.batch_last_block(last)?;
            storage.prune_changesets_to(last_block)?;
            if !keep_inputs {
                storage.prune_prover_inputs_to(last)?;
            }
            if let Some(finalized) = finalized {
                storage.prune_frames_to(last, finalized)?;
            }
            Ok(())
        })
        .await
    }

    /// The stored proof's parts in the order of the verifiers `OnChainProposer` requires now
    /// (read from L1: the owner may have changed them since the deployment), each checked
    /// with its verifier first; `Ok(Err(_))` if one refuses (or the proof has no such part).
    async fn proofs_for(
        &self,
        proposer: &OnChainProposer::OnChainProposerInstance<&alloy::providers::DynProvider>,
        proof: &StoredProof,
    ) -> L1Result<Result<Vec<Bytes>, PartRejected>> {
        let client = self.sender.client();
        let required = client
            .view("verifiers", proposer.verifiers().call())
            .await?
            .iter()
            .enumerate()
            .map(|(slot, address)| {
                let verifier = self.verifiers.iter().find(|v| v.address == *address);
                verifier
                    .map(|v| RequiredVerifier {
                        kind: v.kind,
                        address: *address,
                    })
                    .ok_or_else(|| {
                        L1Error::Mismatch(format!(
                            "OnChainProposer requires verifier {address} (slot {slot}), which \
                             the deployment file does not list (changed with setVerifiers?): \
                             add it to the file's verifiers with its kind"
                        ))
                    })
            })
            .collect::<L1Result<Vec<_>>>()?;
        let parts = match ProofParts::decode(&proof.proof) {
            Ok(parts) => parts,
            Err(error) => {
                return Ok(Err(PartRejected::Unreadable(error.to_string())));
            }
        };
        if let Err(rejected) =
            check_proof(client, &required, proof.output.commitment(), &parts).await?
        {
            return Ok(Err(rejected));
        }
        Ok(Ok(required
            .iter()
            .filter_map(|verifier| parts.get(verifier.kind).cloned())
            .collect()))
    }

    /// Whether this node may commit now: always without a sequencer registry; with one, when
    /// it leads the current epoch or the registry's fallback is open (`mayCommit`). Reports the
    /// schedule in the metrics; a commit out of turn would only be refused.
    async fn our_turn(
        &self,
        proposer: &OnChainProposer::OnChainProposerInstance<&alloy::providers::DynProvider>,
    ) -> L1Result<bool> {
        let Some(registry) = self.registry else {
            return Ok(true);
        };
        let client = self.sender.client();
        let schedule = SequencerRegistry::new(registry, client.provider());
        let me = self.sender.address();
        let last_commit_at = client
            .view("lastCommitAt", proposer.lastCommitAt().call())
            .await?;
        let may = client
            .view("mayCommit", schedule.mayCommit(me, last_commit_at).call())
            .await?;
        let epoch = client
            .view("currentEpoch", schedule.currentEpoch().call())
            .await?;
        let next = client
            .view("nextTurn", schedule.nextTurn(me).call())
            .await?;
        let as_i64 = |v: U256| i64::try_from(v).unwrap_or(-1);
        self.metrics.based_epoch.set(as_i64(epoch));
        self.metrics.based_may_commit.set(i64::from(may));
        self.metrics.based_next_turn.set(as_i64(next));
        if !may {
            debug!(target: "keel::l1", %epoch, next_turn = %next, "not this node's turn to commit");
        }
        Ok(may)
    }

    /// L1's batch `committed` must be this node's: otherwise the node runs another chain than
    /// the contracts settle (a reset datadir), and nothing it commits could ever verify.
    async fn check_parent(
        &self,
        proposer: &OnChainProposer::OnChainProposerInstance<&alloy::providers::DynProvider>,
        committed: u64,
        batch: &Batch,
    ) -> L1Result<()> {
        let stored = self
            .sender
            .client()
            .view("batches", proposer.batches(U256::from(committed)).call())
            .await?;
        if stored.lastBlockHash != batch.output.parent_block_hash {
            return Err(L1Error::Mismatch(format!(
                "L1 batch {committed} ends at block hash {}, but this node's batch {} starts \
                 after block hash {}: the node's chain is not the one the contracts settle \
                 (was the datadir reset?); restore it, or deploy anew with `keel deploy`",
                stored.lastBlockHash, batch.number, batch.output.parent_block_hash
            )));
        }
        Ok(())
    }

    /// After L1 committed `group` in `receipt`: checks the contract rebuilt each commitment as
    /// the node computed it, and records where L1 took them.
    async fn committed(&self, receipt: &TransactionReceipt, group: &[Batch]) -> L1Result<()> {
        let (first, last) = (group[0].number, group[group.len() - 1].number);
        // The contract rebuilt each commitment from what it stores; it must be the one the
        // node (and so every proof) computes, or no proof of the batch could ever verify. Read
        // from the receipt's `BatchCommitted` events, not from state: a later transaction (a
        // revert) may already have changed that.
        let committed: Vec<(U256, B256)> = receipt
            .logs()
            .iter()
            .filter(|log| log.address() == self.proposer)
            .filter_map(|log| log.log_decode::<OnChainProposer::BatchCommitted>().ok())
            .map(|log| (log.inner.data.batchNumber, log.inner.data.commitment))
            .collect();
        for batch in group {
            let on_l1 = committed
                .iter()
                .find(|(number, _)| *number == U256::from(batch.number))
                .map(|(_, commitment)| *commitment);
            if on_l1 != Some(batch.output.commitment()) {
                return Err(L1Error::Mismatch(format!(
                    "OnChainProposer rebuilt commitment {on_l1:?} for batch {} but the node \
                     computed {}: the contract and the node disagree on the batch layout",
                    batch.number,
                    batch.output.commitment()
                )));
            }
        }
        // Where L1 took them: a based node follows other leaders on from there.
        if let (Some(l1_block), Some(l1_block_hash)) = (receipt.block_number, receipt.block_hash) {
            let commits: Vec<BatchCommit> = group
                .iter()
                .map(|batch| BatchCommit {
                    batch: batch.number,
                    l1_block,
                    l1_block_hash,
                    l1_tx: receipt.transaction_hash,
                })
                .collect();
            blocking(&self.storage, move |storage| {
                storage.record_batch_commits(&commits)
            })
            .await?;
        }
        info!(target: "keel::l1", batches = format!("{first}..={last}"), blocks = format!("{}..={}", group[0].first_block, group[group.len() - 1].last_block), deposits = group.iter().map(|b| b.deposits).sum::<u64>(), blobs = group.iter().map(|b| b.blobs.len()).sum::<usize>(), blob_gas_used = receipt.blob_gas_used, tx = %receipt.transaction_hash, gas_used = receipt.gas_used, "batches committed on L1");
        Ok(())
    }

    /// The blobs that post `batch`'s stored frame, checked to be the ones its proof is bound
    /// to. Built off the async workers: a blob's KZG proof takes milliseconds of CPU.
    async fn sidecar(&self, batch: &Batch) -> L1Result<BlobTransactionSidecar> {
        let number = batch.number;
        let bound: Vec<B256> = batch
            .blobs
            .iter()
            .map(|blob| blob.binding.versioned_hash)
            .collect();
        let sidecar = blocking(&self.storage, move |storage| {
            let snapshot = storage.snapshot()?;
            if snapshot.batch(number)?.is_none() {
                return Ok(Err(L1Error::BatchGone { batch: number }));
            }
            Ok(Ok(snapshot.batch_frame(number)?.map(|frame| {
                keel_da::Frame::parse(&frame).and_then(|frame| crate::blob_sidecar(&frame))
            })))
        })
        .await??;
        let data_error = |reason: String| L1Error::BatchData {
            batch: number,
            reason,
        };
        let sidecar = sidecar
            .ok_or_else(|| data_error("the database holds no frame for it".to_owned()))?
            .map_err(|error| data_error(error.to_string()))?;
        let made: Vec<B256> = sidecar.versioned_hashes().collect();
        if made != bound {
            return Err(data_error(format!(
                "its stored frame makes blobs {made:?}, but the batch is bound to {bound:?}"
            )));
        }
        Ok(sidecar)
    }
}

/// The commit of `group` (consecutive batches): `commitBatch` for one, `commitBatches` for more.
fn commit_call(group: &[Batch]) -> ProposerCall {
    let header = |batch: &Batch| OnChainProposer::BatchHeader {
        lastBlock: U256::from(batch.last_block),
        newStateRoot: batch.output.post_state_root,
        lastBlockHash: batch.output.last_block_hash,
        lastBlockTimestamp: U256::from(batch.output.last_block_timestamp),
        withdrawalsRoot: batch.output.withdrawals_root,
        depositsRollingHash: batch.output.deposits_rolling_hash,
        depositCount: U256::from(batch.deposits),
    };
    let openings = |batch: &Batch| batch.blobs.iter().map(Into::into).collect::<Vec<_>>();
    let (first, last) = (group[0].number, group[group.len() - 1].number);
    let (what, input) = match group {
        [batch] => (
            format!("commitBatch({first})"),
            OnChainProposer::commitBatchCall {
                batchNumber: U256::from(first),
                header: header(batch),
                blobs: openings(batch),
            }
            .abi_encode(),
        ),
        _ => (
            format!("commitBatches({first}..={last})"),
            OnChainProposer::commitBatchesCall {
                firstBatch: U256::from(first),
                headers: group.iter().map(header).collect(),
                blobs: group.iter().map(openings).collect(),
            }
            .abi_encode(),
        ),
    };
    ProposerCall {
        what,
        input: input.into(),
    }
}

/// Where `OnChainProposer` stands, read in one call (`progress()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProposerProgress {
    /// `lastCommittedBatch`.
    pub committed: u64,
    /// `lastVerifiedBatch`.
    pub verified: u64,
    /// `reverts`: how many times committed batches were reverted.
    pub reverts: u64,
}

impl ProposerProgress {
    /// Reads the `OnChainProposer` at `proposer` through `client`.
    pub async fn read(client: &crate::L1Client, proposer: Address) -> L1Result<Self> {
        let contract = OnChainProposer::new(proposer, client.provider());
        let progress = client.view("progress", contract.progress().call()).await?;
        Ok(Self {
            committed: progress.committed.saturating_to(),
            verified: progress.verified.saturating_to(),
            reverts: progress.revertCount.saturating_to(),
        })
    }
}
