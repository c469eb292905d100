//! [`Follower`]: the loop that follows `OnChainProposer`'s commits and rebuilds each batch.

use std::{future::Future, sync::Arc, time::Duration};

use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, B256, U256},
    providers::Provider,
    rpc::types::{Filter, Log},
    sol_types::SolEvent,
};
use keel_da::{Blob, frame_from_blobs};
use keel_l1::{BlobSource, Deployment, L1Client, L1Config, L1Error, OnChainProposer, retry_wait};
use keel_primitives::{Batch, ChainSpec, DataAvailability};
use keel_storage::{BatchCommit, L1Progress, Storage, StorageResult};
use tracing::{Instrument, info, info_span, warn};

use crate::{
    FollowerError,
    apply::{apply_batch, holds_blocks, stored_batch},
};
use prometheus_client::metrics::counter::Counter;

/// How the follower polls L1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowerSettings {
    /// Time between polls when caught up.
    pub poll_interval: Duration,
    /// L1 blocks a commit needs (its own included) before it is followed.
    pub confirmations: u64,
    /// Most L1 blocks per log query.
    pub max_scan_blocks: u64,
}

impl From<&L1Config> for FollowerSettings {
    fn from(l1: &L1Config) -> Self {
        Self {
            poll_interval: l1.poll_interval,
            confirmations: l1.confirmations,
            max_scan_blocks: l1.max_scan_blocks,
        }
    }
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Rebuilt and recorded this batch.
    Followed(u64),
    /// Took blocks back: a batch half-applied when the node stopped, or batches whose commit
    /// L1 reorganised away. The chain now ends at `head`.
    Unwound {
        /// The new head block.
        head: u64,
        /// How many blocks went.
        blocks: u64,
    },
    /// Scanned a range of L1 without finding the next commit; more to scan.
    Scanned,
    /// Caught up with L1.
    Idle,
}

/// Follows L1's commits; see the crate docs.
#[derive(Debug)]
pub struct Follower {
    client: L1Client,
    blobs: BlobSource,
    proposer: Address,
    deployed_at_block: u64,
    storage: Arc<Storage>,
    spec: ChainSpec,
    settings: FollowerSettings,
    /// The next L1 block to scan for the next commit (`None`: from the last recorded commit).
    cursor: Option<u64>,
    /// The L1 progress last written.
    progress: Option<L1Progress>,
    /// L1's finalized block at the last progress write.
    finalized: u64,
    /// The last batch whose blocks' change sets are pruned (its commit is final on L1).
    pruned: u64,
    /// Keeps blocks after the last batch (a based leader's unsafe blocks, gossiped) until L1
    /// confirms or contradicts them, counting the ones rolled back. `None`: such blocks are
    /// a batch half-applied before a stop, unwound.
    unsafe_blocks: Option<Counter>,
    /// The transactions of unsafe blocks rolled back, until [`Follower::take_orphans`].
    orphans: Vec<Vec<u8>>,
}

/// What the database holds of the followed chain.
struct Followed {
    last: Option<Batch>,
    commit: Option<BatchCommit>,
    head: u64,
}

impl Follower {
    /// A follower of `deployment`'s commits, reading L1 through `client` and blobs from
    /// `blobs`, rebuilding into `storage`. A validium deployment is refused: its data is not on
    /// L1.
    pub fn new(
        client: L1Client,
        blobs: BlobSource,
        deployment: &Deployment,
        storage: Arc<Storage>,
        spec: ChainSpec,
        settings: FollowerSettings,
    ) -> Result<Self, FollowerError> {
        if deployment.data_availability == DataAvailability::Validium {
            return Err(FollowerError::Validium);
        }
        Ok(Self {
            client,
            blobs,
            proposer: deployment.on_chain_proposer,
            deployed_at_block: deployment.deployed_at_block,
            storage,
            spec,
            settings,
            cursor: None,
            progress: None,
            finalized: 0,
            pruned: 0,
            unsafe_blocks: None,
            orphans: Vec::new(),
        })
    }

    /// Keeps the blocks after the last followed batch (a based node's unsafe blocks): a
    /// commit whose blobs hold the same blocks is recorded without executing them again; one
    /// that differs rolls them back (counted in `rolled_back`) and applies L1's.
    pub fn keeping_unsafe_blocks(mut self, rolled_back: Counter) -> Self {
        self.unsafe_blocks = Some(rolled_back);
        self
    }

    /// The transactions (EIP-2718 bytes, in chain order) of the unsafe blocks rolled back since
    /// the last call: a based node hands them to the leader, so a block L1 never got loses
    /// no transaction its sender sent.
    pub fn take_orphans(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.orphans)
    }

    /// Runs until `shutdown` completes. Errors that retrying can fix (an L1 or beacon outage)
    /// are logged and retried with a growing wait; a fatal one ([`FollowerError::is_fatal`]) is
    /// returned, which stops the node naming it.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> Result<(), FollowerError> {
        let span = info_span!("follower", proposer = %self.proposer, beacon = %self.blobs.url());
        async move {
            tokio::pin!(shutdown);
            let mut failures = 0u32;
            loop {
                let stepped = tokio::select! {
                    stepped = self.step() => stepped,
                    () = &mut shutdown => return Ok(()),
                };
                let wait = match stepped {
                    Ok(Step::Idle) => {
                        failures = 0;
                        self.settings.poll_interval
                    }
                    Ok(_) => {
                        failures = 0;
                        Duration::ZERO
                    }
                    Err(error) if error.is_fatal() => return Err(error),
                    Err(error) => {
                        failures = failures.saturating_add(1);
                        let wait = retry_wait(self.settings.poll_interval, failures);
                        warn!(target: "keel::follower", %error, retry_in = ?wait, "follow step failed; retrying from the database's state");
                        wait
                    }
                };
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = &mut shutdown => return Ok(()),
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Does one thing: unwinds what must go, or rebuilds the next committed batch, or scans
    /// L1 for it.
    pub async fn step(&mut self) -> Result<Step, FollowerError> {
        let followed = self
            .blocking(|storage| {
                let snapshot = storage.snapshot()?;
                let last = snapshot.last_batch()?;
                let commit = match &last {
                    Some(batch) => snapshot.batch_commit(batch.number)?,
                    None => None,
                };
                Ok(Followed {
                    last,
                    commit,
                    head: snapshot.head_number()?,
                })
            })
            .await?;
        let applied_to = followed.last.as_ref().map_or(0, |batch| batch.last_block);
        if followed.head > applied_to && self.unsafe_blocks.is_none() {
            // A batch half-applied when the node stopped: it is rebuilt whole.
            let blocks = self
                .blocking(move |storage| storage.unwind_to(applied_to))
                .await?;
            warn!(target: "keel::follower", head = applied_to, blocks, "unwound the blocks of a batch left half-applied");
            return Ok(Step::Unwound {
                head: applied_to,
                blocks,
            });
        }
        if let (Some(last), Some(commit)) = (&followed.last, &followed.commit)
            && !self.on_l1(last, commit).await?
        {
            return self.rewind(commit.batch).await;
        }

        let next = followed.last.as_ref().map_or(1, |batch| batch.number + 1);
        let provider = self.client.provider();
        let tip = self
            .client
            .rpc("eth_blockNumber", provider.get_block_number())
            .await?;
        let safe = (tip + 1).saturating_sub(self.settings.confirmations);
        let from = self.cursor.unwrap_or_else(|| {
            followed
                .commit
                .map_or(self.deployed_at_block, |commit| commit.l1_block)
        });
        if from > safe {
            self.record_progress(followed.last.as_ref()).await?;
            return Ok(Step::Idle);
        }
        let to = safe.min(from + self.settings.max_scan_blocks - 1);
        let filter = Filter::new()
            .address(self.proposer)
            .event_signature(OnChainProposer::BatchCommitted::SIGNATURE_HASH)
            .topic1(B256::from(U256::from(next)))
            .from_block(from)
            .to_block(to);
        let logs = self
            .client
            .rpc("eth_getLogs", provider.get_logs(&filter))
            .await?;
        // After a revert (`revertBatches`) L1 holds two commits of the same batch number; the
        // one that counts is the one whose commitment L1 stores now.
        let current = if logs.is_empty() {
            B256::ZERO
        } else {
            self.commitment_on_l1(next).await?
        };
        let log = logs.into_iter().find(|log| {
            !log.removed
                && log
                    .log_decode::<OnChainProposer::BatchCommitted>()
                    .is_ok_and(|event| event.inner.data.commitment == current)
        });
        match log {
            Some(log) => {
                if !self.follow(next, applied_to, &log).await? {
                    // The log's block is no longer L1's: scan again.
                    return Ok(Step::Scanned);
                }
                self.cursor = None;
                Ok(Step::Followed(next))
            }
            None => {
                self.cursor = Some(to + 1);
                if to == safe {
                    self.record_progress(followed.last.as_ref()).await?;
                    return Ok(Step::Idle);
                }
                Ok(Step::Scanned)
            }
        }
    }

    /// Rebuilds batch `number` from its commit `log` on top of block `applied_to`; returns
    /// `false` if the log's block is no longer L1's.
    async fn follow(
        &mut self,
        number: u64,
        applied_to: u64,
        log: &Log,
    ) -> Result<bool, FollowerError> {
        let bad = |reason: String| L1Error::BadLog {
            event: "BatchCommitted",
            tx: log.transaction_hash,
            reason,
        };
        let event = log
            .log_decode::<OnChainProposer::BatchCommitted>()
            .map_err(|e| bad(e.to_string()))?
            .inner
            .data;
        let (Some(l1_block), Some(l1_block_hash), Some(l1_tx)) =
            (log.block_number, log.block_hash, log.transaction_hash)
        else {
            return Err(bad("the log names no block or transaction".to_owned()).into());
        };
        let provider = self.client.provider();
        let Some(block) = self
            .client
            .rpc(
                "eth_getBlockByNumber",
                provider.get_block_by_number(BlockNumberOrTag::Number(l1_block)),
            )
            .await?
        else {
            return Ok(false);
        };
        if block.header.hash != l1_block_hash {
            return Ok(false);
        }
        if event.blobHashes.is_empty() {
            return Err(FollowerError::Divergence {
                batch: number,
                what: "its commit carries no blob (a validium commit on a rollup deployment)"
                    .to_owned(),
            });
        }
        let blobs = self
            .blobs
            .blobs(l1_block, block.header.timestamp, &event.blobHashes)
            .await?;
        let commit = BatchCommit {
            batch: number,
            l1_block,
            l1_block_hash,
            l1_tx,
        };
        let spec = self.spec;
        let sealed_at_ms = block.header.timestamp.saturating_mul(1000);
        let started = std::time::Instant::now();
        let rolled_back = self.unsafe_blocks.clone();
        let (batch, orphans) = self
            .blocking_follower(move |storage| {
                let mut orphans = Vec::new();
                let result = rebuild(
                    storage,
                    &spec,
                    Rebuild {
                        number,
                        applied_to,
                        blobs: &blobs,
                        event: &event,
                        commit: &commit,
                        sealed_at_ms,
                        rolled_back: rolled_back.as_ref(),
                        orphans: &mut orphans,
                    },
                );
                if result.is_err() {
                    // Nothing of a batch that did not rebuild stays.
                    storage.unwind_to(applied_to)?;
                }
                Ok((result?, orphans))
            })
            .await?;
        self.orphans.extend(orphans);
        let elapsed = started.elapsed();
        info!(target: "keel::follower", batch = number, blocks = format!("{}..={}", batch.first_block, batch.last_block), transactions = batch.transactions, gas_used = batch.gas_used, blobs = batch.blobs.len(), l1_block, elapsed = ?elapsed, "batch rebuilt from L1 and matches its commitment");
        Ok(true)
    }

    /// Whether the recorded `batch` still stands on L1: its commit's L1 block is still L1's
    /// (no reorganisation took it) and L1 still stores its commitment (no `revertBatches`).
    async fn on_l1(&self, batch: &Batch, commit: &BatchCommit) -> Result<bool, FollowerError> {
        let block = self
            .client
            .rpc(
                "eth_getBlockByNumber",
                self.client
                    .provider()
                    .get_block_by_number(BlockNumberOrTag::Number(commit.l1_block)),
            )
            .await?;
        if !block.is_some_and(|block| block.header.hash == commit.l1_block_hash) {
            return Ok(false);
        }
        Ok(self.commitment_on_l1(batch.number).await? == batch.output.commitment())
    }

    /// The commitment L1 stores for batch `number` now (zero: not committed, or reverted).
    async fn commitment_on_l1(&self, number: u64) -> Result<B256, FollowerError> {
        let proposer = OnChainProposer::new(self.proposer, self.client.provider());
        Ok(self
            .client
            .view(
                "commitmentOf",
                proposer.commitmentOf(U256::from(number)).call(),
            )
            .await?)
    }

    /// L1 reorganised away the commit of batch `last`, or reverted it: unwinds to the newest
    /// batch that still stands on L1 (or to genesis) and follows again from there.
    async fn rewind(&mut self, last: u64) -> Result<Step, FollowerError> {
        let mut keep = last;
        while keep > 0 {
            let recorded = self
                .blocking(move |storage| {
                    let snapshot = storage.snapshot()?;
                    Ok(snapshot.batch(keep)?.zip(snapshot.batch_commit(keep)?))
                })
                .await?;
            match recorded {
                Some((batch, commit)) if self.on_l1(&batch, &commit).await? => break,
                _ => keep -= 1,
            }
        }
        let head = self
            .blocking(move |storage| storage.snapshot()?.batch_last_block(keep))
            .await?;
        let blocks = self
            .blocking(move |storage| storage.unwind_to(head))
            .await?;
        warn!(target: "keel::follower", from_batch = last, to_batch = keep, head, blocks, "L1 no longer holds the commits of batches this node had applied (reorganised or reverted); unwound them to follow L1 again");
        self.cursor = None;
        self.progress = None;
        self.pruned = self.pruned.min(keep);
        Ok(Step::Unwound { head, blocks })
    }

    /// Reads `lastVerifiedBatch` and the finalized block from L1 and records the follower's L1
    /// progress (RPC's `safe` and `finalized`, withdrawal proofs' status). Change sets go for
    /// the blocks of batches whose commit L1 has finalized: no reorganisation can take those
    /// away, so they are never unwound.
    async fn record_progress(&mut self, last: Option<&Batch>) -> Result<(), FollowerError> {
        let committed = last.map_or(0, |batch| batch.number);
        let provider = self.client.provider();
        let proposer = OnChainProposer::new(self.proposer, provider);
        let verified: u64 = self
            .client
            .view("lastVerifiedBatch", proposer.lastVerifiedBatch().call())
            .await?
            .try_into()
            .unwrap_or(u64::MAX);
        let finalized = self.client.finalized_block().await?.unwrap_or(0);
        let progress = L1Progress {
            committed,
            verified: verified.min(committed),
        };
        if self.progress == Some(progress) && self.finalized == finalized {
            return Ok(());
        }
        let pruned = self.pruned;
        let pruned = self
            .blocking(move |storage| {
                storage.set_l1_progress(progress)?;
                let snapshot = storage.snapshot()?;
                let mut settled = pruned;
                while settled < committed {
                    match snapshot.batch_commit(settled + 1)? {
                        Some(commit) if commit.l1_block <= finalized => settled += 1,
                        _ => break,
                    }
                }
                if settled > pruned {
                    storage.prune_changesets_to(snapshot.batch_last_block(settled)?)?;
                }
                Ok(settled)
            })
            .await?;
        self.progress = Some(progress);
        self.finalized = finalized;
        self.pruned = pruned;
        Ok(())
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Storage) -> StorageResult<T> + Send + 'static,
    ) -> Result<T, FollowerError> {
        self.blocking_follower(move |storage| Ok(work(storage)?))
            .await
    }

    async fn blocking_follower<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Storage) -> Result<T, FollowerError> + Send + 'static,
    ) -> Result<T, FollowerError> {
        on_storage(&self.storage, work).await
    }
}

/// Runs `work` on `storage` off the async workers (it executes blocks and waits for fsyncs).
/// A panic inside is resumed in the calling task, which the supervisor names.
pub async fn on_storage<T: Send + 'static>(
    storage: &Arc<Storage>,
    work: impl FnOnce(&Storage) -> Result<T, FollowerError> + Send + 'static,
) -> Result<T, FollowerError> {
    let storage = storage.clone();
    match tokio::task::spawn_blocking(move || work(&storage)).await {
        Ok(result) => result,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(_) => Err(FollowerError::ShuttingDown),
    }
}

/// What [`rebuild`] works on.
struct Rebuild<'a> {
    number: u64,
    /// The last block of the last recorded batch.
    applied_to: u64,
    blobs: &'a [Blob],
    event: &'a OnChainProposer::BatchCommitted,
    commit: &'a BatchCommit,
    sealed_at_ms: u64,
    /// Where rolled-back unsafe blocks are counted (a based node).
    rolled_back: Option<&'a Counter>,
    /// Where the transactions of rolled-back unsafe blocks go.
    orphans: &'a mut Vec<Vec<u8>>,
}

/// Decodes batch `number` from `blobs`, applies it and checks it against `event`; records it
/// when it matches. Unsafe blocks that are the batch's blocks are recorded as they are; ones
/// that differ are rolled back first: L1 is the record. Blocking.
fn rebuild(storage: &Storage, spec: &ChainSpec, job: Rebuild<'_>) -> Result<Batch, FollowerError> {
    let Rebuild {
        number,
        applied_to,
        blobs,
        event,
        commit,
        sealed_at_ms,
        rolled_back,
        orphans,
    } = job;
    let data = |source| FollowerError::Data {
        batch: number,
        source,
    };
    let diverges = |what: String| FollowerError::Divergence {
        batch: number,
        what,
    };
    let frame = frame_from_blobs(blobs).map_err(data)?;
    let blocks = frame.blocks().map_err(data)?;
    let posted = keel_da::commit_blobs(&frame).map_err(data)?;
    let rebuilt: Vec<B256> = posted
        .iter()
        .map(|blob| blob.binding.versioned_hash)
        .collect();
    if rebuilt != event.blobHashes {
        return Err(diverges(format!(
            "its frame makes blobs {rebuilt:?}, but the commit carries {:?}",
            event.blobHashes
        )));
    }
    let head = storage.snapshot()?.head_number()?;
    let last = applied_to + blocks.len() as u64;
    let batch = if head > applied_to
        && head >= last
        && holds_blocks(storage, applied_to + 1, &blocks)?
    {
        stored_batch(
            storage,
            spec,
            number,
            applied_to + 1,
            last,
            posted,
            sealed_at_ms,
        )?
    } else {
        if head > applied_to {
            let transactions = storage.unwind_taking_transactions(applied_to)?;
            let blocks = head - applied_to;
            if let Some(counter) = rolled_back {
                counter.inc_by(blocks);
            }
            warn!(target: "keel::follower", batch = number, rolled_back = blocks, transactions = transactions.len(), head = applied_to, "unsafe blocks differ from what L1 committed: rolled back to L1's");
            orphans.extend(transactions);
        }
        apply_batch(storage, spec, number, &blocks, posted, sealed_at_ms)?
    };
    let output = &batch.output;
    let committed_last: u64 = event.lastBlock.try_into().unwrap_or(u64::MAX);
    if batch.last_block != committed_last {
        return Err(diverges(format!(
            "its blobs hold blocks {}..={}, but the commit ends at block {committed_last}",
            batch.first_block, batch.last_block
        )));
    }
    if output.post_state_root != event.newStateRoot {
        return Err(diverges(format!(
            "the state root after block {} is {}, but the commit says {}",
            batch.last_block, output.post_state_root, event.newStateRoot
        )));
    }
    if output.last_block_hash != event.lastBlockHash {
        return Err(diverges(format!(
            "block {} hashes to {}, but the commit says {}",
            batch.last_block, output.last_block_hash, event.lastBlockHash
        )));
    }
    if output.commitment() != event.commitment {
        return Err(diverges(format!(
            "the rebuilt batch commits to {} (withdrawals root {}, deposits {}, blobs {}), but \
             L1 stored {}",
            output.commitment(),
            output.withdrawals_root,
            output.deposits_rolling_hash,
            output.blobs_hash,
            event.commitment
        )));
    }
    storage.record_followed_batch(&batch, &frame.0, commit)?;
    Ok(batch)
}
