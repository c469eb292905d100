//! The pool itself: per-sender nonce queues behind one lock.

use std::{
    cmp::Reverse,
    collections::{BTreeMap, BinaryHeap, HashMap, hash_map::Entry},
    sync::Arc,
    time::Instant,
};

use alloy_consensus::{Transaction, TxEnvelope, transaction::SignerRecoverable};
use alloy_eips::Decodable2718;
use alloy_primitives::{Address, B256, U256};
use keel_primitives::{DataFee, StateReader};
use parking_lot::Mutex;
use tracing::{debug, warn};

use keel_evm::intrinsic_gas;

use crate::{PoolConfig, PoolError, PooledTx};

/// What [`Mempool::content`] returns.
#[derive(Debug, Clone, Default)]
pub struct PoolContent {
    /// Executable now.
    pub pending: Vec<Arc<PooledTx>>,
    /// Waiting on a nonce gap.
    pub queued: Vec<Arc<PooledTx>>,
}

/// The transaction pool. Cheap to share: all methods take `&self`.
#[derive(Debug)]
pub struct Mempool {
    config: PoolConfig,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    senders: HashMap<Address, SenderQueue>,
    by_hash: HashMap<B256, (Address, u64)>,
    arrivals: u64,
    /// Transactions waiting on a nonce gap, all senders together (the sum of
    /// [`SenderQueue::queued`], kept by [`Inner::settle`]).
    queued: usize,
    /// The last [`RECENT_ARRIVALS`] arrivals (number, hash), mined or not: what pending
    /// transaction filters report.
    recent: std::collections::VecDeque<(u64, B256)>,
}

/// How many arrivals [`Mempool::arrived_after`] remembers: a filter polled less often than
/// this many arrivals misses the oldest.
pub const RECENT_ARRIVALS: usize = 4_096;

/// One sender's transactions by nonce, and the account nonce they build on.
#[derive(Debug, Default)]
struct SenderQueue {
    state_nonce: u64,
    txs: BTreeMap<u64, Arc<PooledTx>>,
    /// How many of `txs` wait on a nonce gap, as of the last [`Inner::settle`].
    queued: usize,
}

impl SenderQueue {
    /// The nonce after the executable run: the next one that executes without a gap.
    fn next_nonce(&self) -> u64 {
        self.state_nonce + self.executable().count() as u64
    }

    /// The transactions after the first gap: highest nonce first (the order they go in when
    /// the pool must shed some).
    fn gapped(&self) -> impl Iterator<Item = &Arc<PooledTx>> {
        self.txs.range(self.next_nonce()..).rev().map(|(_, tx)| tx)
    }

    /// Transactions from the state nonce up to the first gap: the ones a block could include.
    fn executable(&self) -> impl Iterator<Item = &Arc<PooledTx>> {
        let mut expected = self.state_nonce;
        self.txs
            .range(self.state_nonce..)
            .map_while(move |(nonce, tx)| {
                (*nonce == expected).then(|| {
                    expected += 1;
                    tx
                })
            })
    }
}

impl Mempool {
    /// An empty pool.
    pub fn new(config: PoolConfig) -> Self {
        Self {
            config,
            inner: Mutex::default(),
        }
    }

    /// The pool's configuration.
    pub const fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// Decodes and validates `raw` against `state`, then queues it. Returns the hash.
    pub fn add_raw(&self, raw: &[u8], state: &impl StateReader) -> Result<B256, PoolError> {
        if raw.len() > self.config.limits.max_tx_bytes {
            return Err(PoolError::Oversized {
                size: raw.len(),
                limit: self.config.limits.max_tx_bytes,
            });
        }
        let mut buf = raw;
        let tx = TxEnvelope::decode_2718(&mut buf).map_err(|e| PoolError::Decode(e.to_string()))?;
        if !buf.is_empty() {
            return Err(PoolError::Decode("trailing bytes after transaction".into()));
        }
        self.add(tx, raw.len(), state)
    }

    /// Validates a decoded transaction against `state`, then queues it. Returns the hash.
    pub fn add(
        &self,
        tx: TxEnvelope,
        encoded_len: usize,
        state: &impl StateReader,
    ) -> Result<B256, PoolError> {
        let sender = self.validate_stateless(&tx)?;
        let hash = *tx.tx_hash();
        let account = state
            .account(&sender)
            .map_err(|e| PoolError::State(e.to_string()))?;
        let (state_nonce, balance) = account.map_or((0, U256::ZERO), |a| (a.nonce, a.balance));
        let nonce = tx.nonce();
        if nonce < state_nonce {
            return Err(PoolError::NonceTooLow {
                address: sender,
                tx_nonce: nonce,
                state_nonce,
            });
        }
        if nonce >= state_nonce + self.config.limits.max_txs_per_sender as u64 {
            return Err(PoolError::NonceTooHigh {
                address: sender,
                tx_nonce: nonce,
                state_nonce,
            });
        }
        // The L1 data fee is taken before the transaction runs: the balance must cover it too,
        // at the head's price.
        let l1_fee = DataFee::in_state(state)
            .map_err(|e| PoolError::State(e.to_string()))?
            .fee(encoded_len);
        let cost = U256::from(tx.gas_limit())
            .saturating_mul(U256::from(tx.max_fee_per_gas()))
            .saturating_add(tx.value())
            .saturating_add(l1_fee);
        if balance < cost {
            return Err(PoolError::InsufficientFunds {
                address: sender,
                have: balance,
                want: cost,
            });
        }

        let mut inner = self.inner.lock();
        if inner.by_hash.contains_key(&hash) {
            return Err(PoolError::AlreadyKnown);
        }
        // `state` may predate a block the proposer has just sealed: nonces only move forward.
        let queue = inner.senders.get(&sender);
        let state_nonce = queue.map_or(state_nonce, |q| q.state_nonce.max(state_nonce));
        if nonce < state_nonce {
            return Err(PoolError::NonceTooLow {
                address: sender,
                tx_nonce: nonce,
                state_nonce,
            });
        }
        let replaced = match queue.and_then(|q| q.txs.get(&nonce)) {
            Some(old) if !pays_bump(old, &tx_fees(&tx), self.config.limits.price_bump_percent) => {
                return Err(PoolError::ReplacementUnderpriced);
            }
            Some(old) => Some(old.hash),
            None if queue.is_some_and(|q| q.txs.len() >= self.config.limits.max_txs_per_sender) => {
                return Err(PoolError::SenderLimit {
                    address: sender,
                    limit: self.config.limits.max_txs_per_sender,
                });
            }
            None => None,
        };
        // Affordable together with the sender's other pooled transactions (a replacement
        // stands in for the one it replaces): otherwise each of many transactions would pass
        // the balance check alone and all but a few fail in the block.
        let pooled_cost = queue.map_or(U256::ZERO, |q| {
            q.txs
                .iter()
                .filter(|(n, _)| **n != nonce)
                .fold(U256::ZERO, |sum, (_, tx)| sum.saturating_add(tx.max_cost))
        });
        if balance < pooled_cost.saturating_add(cost) {
            return Err(PoolError::Overdraft {
                address: sender,
                have: balance,
                want: pooled_cost.saturating_add(cost),
            });
        }
        // Waits on a nonce gap: bounded per sender and in total.
        let gapped = nonce > queue.map_or(state_nonce, SenderQueue::next_nonce);
        if gapped && replaced.is_none() {
            if queue.is_some_and(|q| q.queued >= self.config.limits.max_queued_per_sender) {
                return Err(PoolError::QueuedLimit {
                    address: sender,
                    limit: self.config.limits.max_queued_per_sender,
                });
            }
            if inner.queued >= self.config.limits.max_queued
                && !inner.evict_queued_for(sender, tx_fees(&tx).1)
            {
                return Err(PoolError::QueueFull {
                    limit: self.config.limits.max_queued,
                });
            }
        }
        inner.arrivals += 1;
        let pooled = Arc::new(PooledTx {
            tx,
            sender,
            hash,
            arrival: inner.arrivals,
            encoded_len,
            received: Instant::now(),
            max_cost: cost,
        });
        if replaced.is_none()
            && inner.by_hash.len() >= self.config.limits.max_txs
            && !inner.evict_for(&pooled, gapped)
        {
            return Err(PoolError::PoolFull);
        }
        if let Some(old) = replaced {
            inner.by_hash.remove(&old);
        }
        inner.by_hash.insert(hash, (sender, nonce));
        if inner.recent.len() == RECENT_ARRIVALS {
            inner.recent.pop_front();
        }
        let arrival = inner.arrivals;
        inner.recent.push_back((arrival, hash));
        let queue = inner.senders.entry(sender).or_default();
        queue.state_nonce = state_nonce;
        queue.txs.insert(nonce, pooled);
        inner.settle(sender);
        debug!(target: "keel::mempool", %hash, %sender, nonce, "transaction pooled");
        Ok(hash)
    }

    /// Checks that need no state: type, chain id, signature, gas, fee caps.
    fn validate_stateless(&self, tx: &TxEnvelope) -> Result<Address, PoolError> {
        if tx.is_eip4844() {
            return Err(PoolError::UnsupportedType);
        }
        match tx.chain_id() {
            None => return Err(PoolError::NotReplayProtected),
            Some(id) if id != self.config.chain_id => {
                return Err(PoolError::InvalidChainId {
                    have: id,
                    want: self.config.chain_id,
                });
            }
            Some(_) => {}
        }
        let gas = tx.gas_limit();
        if gas > self.config.block_gas_limit {
            return Err(PoolError::GasLimitExceeded);
        }
        let intrinsic = intrinsic_gas(tx);
        if gas < intrinsic.initial {
            return Err(PoolError::IntrinsicGasTooLow {
                gas,
                needed: intrinsic.initial,
            });
        }
        if gas < intrinsic.floor {
            return Err(PoolError::FloorDataGas {
                gas,
                needed: intrinsic.floor,
            });
        }
        if let Some(tip) = tx.max_priority_fee_per_gas()
            && tip > tx.max_fee_per_gas()
        {
            return Err(PoolError::TipAboveFeeCap);
        }
        let tip = tx
            .max_priority_fee_per_gas()
            .unwrap_or_else(|| tx.max_fee_per_gas());
        if tip < self.config.min_priority_fee {
            return Err(PoolError::Underpriced {
                tip,
                min: self.config.min_priority_fee,
            });
        }
        tx.recover_signer().map_err(|_| PoolError::InvalidSender)
    }

    /// Executable transactions for a block at `base_fee`: highest effective tip first, each
    /// sender's nonces in order, arrival order breaking ties. Senders whose next transaction
    /// cannot pay the base fee are left for a later block.
    ///
    /// `state` is the state the block builds on: every pooled sender's nonce is refreshed from
    /// it first, so the pool never waits on a nonce that an earlier block already used.
    pub fn best(&self, base_fee: u64, state: &impl StateReader) -> Vec<Arc<PooledTx>> {
        let senders: Vec<Address> = self.inner.lock().senders.keys().copied().collect();
        let mut nonces = Vec::with_capacity(senders.len());
        for sender in senders {
            match state.account(&sender) {
                Ok(account) => nonces.push((sender, account.map_or(0, |a| a.nonce))),
                Err(e) => {
                    warn!(target: "keel::mempool", %sender, error = %e, "cannot read sender nonce; keeping its queue as is")
                }
            }
        }
        let mut inner = self.inner.lock();
        for (sender, nonce) in nonces {
            inner.set_state_nonce(sender, nonce);
        }
        let mut lanes: Vec<Vec<Arc<PooledTx>>> = Vec::new();
        let mut heap = BinaryHeap::new();
        for queue in inner.senders.values() {
            let lane: Vec<_> = queue.executable().cloned().collect();
            if let Some(first) = lane.first() {
                if let Some(tip) = first.effective_tip(base_fee) {
                    heap.push((tip, Reverse(first.arrival), lanes.len(), 0usize));
                }
                lanes.push(lane);
            }
        }
        drop(inner);
        let mut out = Vec::with_capacity(lanes.iter().map(Vec::len).sum());
        while let Some((_, _, lane, index)) = heap.pop() {
            out.push(lanes[lane][index].clone());
            if let Some(next) = lanes[lane].get(index + 1)
                && let Some(tip) = next.effective_tip(base_fee)
            {
                heap.push((tip, Reverse(next.arrival), lane, index + 1));
            }
        }
        out
    }

    /// After a block: forget the transactions it mined, drop the ones it made stale, and record
    /// the new account nonces of `accounts` (every account the block changed).
    pub fn on_block(&self, mined: &[B256], accounts: impl IntoIterator<Item = (Address, u64)>) {
        let mut inner = self.inner.lock();
        for hash in mined {
            if let Some((sender, nonce)) = inner.by_hash.remove(hash)
                && let Some(queue) = inner.senders.get_mut(&sender)
            {
                queue.txs.remove(&nonce);
                inner.settle(sender);
            }
        }
        for (address, nonce) in accounts {
            inner.set_state_nonce(address, nonce);
        }
        inner.expire_queued(self.config.limits.queued_lifetime);
    }

    /// Number of pooled transactions waiting on a nonce gap.
    pub fn queued(&self) -> usize {
        self.inner.lock().queued
    }

    /// Removes one transaction (found invalid at execution) and everything after it from the
    /// same sender, which can no longer execute either.
    pub fn remove_invalid(&self, hash: &B256) {
        let mut inner = self.inner.lock();
        let Some((sender, nonce)) = inner.by_hash.get(hash).copied() else {
            return;
        };
        let removed: Vec<B256> = inner
            .senders
            .get_mut(&sender)
            .map(|queue| {
                queue
                    .txs
                    .split_off(&nonce)
                    .into_values()
                    .map(|tx| tx.hash)
                    .collect()
            })
            .unwrap_or_default();
        for hash in removed {
            inner.by_hash.remove(&hash);
        }
        inner.settle(sender);
    }

    /// The next nonce `address` would use counting its pooled executable transactions, or
    /// `None` if the pool holds none for it.
    pub fn pending_nonce(&self, address: &Address) -> Option<u64> {
        let inner = self.inner.lock();
        let queue = inner.senders.get(address)?;
        let last = queue.executable().last()?;
        Some(last.nonce() + 1)
    }

    /// A pooled transaction by hash.
    pub fn get(&self, hash: &B256) -> Option<Arc<PooledTx>> {
        let inner = self.inner.lock();
        let (sender, nonce) = inner.by_hash.get(hash)?;
        inner.senders.get(sender)?.txs.get(nonce).cloned()
    }

    /// The hashes of the transactions the pool took after arrival number `after` (whether
    /// still pooled or already mined; the last [`RECENT_ARRIVALS`] at most), in arrival order,
    /// and the last arrival number so far: what `eth_newPendingTransactionFilter` polls.
    pub fn arrived_after(&self, after: u64) -> (Vec<B256>, u64) {
        let inner = self.inner.lock();
        let hashes = inner
            .recent
            .iter()
            .filter(|(arrival, _)| *arrival > after)
            .map(|(_, hash)| *hash)
            .collect();
        (hashes, inner.arrivals)
    }

    /// The number of the last arrival so far (0: none): where a new pending-transaction
    /// filter starts.
    pub fn last_arrival(&self) -> u64 {
        self.inner.lock().arrivals
    }

    /// Every pooled transaction, as geth's `txpool_content` splits them: `pending` can execute
    /// now (each sender's run from its nonce without a gap), `queued` waits on a gap. Each
    /// sender's in nonce order.
    pub fn content(&self) -> PoolContent {
        let inner = self.inner.lock();
        let mut content = PoolContent::default();
        for queue in inner.senders.values() {
            let executable = queue.executable().count();
            for (i, tx) in queue
                .txs
                .range(queue.state_nonce..)
                .map(|(_, tx)| tx)
                .enumerate()
            {
                if i < executable {
                    content.pending.push(tx.clone());
                } else {
                    content.queued.push(tx.clone());
                }
            }
        }
        content
    }

    /// Empties the pool and returns what it held, each sender's transactions in nonce order
    /// (senders in no particular order): a based node hands them to the next leader when its
    /// turn ends.
    pub fn take_all(&self) -> Vec<Arc<PooledTx>> {
        let mut inner = self.inner.lock();
        let senders = std::mem::take(&mut inner.senders);
        inner.by_hash.clear();
        inner.queued = 0;
        senders
            .into_values()
            .flat_map(|queue| queue.txs.into_values())
            .collect()
    }

    /// Forgets the account nonces the pool has seen: the next [`Mempool::best`] reads each
    /// sender's from the state it is given. For a chain that was unwound (a based node whose
    /// turn starts on other blocks than the ones it saw last), where nonces go back.
    pub fn forget_state_nonces(&self) {
        let mut inner = self.inner.lock();
        let senders: Vec<Address> = inner.senders.keys().copied().collect();
        for sender in senders {
            if let Some(queue) = inner.senders.get_mut(&sender) {
                queue.state_nonce = 0;
            }
            inner.settle(sender);
        }
    }

    /// Number of pooled transactions.
    pub fn len(&self) -> usize {
        self.inner.lock().by_hash.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Inner {
    fn set_state_nonce(&mut self, address: Address, nonce: u64) {
        let Some(queue) = self.senders.get_mut(&address) else {
            return;
        };
        // Nonces never go back while the chain only grows: whichever view is newer wins (after
        // an unwind, `forget_state_nonces` starts them again).
        let nonce = nonce.max(queue.state_nonce);
        queue.state_nonce = nonce;
        let stale = {
            let keep = queue.txs.split_off(&nonce);
            std::mem::replace(&mut queue.txs, keep)
        };
        for tx in stale.into_values() {
            self.by_hash.remove(&tx.hash);
        }
        self.settle(address);
    }

    /// After any change to `address`'s queue: recounts its gapped transactions (and the
    /// pool's), and forgets the queue once it is empty.
    fn settle(&mut self, address: Address) {
        let Entry::Occupied(mut entry) = self.senders.entry(address) else {
            return;
        };
        let queue = entry.get_mut();
        let queued = queue.txs.len() - queue.executable().count();
        self.queued = self.queued - queue.queued + queued;
        queue.queued = queued;
        if queue.txs.is_empty() {
            entry.remove();
        }
    }

    /// Removes `sender`'s transaction with `nonce` (and what it leaves gapped stays, counted as
    /// queued).
    fn remove(&mut self, sender: Address, nonce: u64) {
        if let Some(queue) = self.senders.get_mut(&sender)
            && let Some(tx) = queue.txs.remove(&nonce)
        {
            self.by_hash.remove(&tx.hash);
            debug!(target: "keel::mempool", hash = %tx.hash, %sender, nonce, "evicted");
        }
        self.settle(sender);
    }

    /// Makes room for `incoming`: first by evicting a transaction that waits on a nonce gap
    /// (the highest nonce of the sender whose gapped tail pays least), which a `gapped`
    /// incoming transaction may do only if it pays more; failing that, for an executable one,
    /// the lowest-paying sender tail (the highest nonce of some sender, so no queue gets a
    /// gap), if it pays less than `incoming`.
    fn evict_for(&mut self, incoming: &PooledTx, gapped: bool) -> bool {
        if self.evict_queued_for(
            incoming.sender,
            if gapped {
                incoming.max_priority_fee()
            } else {
                u128::MAX
            },
        ) {
            return true;
        }
        if gapped {
            return false;
        }
        let victim = self
            .senders
            .values()
            .filter_map(|queue| queue.txs.last_key_value().map(|(_, tx)| tx))
            .filter(|tx| tx.sender != incoming.sender)
            .min_by_key(|tx| (tx.max_priority_fee(), Reverse(tx.arrival)))
            .filter(|tx| tx.max_priority_fee() < incoming.max_priority_fee())
            .map(|tx| (tx.sender, tx.nonce()));
        let Some((sender, nonce)) = victim else {
            return false;
        };
        self.remove(sender, nonce);
        true
    }

    /// Evicts the gapped transaction of another sender than `sender` that pays least, if it
    /// pays less than `tip`; returns whether one went.
    fn evict_queued_for(&mut self, sender: Address, tip: u128) -> bool {
        let victim = self
            .senders
            .iter()
            .filter(|(address, queue)| **address != sender && queue.queued > 0)
            .filter_map(|(_, queue)| queue.gapped().next())
            .min_by_key(|tx| (tx.max_priority_fee(), Reverse(tx.arrival)))
            .filter(|tx| tx.max_priority_fee() < tip)
            .map(|tx| (tx.sender, tx.nonce()));
        let Some((victim, nonce)) = victim else {
            return false;
        };
        self.remove(victim, nonce);
        true
    }

    /// Drops gapped transactions older than `lifetime`.
    fn expire_queued(&mut self, lifetime: std::time::Duration) {
        if self.queued == 0 {
            return;
        }
        let expired: Vec<(Address, u64)> = self
            .senders
            .values()
            .filter(|queue| queue.queued > 0)
            .flat_map(|queue| queue.gapped())
            .filter(|tx| tx.received.elapsed() >= lifetime)
            .map(|tx| (tx.sender, tx.nonce()))
            .collect();
        for (sender, nonce) in expired {
            self.remove(sender, nonce);
        }
    }
}

/// A transaction's two fee caps: (max fee per gas, max priority fee per gas).
fn tx_fees(tx: &TxEnvelope) -> (u128, u128) {
    (
        tx.max_fee_per_gas(),
        tx.max_priority_fee_per_gas()
            .unwrap_or_else(|| tx.max_fee_per_gas()),
    )
}

/// Whether fees `new` raise both fee caps of `old` by at least `bump` percent.
fn pays_bump(old: &PooledTx, (max_fee, max_priority_fee): &(u128, u128), bump: u64) -> bool {
    let bumped = |x: u128| x.saturating_mul(100 + u128::from(bump)).div_ceil(100);
    *max_fee >= bumped(old.max_fee()) && *max_priority_fee >= bumped(old.max_priority_fee())
}
