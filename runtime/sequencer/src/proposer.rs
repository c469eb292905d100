//! The proposer: one block every `block_time`.

use std::{
    collections::HashSet,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy_consensus::{Header, Sealed};
use alloy_primitives::{Address, B256, Bytes};
use keel_da::PayloadBlock;
use keel_evm::{BlockAttributes, BlockBuilder, BuiltBlock, TxOutcome};
use keel_mempool::Mempool;
use keel_primitives::{BlockPlugin, ChainSpec, KeelTx, L1Deposit, StateReader};
use keel_storage::{BlockWitness, BlockWrite, Snapshot, Storage};
use keel_tasks::Shutdown;
use tracing::{error, info, info_span, warn};

use keel_plugin_host::{ActiveSet, OrderingContext};

use crate::{
    BlockFees, BlockRules, BridgeVerdict, SequencerMetrics, SequencerResult,
    batcher::OpenBatch,
    config::BatcherConfig,
    feed::{BlockFeed, MadeBlock},
    inclusion::{InclusionWindow, next_timestamp},
    sealer::{SealJob, SealQueue},
    turn::{TurnState, TurnSwitch},
    witness::RecordingState,
};
use keel_trie::RecordingReader;

/// The cheapest possible transaction; with less gas left, a block is full.
const MIN_TX_GAS: u64 = 21_000;

/// How the proposer builds blocks.
#[derive(Debug, Clone)]
pub struct ProposerConfig {
    /// Time between blocks.
    pub block_time: Duration,
    /// Receives priority fees.
    pub coinbase: Address,
    /// Gas limit of every block.
    pub gas_limit: u64,
    /// Extra data of every block.
    pub extra_data: Bytes,
    /// Optional cap on transactions per block.
    pub max_block_txs: Option<usize>,
    /// When blocks are sealed into batches.
    pub batcher: BatcherConfig,
    /// Most L1 deposits included per block (they go first, oldest first).
    pub max_deposits_per_block: usize,
}

/// What one sealed block contained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockSummary {
    /// Block number.
    pub number: u64,
    /// Block hash.
    pub hash: B256,
    /// Transactions included.
    pub transactions: usize,
    /// Gas used.
    pub gas_used: u64,
    /// Transactions dropped as invalid.
    pub dropped: usize,
    /// L1 deposits included (counted in `transactions` too).
    pub deposits: usize,
}

/// A block's payload item without its transactions: the header fields and the list framing
/// (an upper bound, with the default 32-byte extra data).
const BLOCK_PAYLOAD_OVERHEAD: usize = 96;
/// What a transaction's payload item adds to its EIP-2718 bytes: the RLP string header.
const TX_PAYLOAD_OVERHEAD: usize = 4;

/// The bytes `tx` adds to its block's payload.
fn tx_payload_bytes(tx: &KeelTx) -> usize {
    alloy_eips::Encodable2718::encode_2718_len(tx) + TX_PAYLOAD_OVERHEAD
}

/// The L1 deposits a block included.
#[derive(Debug)]
struct IncludedDeposits {
    count: usize,
    /// Their payload bytes.
    payload_bytes: usize,
}

/// What a block took from the pool.
#[derive(Debug)]
struct PoolFill {
    /// Included.
    mined: Vec<B256>,
    /// Dropped from the pool: invalid, or refused by the bridge rules.
    dropped: Vec<B256>,
    /// The ordering plugin's record, if one ordered the block.
    ordering_plugin: Option<BlockPlugin>,
}

/// The block's one record of the bridge plugin: the plugin that decided its deposits and
/// withdrawals, marked as fallen back if any of its calls failed.
#[derive(Debug, Default)]
struct BridgeRecord(Option<BlockPlugin>);

impl BridgeRecord {
    fn add(&mut self, verdict: &BridgeVerdict) {
        if let Some(record) = verdict.record() {
            let fell_back = record.fell_back || self.0.as_ref().is_some_and(|p| p.fell_back);
            self.0 = Some(BlockPlugin {
                fell_back,
                ..record
            });
        }
    }
}

/// What a block is built from, decided once: a block built again (its payload did not fit)
/// differs only in the transactions it takes.
struct BlockInputs<'a> {
    snapshot: &'a Snapshot,
    parent: &'a Sealed<Header>,
    attributes: BlockAttributes,
    set: &'a ActiveSet,
    deposits: &'a [L1Deposit],
    fees: &'a BlockFees,
}

/// A block executed and sealed, not yet stored.
struct Executed {
    built: BuiltBlock,
    witness: BlockWitness,
    filled: PoolFill,
    deposits: IncludedDeposits,
    bridge: BridgeRecord,
    /// What the batch's blobs carry of it.
    payload: PayloadBlock,
}

impl Executed {
    /// Adds the block to `open` if its payload fits the blobs left ([`OpenBatch::try_add_block`]).
    fn join(&self, open: &mut OpenBatch, config: &BatcherConfig) -> SequencerResult<bool> {
        open.try_add_block(
            config,
            &self.payload,
            self.built.block.header.gas_limit,
            self.witness.byte_len(),
        )
    }
}

/// Builds blocks from the pool onto the stored head.
pub struct Proposer {
    spec: ChainSpec,
    config: ProposerConfig,
    storage: Arc<Storage>,
    pool: Arc<Mempool>,
    rules: Arc<BlockRules>,
    metrics: SequencerMetrics,
    /// The batch the next block joins; loaded from storage by the first block built.
    batch: Mutex<Option<OpenBatch>>,
    /// Keeps L2 time where L1's forced inclusion holds; `None` without an L1.
    inclusion: Option<InclusionWindow>,
    /// Whether the last block's time was held back by `inclusion` (logged on change).
    time_held: AtomicBool,
    /// A based node's turns: blocks are built only while it is open. `None`: always.
    turns: Option<TurnSwitch>,
    /// Told of every block made (a based node gossips them).
    feed: Option<Arc<dyn BlockFeed>>,
    /// Where closed batches go to be sealed off this thread; `None`: sealed here, before the
    /// next block (tests, tools).
    seals: Option<SealQueue>,
}

impl core::fmt::Debug for Proposer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Proposer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Proposer {
    /// A proposer over `storage` and `pool`.
    pub fn new(
        spec: ChainSpec,
        config: ProposerConfig,
        storage: Arc<Storage>,
        pool: Arc<Mempool>,
        rules: Arc<BlockRules>,
        metrics: SequencerMetrics,
    ) -> Self {
        Self {
            spec,
            config,
            storage,
            pool,
            rules,
            metrics,
            batch: Mutex::new(None),
            inclusion: None,
            time_held: AtomicBool::new(false),
            turns: None,
            feed: None,
            seals: None,
        }
    }

    /// Hands closed batches to a [`Sealer`](crate::Sealer) reading `queue` (on its own
    /// thread), so assembling, self-checking and storing a batch never delays a block; the
    /// proposer waits only when `queue` is full.
    pub fn with_sealer(mut self, queue: SealQueue) -> Self {
        self.seals = Some(queue);
        self
    }

    /// Tells `feed` of every block made, right after it is stored.
    pub fn with_block_feed(mut self, feed: Arc<dyn BlockFeed>) -> Self {
        self.feed = Some(feed);
        self
    }

    /// Builds blocks only while `turns` is open (a based node, in its turn), and seals the
    /// open batch when it closes (see [`TurnSwitch`]).
    pub fn with_turns(mut self, turns: TurnSwitch) -> Self {
        self.turns = Some(turns);
        self
    }

    /// Keeps every block's timestamp within `window` (see [`InclusionWindow`]): a sequencer
    /// that settles on L1 needs it, or a batch could owe a message it never saw.
    pub fn with_inclusion_window(mut self, window: InclusionWindow) -> Self {
        self.inclusion = Some(window);
        self
    }

    /// Builds, seals and persists the next block from the pool's best transactions.
    ///
    /// ```text
    ///  seal the open batch if due ─▶ begin the block (plugin swaps take effect) ─▶ fees
    ///  ─▶ L1 deposits (forced, first) ─▶ pool transactions (ordering, withdrawal rules)
    ///  ─▶ state root + witness ─▶ one write ─▶ pool and metrics
    /// ```
    pub fn build_block(&self) -> SequencerResult<BlockSummary> {
        let started = Instant::now();
        // Before the snapshot: every message the clock accounts for is then in it.
        let unseen_due = self.inclusion.as_ref().map(InclusionWindow::unseen_due);
        let snapshot = self.storage.snapshot()?;
        let parent = snapshot.head()?;
        let number = parent.number + 1;
        let _span = info_span!(target: "keel::sequencer", "block", number).entered();
        let mut batch = self
            .batch
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let open = match &mut *batch {
            Some(open) => open,
            empty => empty.insert(self.load_batch(&snapshot)?),
        };
        if let Some(reason) = open.seal_reason(&self.config.batcher, self.config.gas_limit) {
            self.seal(open.close(reason)?)?;
        }

        // Swaps take effect here, between blocks: the whole block sees one set of plugins.
        let plugins = self.rules.registry().begin_block(number);
        for plugin in &plugins.activated {
            info!(target: "keel::plugins", slot = %plugin.slot(), plugin = %plugin.id(), "plugin active from this block");
        }
        let fees = self.rules.fees(&plugins.set, &parent);
        // Read once: the oldest bounds the block's time, and the block includes them.
        let pending = snapshot.pending_deposits(self.config.max_deposits_per_block)?;
        let time_limit = unseen_due.map(|unseen| match pending.first() {
            Some(oldest) => unseen.min(oldest.deadline),
            None => unseen,
        });
        let attributes = self.attributes(parent.timestamp, &fees, time_limit);
        let inputs = BlockInputs {
            snapshot: &snapshot,
            parent: &parent,
            attributes,
            set: &plugins.set,
            deposits: &pending,
            fees: &fees,
        };
        let mut block = self.execute(&inputs, open, open.payload_budget(&self.config.batcher))?;
        if !block.join(open, &self.config.batcher)? {
            // Its payload compressed worse than the last block's: build it again within the
            // room that fits whatever the compression.
            let room = open.payload_room(&self.config.batcher);
            info!(target: "keel::sequencer", room, "the block's payload compressed worse than expected and does not fit its batch's blobs; building it again within the room that always fits");
            block = self.execute(&inputs, open, room)?;
            if !block.join(open, &self.config.batcher)? {
                return Err(crate::SequencerError::Payload {
                    batch: open.number(),
                    reason: format!(
                        "block {number}'s payload does not fit the room left, {room} bytes, even uncompressed"
                    ),
                });
            }
        }
        drop(inputs);
        drop(snapshot);
        let Executed {
            built,
            witness,
            filled,
            deposits,
            bridge,
            payload,
        } = block;
        self.storage.commit_block(BlockWrite {
            block: &built.block,
            receipts: &built.receipts,
            changes: &built.changes,
            state: &built.state,
            codes: &built.codes,
            plugins: &filled
                .ordering_plugin
                .into_iter()
                .chain(fees.plugin)
                .chain(bridge.0)
                .collect::<Vec<_>>(),
            activated: &plugins
                .activated
                .iter()
                .map(|plugin| plugin.slot())
                .collect::<Vec<_>>(),
            witness: Some(&witness),
        })?;
        open.known.add(&built.state.nodes, &built.codes);
        drop(batch);
        if let Some(feed) = &self.feed {
            feed.block_made(MadeBlock {
                number,
                hash: built.block.hash(),
                parent_hash: parent.hash(),
                payload: &payload,
            });
        }

        self.pool.on_block(
            &filled.mined,
            built
                .state
                .accounts
                .iter()
                .map(|(address, account)| (*address, account.as_ref().map_or(0, |a| a.nonce))),
        );
        for hash in &filled.dropped {
            self.pool.remove_invalid(hash);
        }
        let summary = BlockSummary {
            number,
            hash: built.block.hash(),
            transactions: filled.mined.len() + deposits.count,
            gas_used: built.block.header.gas_used,
            dropped: filled.dropped.len(),
            deposits: deposits.count,
        };
        self.record(&summary, fees.base_fee, started.elapsed());
        Ok(summary)
    }

    /// Executes the block `inputs` describe, its payload within `payload_room` bytes: the
    /// deposits first, then the pool's transactions; then its state root and witness (leaving
    /// out what `open`'s earlier blocks created). Nothing is stored.
    fn execute(
        &self,
        inputs: &BlockInputs<'_>,
        open: &OpenBatch,
        payload_room: usize,
    ) -> SequencerResult<Executed> {
        let ctx = OrderingContext {
            number: inputs.parent.number + 1,
            timestamp: inputs.attributes.timestamp,
            gas_limit: self.config.gas_limit,
            base_fee: inputs.fees.base_fee,
        };
        let state = RecordingState::new(inputs.snapshot);
        let mut builder =
            BlockBuilder::new(&self.spec, &state, inputs.parent, inputs.attributes.clone())
                .with_stale_nodes(self.storage.stale_nodes());
        let mut bridge = BridgeRecord::default();
        let deposits =
            self.include_deposits(&mut builder, inputs.set, inputs.deposits, ctx, &mut bridge)?;
        let room = payload_room.saturating_sub(deposits.payload_bytes + BLOCK_PAYLOAD_OVERHEAD);
        let filled = self.fill_from_pool(
            &mut builder,
            inputs.set,
            inputs.snapshot,
            ctx,
            inputs.fees,
            room,
            &mut bridge,
        )?;
        let nodes = RecordingReader::new(inputs.snapshot);
        let built = builder.finish(&nodes)?;
        let witness = state.into_witness(&nodes, inputs.parent.state_root, &open.known)?;
        let payload = PayloadBlock::from_header(
            &built.block.header,
            built.block.data_fee,
            built.block.transactions.clone(),
        );
        Ok(Executed {
            built,
            witness,
            filled,
            deposits,
            bridge,
            payload,
        })
    }

    /// The end of a based node's turn: seals the blocks built since the last sealed batch,
    /// whatever the batch bounds say, and forgets the in-memory batch (the next turn starts
    /// from the database, which may by then hold other leaders' blocks).
    fn end_turn(&self) -> SequencerResult<()> {
        let mut batch = self
            .batch
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut open = match batch.take() {
            Some(open) => open,
            None => self.load_batch(&self.storage.snapshot()?)?,
        };
        if !open.is_empty() {
            self.seal(open.close("turn_end")?)?;
        }
        // The turn ends once its last batch is stored: the settler commits it next.
        match &self.seals {
            Some(queue) => queue.flush(),
            None => Ok(()),
        }
    }

    /// The open batch as storage has it, after handing over the batches closed before a
    /// restart and never sealed.
    fn load_batch(&self, snapshot: &Snapshot) -> SequencerResult<OpenBatch> {
        let (backlog, open) = OpenBatch::load(snapshot)?;
        for job in backlog {
            self.hand_over(job)?;
        }
        Ok(open)
    }

    /// Seals a batch just closed: records its blocks (a restart seals it over the same ones),
    /// then hands it over.
    fn seal(&self, job: SealJob) -> SequencerResult<()> {
        self.storage
            .close_batch(job.number, job.first_block, job.last_block)?;
        self.hand_over(job)
    }

    /// Hands a closed batch to the sealer, or seals it here without one.
    fn hand_over(&self, job: SealJob) -> SequencerResult<()> {
        match &self.seals {
            Some(queue) => queue.push(job),
            None => crate::sealer::seal(
                &self.spec,
                &self.config.batcher,
                &self.storage,
                &self.metrics,
                job,
            )
            .map(drop),
        }
    }

    /// The header fields the proposer chooses for the child of a block at `parent_timestamp`,
    /// whose timestamp must not pass `time_limit` (forced inclusion, [`InclusionWindow`]).
    fn attributes(
        &self,
        parent_timestamp: u64,
        fees: &BlockFees,
        time_limit: Option<u64>,
    ) -> BlockAttributes {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        // Sub-second block times give several blocks the same second: timestamps never go
        // backwards, but may repeat.
        let timestamp = next_timestamp(now, parent_timestamp, time_limit);
        let held = timestamp < now;
        if held != self.time_held.swap(held, Ordering::Relaxed) {
            if held {
                warn!(target: "keel::sequencer", l2_time = timestamp, behind_s = now - timestamp, "L2 time held back: an L1 message may be due that the node has not read or included yet (is the L1 node reachable?); blocks go on at this time");
            } else {
                info!(target: "keel::sequencer", "L2 time follows the wall clock again");
            }
        }
        self.metrics
            .l2_time_behind_seconds
            .set((now.saturating_sub(timestamp)) as i64);
        BlockAttributes {
            timestamp,
            coinbase: self.config.coinbase,
            gas_limit: self.config.gas_limit,
            base_fee: fees.base_fee,
            extra_data: self.config.extra_data.clone(),
            data_fee: fees.data_fee,
        }
    }

    /// Forced inclusion: L1 messages go before any other transaction, oldest (nearest to its
    /// deadline) first; deposits (of ETH or a token) are credited or refunded as the bridge
    /// rules say, other calls always run (the rules are not asked). Deposits use no gas and a
    /// call's gas comes before any pool transaction's, so pool traffic can never crowd them
    /// out; a call that does not fit what is left of the block waits, with every message after
    /// it, for the next block.
    fn include_deposits(
        &self,
        builder: &mut BlockBuilder<impl StateReader>,
        set: &ActiveSet,
        deposits: &[L1Deposit],
        ctx: OrderingContext,
        bridge: &mut BridgeRecord,
    ) -> SequencerResult<IncludedDeposits> {
        let block_ms = self.config.block_time.as_millis().max(1) as u64;
        let mut payload_bytes = 0;
        let mut count = 0;
        for deposit in deposits {
            // The plugin sees the deadline as an L2 block number, at this block time.
            let blocks_left = deposit
                .deadline
                .saturating_sub(ctx.timestamp)
                .saturating_mul(1000)
                / block_ms;
            let mut tx = deposit.to_tx(false);
            if tx.refundable() {
                let verdict = self.rules.deposit_verdict(
                    set,
                    deposit,
                    ctx.number.saturating_add(blocks_left),
                );
                bridge.add(&verdict);
                tx.refund = verdict.refusal().is_some();
            }
            let tx = tx.seal();
            let bytes = tx_payload_bytes(&KeelTx::Deposit(tx.clone()));
            if builder.push_deposit(tx)? == TxOutcome::DoesNotFit {
                break;
            }
            payload_bytes += bytes;
            count += 1;
        }
        Ok(IncludedDeposits {
            count,
            payload_bytes,
        })
    }

    /// Offers the pool's best transactions, in the ordering rule's order, until the block is
    /// full (of gas, or of the `payload_room` bytes the batch's blobs have left). A sender is
    /// skipped for the rest of the block once one of its transactions cannot go in (so its
    /// later nonces wait too).
    #[expect(clippy::too_many_arguments, reason = "one block's inputs, each named")]
    fn fill_from_pool(
        &self,
        builder: &mut BlockBuilder<impl StateReader>,
        set: &ActiveSet,
        snapshot: &Snapshot,
        ctx: OrderingContext,
        fees: &BlockFees,
        payload_room: usize,
        bridge: &mut BridgeRecord,
    ) -> SequencerResult<PoolFill> {
        let mut payload_bytes = 0usize;
        let max_txs = self.config.max_block_txs.unwrap_or(usize::MAX);
        let mut mined = Vec::new();
        let mut dropped = Vec::new();
        let mut skipped: HashSet<Address> = HashSet::new();
        let (candidates, ordering_plugin) =
            self.rules
                .order(set, ctx, self.pool.best(ctx.base_fee, snapshot));
        for pooled in candidates {
            if builder.gas_remaining() < MIN_TX_GAS || builder.len() >= max_txs {
                break;
            }
            if skipped.contains(&pooled.sender) {
                continue;
            }
            let bytes = pooled.encoded_len + TX_PAYLOAD_OVERHEAD;
            if payload_bytes + bytes > payload_room {
                skipped.insert(pooled.sender);
                continue;
            }
            // Below the fee rule's minimum tip: neither this nor the sender's later nonces.
            if fees.min_priority_fee > 0
                && pooled
                    .effective_tip(ctx.base_fee)
                    .is_none_or(|tip| tip < fees.min_priority_fee)
            {
                skipped.insert(pooled.sender);
                continue;
            }
            let outcome = builder.push_checked(pooled.tx.clone(), pooled.sender, |logs| {
                let verdict = self.rules.withdrawal_verdict(set, logs);
                bridge.add(&verdict);
                verdict
                    .refusal()
                    .map_or(Ok(()), |reason| Err(reason.to_owned()))
            })?;
            match outcome {
                TxOutcome::Included { .. } => {
                    payload_bytes += bytes;
                    mined.push(pooled.hash);
                }
                TxOutcome::DoesNotFit => {
                    skipped.insert(pooled.sender);
                }
                TxOutcome::Invalid(reason) => {
                    warn!(target: "keel::sequencer", hash = %pooled.hash, sender = %pooled.sender, %reason, "dropping invalid transaction");
                    dropped.push(pooled.hash);
                    skipped.insert(pooled.sender);
                }
                TxOutcome::Refused(reason) => {
                    warn!(target: "keel::plugins", hash = %pooled.hash, sender = %pooled.sender, %reason, "the bridge rules refuse a withdrawal; the transaction is dropped");
                    dropped.push(pooled.hash);
                    skipped.insert(pooled.sender);
                }
            }
        }
        Ok(PoolFill {
            mined,
            dropped,
            ordering_plugin,
        })
    }

    /// Metrics and the log line of a sealed block.
    fn record(&self, block: &BlockSummary, base_fee: u64, elapsed: Duration) {
        let mined = block.transactions - block.deposits;
        self.metrics.blocks.inc();
        self.metrics.transactions.inc_by(mined as u64);
        self.metrics.deposits.inc_by(block.deposits as u64);
        self.metrics.dropped.inc_by(block.dropped as u64);
        self.metrics.head.set(block.number as i64);
        self.metrics.mempool_size.set(self.pool.len() as i64);
        self.metrics
            .block_build_seconds
            .observe(elapsed.as_secs_f64());
        self.metrics
            .gas_per_second
            .set((block.gas_used as f64 / elapsed.as_secs_f64().max(1e-9)) as i64);
        info!(
            target: "keel::sequencer",
            number = block.number,
            hash = %block.hash,
            txs = mined,
            deposits = block.deposits,
            gas_used = block.gas_used,
            base_fee,
            elapsed_ms = elapsed.as_secs_f64() * 1e3,
            "sealed block"
        );
    }

    /// One slot: a block, unless a based node's turn says otherwise.
    fn slot(&self) -> SequencerResult<()> {
        let Some(turns) = &self.turns else {
            return self.build_block().map(drop);
        };
        match turns.state() {
            TurnState::Open => self.build_block().map(drop),
            TurnState::Sealing => {
                self.end_turn()?;
                turns.sealed();
                Ok(())
            }
            TurnState::Closed => Ok(()),
        }
    }

    /// Builds one block every `block_time` until `shutdown` is signalled; the block in
    /// progress is finished and committed first. Runs on the caller's thread (the node gives it
    /// one of its own: block building is CPU-bound). A storage or execution failure ends the
    /// loop with the error.
    pub fn run(self, shutdown: &Shutdown) -> SequencerResult<()> {
        let mut next = Instant::now() + self.config.block_time;
        loop {
            if shutdown.wait(next.saturating_duration_since(Instant::now())) {
                return Ok(());
            }
            if let Err(e) = self.slot() {
                error!(target: "keel::sequencer", error = %e, "block production failed; the proposer stops");
                return Err(e);
            }
            next += self.config.block_time;
            let now = Instant::now();
            if next < now {
                // Building took longer than a slot: start the next one now rather than
                // producing a burst of catch-up blocks.
                next = now;
            }
        }
    }
}
