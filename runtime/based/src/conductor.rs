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

use std::{
    collections::BTreeMap,
    future::Future,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy::primitives::{Bytes, U256};
use alloy_eips::Encodable2718;
use alloy_primitives::Address;
use keel_follower::{
    ApplyError, Follower, FollowerError, ForwardError, Forwarder, Step, apply_block, on_storage,
};
use keel_gossip::{GossipHandle, Incoming, Verdict};
use keel_l1::{L1Client, OnChainProposer, ProposerProgress, Schedule, retry_wait};
use keel_mempool::Mempool;
use keel_primitives::ChainSpec;
use keel_sequencer::TurnSwitch;
use keel_storage::{Storage, StorageResult};
use tokio::sync::mpsc;
use tracing::{Instrument, debug, info, info_span, warn};

use crate::{BasedMetrics, Role, SequencingStatus, UnsafeBlock};

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
    /// The chain (gossiped blocks are re-executed under it).
    pub spec: ChainSpec,
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
    /// The leader before the current one: its last blocks may arrive after the epoch turned.
    previous_leader: Address,
    /// Unsafe-block gossip: where verdicts go, and where messages come from.
    gossip: Option<(GossipHandle, mpsc::Receiver<Incoming>)>,
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
            previous_leader: Address::ZERO,
            gossip: None,
        }
    }

    /// Takes the leader's unsafe blocks from `incoming` (judging each through `handle`)
    /// while following.
    pub fn with_gossip(mut self, handle: GossipHandle, incoming: mpsc::Receiver<Incoming>) -> Self {
        self.gossip = Some((handle, incoming));
        self
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
                        let wait = retry_wait(self.settings.poll_interval, failures);
                        warn!(target: "keel::based", %error, retry_in = ?wait, "sequencing step failed; retrying");
                        wait
                    }
                };
                let until = tokio::time::Instant::now() + wait;
                loop {
                    tokio::select! {
                        () = tokio::time::sleep_until(until) => break,
                        () = &mut shutdown => return Ok(()),
                        Some(incoming) = next_message(&mut self.gossip) => {
                            match self.on_gossip(incoming).await {
                                Err(error) if error.is_fatal() => return Err(error),
                                Err(error) => warn!(target: "keel::based", %error, "cannot place a gossiped block"),
                                Ok(()) => {}
                            }
                        }
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    /// Judges one gossiped message and, if it is the leader's next block, stores it.
    async fn on_gossip(&mut self, incoming: Incoming) -> Result<(), FollowerError> {
        let verdict = self.judge(&incoming).await;
        if verdict.as_ref().is_ok_and(|v| *v == Verdict::Reject) {
            self.metrics.unsafe_refused.inc();
        }
        if let Some((handle, _)) = &self.gossip {
            handle.judge(
                incoming.id,
                incoming.peer,
                *verdict.as_ref().unwrap_or(&Verdict::Ignore),
            );
        }
        verdict.map(drop)
    }

    async fn judge(&mut self, incoming: &Incoming) -> Result<Verdict, FollowerError> {
        let peer = incoming.peer;
        let (block, signer) = match UnsafeBlock::open(&incoming.data) {
            Ok(opened) => opened,
            Err(error) => {
                warn!(target: "keel::based", %peer, %error, "gossiped block refused");
                return Ok(Verdict::Reject);
            }
        };
        let now = self.status.get();
        if block.chain_id != self.settings.spec.chain_id {
            warn!(target: "keel::based", %peer, chain_id = block.chain_id, "gossiped block refused: another chain");
            return Ok(Verdict::Reject);
        }
        if signer != now.leader && signer != self.previous_leader {
            warn!(target: "keel::based", %peer, %signer, leader = %now.leader, number = block.number, "gossiped block refused: not signed by the leader");
            return Ok(Verdict::Reject);
        }
        if now.role != Role::Following || signer == now.me {
            // This node builds its own blocks now (or the block is its own, relayed back).
            return Ok(Verdict::Ignore);
        }
        let spec = self.settings.spec;
        let placed = self
            .blocking_follower(move |storage| {
                let head = storage.snapshot()?.head()?;
                if block.number != head.number + 1 || block.parent_hash != head.hash() {
                    return Ok(Placed::NotNext {
                        number: block.number,
                        head: head.number,
                    });
                }
                match apply_block(storage, &spec, &head, &block.block) {
                    Ok(stored) if stored.hash() == block.hash => Ok(Placed::Stored(block)),
                    Ok(stored) => {
                        // Signed, but not what the leader says it is: take it back.
                        storage.unwind_to(head.number)?;
                        Ok(Placed::Wrong(format!(
                            "re-executes to hash {}, signed as {}",
                            stored.hash(),
                            block.hash
                        )))
                    }
                    Err(ApplyError::Replay(error)) => Ok(Placed::Wrong(error.to_string())),
                    Err(ApplyError::Storage(error)) => Err(error.into()),
                }
            })
            .await?;
        Ok(match placed {
            Placed::Stored(block) => {
                let now_ms = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_millis() as u64);
                let delay = now_ms.saturating_sub(block.made_at_ms);
                self.metrics.unsafe_accepted.inc();
                self.metrics.unsafe_delay.observe(delay as f64 / 1e3);
                debug!(target: "keel::based", number = block.number, hash = %block.hash, %signer, delay_ms = delay, "unsafe block accepted");
                Verdict::Accept
            }
            Placed::NotNext { number, head } => {
                debug!(target: "keel::based", number, head, "gossiped block does not follow this node's head; L1 will bring it");
                Verdict::Ignore
            }
            Placed::Wrong(reason) => {
                warn!(target: "keel::based", %peer, %signer, %reason, "gossiped block refused: it does not execute as signed");
                Verdict::Reject
            }
        })
    }

    /// One look at the schedule and what it asks for; returns how long to wait before the
    /// next.
    pub async fn step(&mut self) -> Result<Duration, FollowerError> {
        let me = self.settings.me;
        let poll = self.settings.poll_interval;
        let schedule = Schedule::read(&self.client, self.settings.registry, me).await?;
        let before = self.status.get().leader;
        if before != schedule.leader {
            self.previous_leader = before;
        }
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
                        // Build on what L1 holds: unsafe blocks after it (the last leader's,
                        // never committed) go, their transactions into this node's pool.
                        self.reconcile(false).await?;
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
                let stepped = self.follower.step().await?;
                let orphans = self.follower.take_orphans();
                if !orphans.is_empty() {
                    // Unsafe blocks went: their senders' nonces went back.
                    self.pool.forget_state_nonces();
                    self.hand_over(orphans.into_iter().map(Bytes::from).collect())
                        .await?;
                }
                Ok(match stepped {
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
        // Blocks may have been unwound since the pool last saw a nonce.
        self.pool.forget_state_nonces();
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
            // Nonces went back with the blocks.
            self.pool.forget_state_nonces();
            self.metrics.abandoned_blocks.inc_by(blocks);
            warn!(target: "keel::based", blocks, transactions = abandoned.len(), kept_batch = kept, "blocks after the last batch L1 holds (this node's from a turn that ended, or a leader's unsafe blocks L1 never got) taken back; their transactions go to the leader");
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
        let mut unreachable = url.is_none();
        for raw in raws {
            // One failed connection is enough: the rest would each wait for it again.
            let (false, Some(url)) = (unreachable, url) else {
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
                    unreachable = true;
                    kept.push(raw);
                }
            }
        }
        self.metrics.handed_over.inc_by(taken as u64);
        let kept_len = kept.len();
        let mut pool_refused = 0;
        if !kept.is_empty() {
            let pool = self.pool.clone();
            pool_refused = self
                .blocking(move |storage| {
                    let snapshot = storage.snapshot()?;
                    // One that no longer applies is refused, as any other would be.
                    Ok(kept
                        .iter()
                        .filter(|raw| pool.add_raw(raw, &snapshot).is_err())
                        .count())
                })
                .await?;
        }
        info!(target: "keel::based", leader = %now.leader, taken, refused, kept = kept_len, pool_refused, "transactions handed over");
        Ok(taken)
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

/// Where a gossiped block went.
enum Placed {
    /// Stored on the head.
    Stored(UnsafeBlock),
    /// Not the head's child: this node lacks blocks before it (or has passed it).
    NotNext { number: u64, head: u64 },
    /// The leader signed it but it does not execute to what it says.
    Wrong(String),
}

/// The next gossiped message, or never without gossip.
async fn next_message(
    gossip: &mut Option<(GossipHandle, mpsc::Receiver<Incoming>)>,
) -> Option<Incoming> {
    match gossip {
        Some((_, incoming)) => incoming.recv().await,
        None => std::future::pending().await,
    }
}
