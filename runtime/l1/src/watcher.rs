//! The deposit watcher: `CommonBridge.MessageQueued` logs, once confirmed, into storage, and
//! the [`L1Clock`] advanced to the last block scanned; and, for the L1 data fee, the L1 blob
//! base fee at every poll.

use std::{sync::Arc, time::Duration};

use alloy::{
    primitives::Address,
    providers::Provider,
    rpc::types::{Filter, Log},
    sol_types::SolEvent,
};
use keel_primitives::{L1BlobBaseFee, L1Clock, L1Deposit};
use keel_storage::{L1Checkpoint, Storage};
use tracing::{Instrument, debug, info, info_span, warn};

use crate::{
    CommonBridge, L1Client, L1Error, L1Result,
    poll::{Polled, blocking, poll_until_shutdown},
};

/// How many scan checkpoints a reorganisation is searched back through (scans end at most one
/// poll apart, so this is deeper than any reorganisation of a chain with finality).
const REORG_SEARCH: usize = 256;

/// How the watcher reads L1.
#[derive(Debug, Clone, Copy)]
pub struct WatcherConfig {
    /// Blocks a deposit needs (its own included) before it is recorded.
    pub confirmations: u64,
    /// Time between polls when caught up.
    pub poll_interval: Duration,
    /// Most blocks per `eth_getLogs`.
    pub max_scan_blocks: u64,
}

/// Records every deposit the bridge queues, in id order, exactly once.
///
/// The deposits of a scanned range and the range's end are written in one redb transaction,
/// so after a crash or restart the watcher resumes at the first block it has not recorded: a
/// deposit made while the node was down is found at start, and none is recorded twice. A
/// failed query is retried, never skipped.
#[derive(Debug)]
pub struct DepositWatcher {
    client: L1Client,
    bridge: Address,
    start_block: u64,
    storage: Arc<Storage>,
    config: WatcherConfig,
    blob_base_fee: Option<L1BlobBaseFee>,
    clock: Option<L1Clock>,
}

impl DepositWatcher {
    /// A watcher of `bridge`, deployed at L1 block `start_block`.
    pub fn new(
        client: L1Client,
        bridge: Address,
        start_block: u64,
        storage: Arc<Storage>,
        config: WatcherConfig,
    ) -> Self {
        Self {
            client,
            bridge,
            start_block,
            storage,
            config,
            blob_base_fee: None,
            clock: None,
        }
    }

    /// Also advances `clock` to the timestamp of the last L1 block whose messages are all
    /// recorded, after each scan (the proposer keeps L2 time within the inclusion period of
    /// it).
    pub fn with_clock(mut self, clock: L1Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Also reads the L1 blob base fee (`eth_blobBaseFee`) at every poll into `feed`, which
    /// prices the L1 data fee of the blocks the proposer builds.
    pub fn with_blob_base_fee(mut self, feed: L1BlobBaseFee) -> Self {
        self.blob_base_fee = Some(feed);
        self
    }

    /// Polls until `shutdown` completes; returns early only with a fatal error.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) -> L1Result<()> {
        let span = info_span!("l1_watcher", bridge = %self.bridge);
        poll_until_shutdown(
            self.config.poll_interval,
            shutdown,
            || async {
                Ok(if self.poll_once().await? { Polled::Idle } else { Polled::Busy })
            },
            |error, wait| warn!(target: "keel::l1", %error, retry_in = ?wait, "deposit scan failed; no deposit is skipped, the same range is scanned again"),
        )
        .instrument(span)
        .await
    }

    /// Scans the next confirmed range; returns whether the watcher has caught up with L1.
    pub async fn poll_once(&self) -> L1Result<bool> {
        if let Some(feed) = &self.blob_base_fee {
            // A failed read keeps the last value: deposits must not wait for a fee reading.
            match self
                .client
                .rpc(
                    "eth_blobBaseFee",
                    self.client.provider().get_blob_base_fee(),
                )
                .await
            {
                Ok(wei) => feed.set(wei),
                Err(error) => {
                    warn!(target: "keel::l1", %error, kept = feed.get(), "cannot read the L1 blob base fee; the data price keeps the last one")
                }
            }
        }
        let head = self
            .client
            .rpc("eth_blockNumber", self.client.provider().get_block_number())
            .await?;
        let Some(confirmed) = (head + 1).checked_sub(self.config.confirmations) else {
            return Ok(true);
        };
        let (scanned, mut expected, checkpoints) = blocking(&self.storage, |storage| {
            let snapshot = storage.snapshot()?;
            Ok((
                snapshot.l1_scanned_to()?,
                snapshot.l1_deposits_recorded()?,
                snapshot.l1_checkpoints(REORG_SEARCH)?,
            ))
        })
        .await?;
        let Some(scanned_block) = self.check_scanned(scanned, &checkpoints).await? else {
            return Ok(false); // rewound: the next poll rescans
        };
        let from = if scanned == 0 {
            self.start_block
        } else {
            scanned + 1
        };
        if from > confirmed {
            // Caught up: every message up to the confirmed block is recorded.
            let block = match scanned_block {
                Some(block) if block.header.number == confirmed => Some(block),
                _ => self.block(confirmed).await?,
            };
            if let Some(block) = block {
                self.advance_clock(block.header.timestamp);
            }
            return Ok(true);
        }
        let to = confirmed.min(from + self.config.max_scan_blocks - 1);
        // The range's last block before its logs: if L1 reorganises in between, the hash
        // recorded is the older one, and the next poll finds the fork and rescans.
        let Some(last) = self.block(to).await? else {
            return Ok(false); // L1 is reorganising under us: try again
        };
        let checkpoint = L1Checkpoint {
            number: to,
            hash: last.header.hash,
        };
        let filter = Filter::new()
            .address(self.bridge)
            .event_signature(CommonBridge::MessageQueued::SIGNATURE_HASH)
            .from_block(from)
            .to_block(to);
        let mut logs = self
            .client
            .rpc("eth_getLogs", self.client.provider().get_logs(&filter))
            .await?;
        logs.sort_by_key(|log| (log.block_number, log.log_index));
        let mut deposits = Vec::with_capacity(logs.len());
        for log in &logs {
            let deposit = decode_deposit(log)?;
            if deposit.deposit_id > expected {
                return Err(L1Error::DepositGap {
                    expected,
                    got: deposit.deposit_id,
                });
            }
            expected = expected.max(deposit.deposit_id + 1);
            deposits.push(deposit);
        }
        let deposits = blocking(&self.storage, move |storage| {
            storage.record_deposits(&deposits, checkpoint)?;
            Ok(deposits)
        })
        .await?;
        for deposit in &deposits {
            info!(target: "keel::l1", id = deposit.deposit_id, from = %deposit.from, to = %deposit.recipient, mint = %deposit.mint, value = %deposit.value, gas_limit = deposit.gas_limit, l1_block = deposit.l1_block, deadline = deposit.deadline, "L1 message seen");
        }
        debug!(target: "keel::l1", from, to, deposits = deposits.len(), "scanned");
        self.advance_clock(last.header.timestamp);
        Ok(to == confirmed)
    }

    /// L1 block `number`, if L1 has it (a node reorganising may briefly not).
    async fn block(&self, number: u64) -> L1Result<Option<alloy::rpc::types::Block>> {
        self.client
            .rpc(
                "eth_getBlockByNumber",
                self.client.provider().get_block_by_number(number.into()),
            )
            .await
    }

    /// Advances the clock to `timestamp`, that of an L1 block whose messages are all recorded.
    fn advance_clock(&self, timestamp: u64) {
        if let Some(clock) = &self.clock {
            clock.advance(timestamp);
        }
    }

    /// Checks L1 still has the last scanned block (its hash is the one recorded) and returns
    /// `Some` of it as read (`Some(None)` when there is no checkpoint to compare with). If L1
    /// reorganised it away, rewinds the scan to the newest checkpoint still on L1's chain (the
    /// deploy block if none is) and returns `None`: the next poll rescans from there. A message
    /// seen again is recorded again; one that L2 already includes must come back unchanged.
    async fn check_scanned(
        &self,
        scanned: u64,
        checkpoints: &[L1Checkpoint],
    ) -> L1Result<Option<Option<alloy::rpc::types::Block>>> {
        let Some(newest) = checkpoints.first().filter(|c| c.number == scanned) else {
            return Ok(Some(None)); // nothing recorded to compare with
        };
        let block = self.block(newest.number).await?;
        if block.as_ref().map(|b| b.header.hash) == Some(newest.hash) {
            return Ok(Some(block));
        }
        let mut fork = self.start_block.saturating_sub(1);
        for checkpoint in &checkpoints[1..] {
            if self.block(checkpoint.number).await?.map(|b| b.header.hash) == Some(checkpoint.hash)
            {
                fork = checkpoint.number;
                break;
            }
        }
        let included = blocking(&self.storage, move |storage| storage.rewind_l1_scan(fork)).await?;
        warn!(target: "keel::l1", scanned, fork, recorded_hash = %newest.hash, "L1 reorganised blocks the watcher had scanned; rescanning from the fork (messages not yet on L2 are recorded again as L1 now has them)");
        if !included.is_empty() {
            warn!(target: "keel::l1", ids = ?included, "messages L2 already includes were in reorganised L1 blocks; the rescan must find them again unchanged");
        }
        Ok(None)
    }
}

fn decode_deposit(log: &Log) -> L1Result<L1Deposit> {
    let bad = |reason: String| L1Error::BadLog {
        event: "MessageQueued",
        tx: log.transaction_hash,
        reason,
    };
    let event = log
        .log_decode::<CommonBridge::MessageQueued>()
        .map_err(|error| bad(error.to_string()))?;
    let data = event.inner.data;
    let as_u64 = |value: alloy::primitives::U256, what: &str| {
        u64::try_from(value).map_err(|_| bad(format!("{what} {value} does not fit 64 bits")))
    };
    Ok(L1Deposit {
        deposit_id: as_u64(data.id, "message id")?,
        l1_sender: data.l1Sender,
        from: data.from,
        recipient: data.to,
        mint: data.mint,
        value: data.value,
        gas_limit: data.gasLimit,
        data: data.data,
        deadline: as_u64(data.deadline, "deadline")?,
        l1_block: log
            .block_number
            .ok_or_else(|| bad("the log has no block number".into()))?,
        l1_tx_hash: log
            .transaction_hash
            .ok_or_else(|| bad("the log has no transaction hash".into()))?,
    })
}
