//! [`Conductor`]: a based node's turns. It reads the L1 schedule, follows L1 between turns,
//! opens the proposer at the start of its epoch once it has applied every batch L1 holds,
//! closes it `turn_margin` L1 blocks before the epoch ends, and after the epoch takes back
//! what L1 did not commit, handing the transactions to the next leader.
//!
//! ```text
//!   Following ──(its epoch, margin left, every L1 batch applied)──▶ Leading
//!       ▲                                                              │ margin reached
//!       │                                                              ▼
//!       └──(epoch over: uncommitted blocks unwound, pool handed over)── Closing
//! ```
//!
//! The rule for the open batch at the end of a turn: sealed `turn_margin` L1 blocks before
//! the epoch ends and committed by the settler while the turn lasts; if L1 has not taken it
//! when the epoch is over, its blocks are unwound and their transactions (with the pool's)
//! are forwarded to the next leader. L1 is the record either way: a batch is this node's
//! only once L1 committed it.

use std::{collections::BTreeMap, future::Future, sync::Arc, time::Duration};

use alloy::primitives::{Bytes, U256};
use alloy_eips::Encodable2718;
use alloy_primitives::Address;
use keel_follower::{Follower, FollowerError, ForwardError, Forwarder, Step};
use keel_l1::{L1Client, OnChainProposer, ProposerProgress, Schedule};
use keel_mempool::Mempool;
use keel_sequencer::TurnSwitch;
use keel_storage::{Storage, StorageResult};
use tracing::{Instrument, info, info_span, warn};

use crate::{BasedMetrics, Role, SequencingStatus};

/// The longest wait between two attempts after errors.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Where the conductor reads L1 and how it takes turns.
#[derive(Debug, Clone)]
pub struct ConductorSettings {
    /// The deployment's `SequencerRegistry`.
    pub registry: Address,
    /// The deployment's `OnChainProposer`.
    pub proposer: Address,
    /// This node's registered address.
    pub me: Address,
    /// L1 blocks before the epoch's end at which the node stops proposing.
    pub turn_margin: u64,
    /// Time between L1 reads.
    pub poll_interval: Duration,
    /// The other sequencers' JSON-RPC URLs.
    pub peers: BTreeMap<Address, String>,
}

/// Drives a based node's turns; see the module docs.
#[derive(Debug)]
pub struct Conductor {
    follower: Follower,
    client: L1Client,
    storage: Arc<Storage>,
    pool: Arc<Mempool>,
    turns: TurnSwitch,
    status: SequencingStatus,
    metrics: BasedMetrics,
    settings: ConductorSettings,
    forwarder: Forwarder,
    /// The epoch of the turn in progress (leading or closing).
    turn_epoch: u64,
    /// Whether what a previous run left uncommitted has been taken back.
    reconciled: bool,
    /// The leader this node last handed its pool to (or saw take over).
    handed_to: Address,
}

impl Conductor {
    /// A conductor over `follower` (which it steps between turns) and the proposer behind
    /// `turns`, reporting to `status` and `metrics`.
    #[expect(clippy::too_many_arguments, reason = "the parts it drives, each named")]
    pub fn new(
        follower: Follower,
        client: L1Client,
        storage: Arc<Storage>,
        pool: Arc<Mempool>,
        turns: TurnSwitch,
        status: SequencingStatus,
        metrics: BasedMetrics,
        settings: ConductorSettings,
    ) -> Self {
        Self {
            follower,
            client,
            storage,
            pool,
            turns,
            status,
            metrics,
            settings,
            forwarder: Forwarder::default(),
            turn_epoch: 0,
            reconciled: false,
            handed_to: Address::ZERO,
        }
    }

    /// Runs until `shutdown` completes. Outages are logged and retried with a growing wait; a
    /// fatal error (the follower's: data that does not rebuild what L1 committed) is returned,
    /// which stops the node naming it.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> Result<(), FollowerError> {
        let span = info_span!("based", me = %self.settings.me);
        async move {
            tokio::pin!(shutdown);
            let mut failures = 0u32;
            loop {
                let stepped = tokio::select! {
                    stepped = self.step() => stepped,
                    () = &mut shutdown => return Ok(()),
                };
                let wait = match stepped {
                    Ok(wait) => {
                        failures = 0;
                        wait
                    }
                    Err(error) if error.is_fatal() => return Err(error),
                    Err(error) => {
                        failures = failures.saturating_add(1);
                        let wait = self
                            .settings
                            .poll_interval
                            .saturating_mul(1 << failures.min(6))
                            .min(MAX_BACKOFF);
                        warn!(target: "keel::based", %error, retry_in = ?wait, "sequencing step failed; retrying");
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

    /// One look at the schedule and what it asks for; returns how long to wait before the
    /// next.
    pub async fn step(&mut self) -> Result<Duration, FollowerError> {
        let me = self.settings.me;
        let poll = self.settings.poll_interval;
        let schedule = Schedule::read(&self.client, self.settings.registry, me).await?;
        self.status.update(|now| {
            now.epoch = schedule.epoch;
            now.leader = schedule.leader;
            now.epoch_end = schedule.epoch_end;
            now.next_leader = schedule.next_leader;
            now.next_turn = schedule.next_turn;
        });
        let leads = schedule.leads(me);
        match self.status.get().role {
            Role::Following => {
                if !self.reconciled {
                    self.reconcile(false).await?;
                    self.reconciled = true;
                }
                if leads && schedule.blocks_left() >= self.settings.turn_margin {
                    let committed = ProposerProgress::read(&self.client, self.settings.proposer)
                        .await?
                        .committed;
                    let ours = self
                        .blocking(|storage| {
                            Ok(storage.snapshot()?.last_batch()?.map_or(0, |b| b.number))
                        })
                        .await?;
                    self.metrics
                        .batches_behind
                        .set(committed.saturating_sub(ours) as i64);
                    if ours >= committed {
                        self.begin_turn(&schedule);
                        return Ok(poll);
                    }
                }
                // A new leader: what this node's pool kept (its leader did not answer) goes
                // to it.
                if self.handed_to != schedule.leader && !schedule.leader.is_zero() {
                    self.handed_to = schedule.leader;
                    if !leads && !self.pool.is_empty() {
                        let raws = self
                            .pool
                            .take_all()
                            .into_iter()
                            .map(|pooled| Bytes::from(pooled.tx.encoded_2718()))
                            .collect();
                        self.hand_over(raws).await?;
                    }
                }
                Ok(match self.follower.step().await? {
                    Step::Idle => poll,
                    Step::Followed(_) | Step::Unwound { .. } | Step::Scanned => Duration::ZERO,
                })
            }
            Role::Leading => {
                if !leads || schedule.blocks_left() < self.settings.turn_margin {
                    self.turns.close();
                    self.set_role(Role::Closing);
                    info!(target: "keel::based", epoch = self.turn_epoch, l1_block = schedule.l1_block, epoch_end = schedule.epoch_end, "turn closing: no more blocks; sealing the open batch for the settler to commit");
                }
                Ok(poll)
            }
            Role::Closing => {
                if !self.turns.is_closed() {
                    return Ok(poll);
                }
                if !leads {
                    let handed = self.reconcile(true).await?;
                    info!(target: "keel::based", epoch = self.turn_epoch, next_leader = %schedule.leader, handed_over = handed, "turn over: following L1");
                    self.set_role(Role::Following);
                } else if schedule.epoch > self.turn_epoch {
                    // The next epoch is this node's too (it is the only one active): what it
                    // sealed is still its to commit; the turn goes on.
                    self.set_role(Role::Following);
                }
                Ok(poll)
            }
        }
    }

    fn begin_turn(&mut self, schedule: &Schedule) {
        self.turn_epoch = schedule.epoch;
        self.turns.open();
        self.metrics.turns.inc();
        self.set_role(Role::Leading);
        info!(target: "keel::based", epoch = schedule.epoch, l1_block = schedule.l1_block, epoch_end = schedule.epoch_end, "turn starts: proposing on the newest block");
    }

    fn set_role(&self, role: Role) {
        self.status.update(|now| now.role = role);
        self.metrics.role.set(match role {
            Role::Following => 0,
            Role::Leading => 1,
            Role::Closing => 2,
        });
    }

    /// Takes back every block after the last batch L1 holds (a batch it followed, or one it
    /// committed: L1 stores its commitment), and hands their transactions (and, at the end of
    /// a turn, the pool's) to the current leader. Returns how many transactions went.
    async fn reconcile(&mut self, with_pool: bool) -> Result<usize, FollowerError> {
        let kept = self.last_batch_on_l1().await?;
        let (abandoned, blocks) = self
            .blocking(move |storage| {
                let snapshot = storage.snapshot()?;
                let target = snapshot.batch_last_block(kept)?;
                let head = snapshot.head_number()?;
                drop(snapshot);
                if head <= target {
                    return Ok((Vec::new(), 0));
                }
                Ok((storage.unwind_taking_transactions(target)?, head - target))
            })
            .await?;
        if blocks > 0 {
            self.metrics.abandoned_blocks.inc_by(blocks);
            warn!(target: "keel::based", blocks, transactions = abandoned.len(), kept_batch = kept, "blocks this node built were not committed on L1 in its turn: taken back, their transactions go to the leader");
        }
        let mut raws: Vec<Bytes> = abandoned.into_iter().map(Bytes::from).collect();
        if with_pool {
            raws.extend(
                self.pool
                    .take_all()
                    .into_iter()
                    .map(|pooled| Bytes::from(pooled.tx.encoded_2718())),
            );
        }
        if raws.is_empty() {
            return Ok(0);
        }
        self.hand_over(raws).await
    }

    /// The newest batch this node holds that L1 holds too: the last one with a commit record
    /// (followed, or committed and recorded by the settler), then each later one whose
    /// commitment L1 stores (committed, its receipt not yet recorded).
    async fn last_batch_on_l1(&self) -> Result<u64, FollowerError> {
        let (mut kept, later) = self
            .blocking(|storage| {
                let snapshot = storage.snapshot()?;
                let last = snapshot.last_batch()?.map_or(0, |b| b.number);
                let mut kept = last;
                while kept > 0 && snapshot.batch_commit(kept)?.is_none() {
                    kept -= 1;
                }
                let later = snapshot
                    .batches_from(kept + 1, usize::MAX)?
                    .into_iter()
                    .map(|batch| (batch.number, batch.output.commitment()))
                    .collect::<Vec<_>>();
                Ok((kept, later))
            })
            .await?;
        let proposer = OnChainProposer::new(self.settings.proposer, self.client.provider());
        for (number, commitment) in later {
            let on_l1 = self
                .client
                .view(
                    "commitmentOf",
                    proposer.commitmentOf(U256::from(number)).call(),
                )
                .await?;
            if on_l1 != commitment {
                break;
            }
            kept = number;
        }
        Ok(kept)
    }

    /// Forwards `raws` (in order) to the current leader; what cannot reach it goes back into
    /// this node's pool for its next turn. Returns how many the leader took.
    async fn hand_over(&self, raws: Vec<Bytes>) -> Result<usize, FollowerError> {
        let now = self.status.get();
        let url = (now.leader != now.me)
            .then(|| self.settings.peers.get(&now.leader))
            .flatten();
        let mut kept = Vec::new();
        let (mut taken, mut refused) = (0, 0);
        for raw in raws {
            let Some(url) = url else {
                kept.push(raw);
                continue;
            };
            match self
                .forwarder
                .send(url, crate::sink::FORWARD_METHOD, &raw)
                .await
            {
                Ok(_) => taken += 1,
                Err(ForwardError::Refused(_)) => refused += 1,
                Err(ForwardError::Unreachable(error)) => {
                    warn!(target: "keel::based", leader = %now.leader, %url, %error, "cannot reach the leader to hand transactions over; keeping them for this node's next turn");
                    kept.push(raw);
                }
            }
        }
        self.metrics.handed_over.inc_by(taken as u64);
        let kept_len = kept.len();
        if !kept.is_empty() {
            let pool = self.pool.clone();
            self.blocking(move |storage| {
                let snapshot = storage.snapshot()?;
                for raw in &kept {
                    // One that no longer applies is refused, as any other would be.
                    let _ = pool.add_raw(raw, &snapshot);
                }
                Ok(())
            })
            .await?;
        }
        info!(target: "keel::based", leader = %now.leader, taken, refused, kept = kept_len, "transactions handed over");
        Ok(taken)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Storage) -> StorageResult<T> + Send + 'static,
    ) -> Result<T, FollowerError> {
        let storage = self.storage.clone();
        match tokio::task::spawn_blocking(move || work(&storage)).await {
            Ok(result) => Ok(result?),
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => Err(FollowerError::ShuttingDown),
        }
    }
}
