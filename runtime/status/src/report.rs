//! [`StatusReport`]: everything the page shows, read from one storage snapshot and the pool.

use alloy_consensus::Transaction as _;
use alloy_primitives::{Address, B256, U256};
use keel_mempool::Mempool;
use keel_primitives::{Batch, KeelTx, PluginActivation, PluginSlot, bridge::tx_withdrawals};
use keel_rpc::SettlementStatus;
use keel_storage::{L1Progress, Snapshot, StorageResult};
use serde::Serialize;

use crate::rates::{Rate, Rates};

/// Blocks listed, newest first.
const RECENT_BLOCKS: u64 = 12;
/// Transactions listed per block (the count says how many there are).
const TXS_PER_BLOCK: usize = 8;
/// Batches listed, newest first.
const RECENT_BATCHES: usize = 12;
/// Blocks searched for withdrawals, back from the head.
const WITHDRAWAL_SCAN_BLOCKS: u64 = 512;
/// Most transactions that search reads: a page over huge blocks lists the withdrawals of the
/// newest of them rather than taking seconds.
const WITHDRAWAL_SCAN_TXS: usize = 20_000;
/// Withdrawals listed, newest first.
const RECENT_WITHDRAWALS: usize = 12;
/// Pending deposits listed, oldest first.
const PENDING_DEPOSITS: usize = 12;
/// Plugin activations listed per slot, newest first.
const PLUGIN_HISTORY: usize = 8;

/// What the status page shows (`GET /api/status`), all from one moment.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// The chain.
    pub chain_id: u64,
    /// When the report was made, Unix milliseconds.
    pub now_ms: u64,
    /// The newest block.
    pub head: HeadView,
    /// Blocks and transactions per second over the last minutes, oldest first.
    pub rates: Vec<Rate>,
    /// Transactions waiting in the pool.
    pub pool: usize,
    /// The newest blocks, newest first.
    pub blocks: Vec<BlockView>,
    /// The newest batches, newest first.
    pub batches: Vec<BatchView>,
    /// Provers holding a batch now.
    pub leases: Vec<LeaseView>,
    /// L1 deposits.
    pub deposits: DepositsView,
    /// The newest withdrawals, newest first.
    pub withdrawals: Vec<WithdrawalView>,
    /// Each plugin slot.
    pub plugins: Vec<SlotView>,
    /// Where L1 stands.
    pub settlement: SettlementView,
}

/// The newest block.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeadView {
    /// Its number.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
    /// Its timestamp, Unix seconds.
    pub timestamp: u64,
    /// Seconds since its timestamp.
    pub age_seconds: u64,
}

/// One block.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockView {
    /// Its number.
    pub number: u64,
    /// Its hash.
    pub hash: B256,
    /// Its timestamp, Unix seconds.
    pub timestamp: u64,
    /// Gas its transactions used.
    pub gas_used: u64,
    /// How many transactions it holds.
    pub transaction_count: usize,
    /// Its first transactions.
    pub transactions: Vec<TxView>,
}

/// One transaction of a block.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TxView {
    /// Its hash.
    pub hash: B256,
    /// `deposit`, `create` or `call`.
    pub kind: &'static str,
    /// Its sender (a deposit's L2 sender).
    pub from: Address,
    /// Its recipient (`None`: a contract creation).
    pub to: Option<Address>,
    /// Wei moved.
    pub value: U256,
}

/// One batch.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchView {
    /// Its number.
    pub number: u64,
    /// Its first block.
    pub first_block: u64,
    /// Its last block.
    pub last_block: u64,
    /// Transactions in its blocks.
    pub transactions: u64,
    /// When it was sealed, Unix milliseconds.
    pub sealed_at_ms: u64,
    /// Where it stands on L1 (sealed, committed or verified).
    pub state: SettlementStatus,
    /// The L1 transaction that committed it, when this node knows it.
    pub commit_tx: Option<B256>,
    /// The L1 block of that commit.
    pub commit_l1_block: Option<u64>,
    /// The prover whose proof the coordinator took, and how long proving took.
    pub proved_by: Option<ProvedBy>,
}

/// Who proved a batch.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvedBy {
    /// The prover's name.
    pub prover: String,
    /// Its backend (`exec`, `openvm`).
    pub backend: String,
    /// Proving time the prover reported, milliseconds.
    pub proving_ms: u64,
}

/// A batch leased to a prover.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseView {
    /// The batch.
    pub batch: u64,
    /// The prover's name.
    pub prover: String,
    /// Its backend.
    pub backend: String,
    /// Seconds until the lease lapses (negative: lapsed, not yet replaced).
    pub expires_in_seconds: i64,
}

/// L1 deposits.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositsView {
    /// Deposits recorded from L1.
    pub recorded: u64,
    /// Deposits credited on L2.
    pub credited: u64,
    /// The oldest not yet credited.
    pub pending: Vec<DepositView>,
}

/// One deposit waiting for its block.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositView {
    /// Its index in the bridge's queue.
    pub id: u64,
    /// Who is credited on L2.
    pub recipient: Address,
    /// Wei minted.
    pub mint: U256,
    /// The L1 transaction.
    pub l1_tx: B256,
}

/// One withdrawal.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalView {
    /// The L2 transaction.
    pub tx: B256,
    /// Its block.
    pub block: u64,
    /// Who is paid on L1.
    pub l1_receiver: Address,
    /// Wei, or units of `token`.
    pub amount: U256,
    /// The L1 token (zero: ETH).
    pub token: Address,
    /// The batch holding it (`None`: not sealed yet).
    pub batch: Option<u64>,
    /// Whether `claimWithdrawal` accepts it now (its batch is verified).
    pub claimable: bool,
}

/// One plugin slot.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotView {
    /// `ordering`, `fee` or `bridge`.
    pub slot: &'static str,
    /// Its activations, newest first (the first is active, or pending when its block is ahead).
    pub history: Vec<ActivationView>,
}

/// A slot taking a plugin, or the native rule, from a block on.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivationView {
    /// The first block it shapes.
    pub block: u64,
    /// `name@version`, or `native`.
    pub plugin: String,
    /// The component's code hash (`None`: native).
    pub code_hash: Option<B256>,
    /// `config` or `admin`.
    pub source: &'static str,
}

/// Where L1 stands.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettlementView {
    /// Whether the node knows of L1 at all (a node without `[l1]` seals batches only).
    pub on_l1: bool,
    /// The last batch L1 committed.
    pub committed_batch: u64,
    /// The last batch L1 verified.
    pub verified_batch: u64,
    /// The last block of the committed batch.
    pub committed_block: u64,
    /// The last block of the verified batch.
    pub verified_block: u64,
    /// Blocks after the verified batch.
    pub lag_blocks: u64,
    /// Age of the oldest sealed batch L1 has not verified, seconds (0: none waits); the same
    /// figure as the `keel_settlement_lag_seconds` gauge.
    pub lag_seconds: u64,
    /// The L1 block the deposit watcher has read up to.
    pub l1_scanned_to: u64,
    /// Batches L1 reverted so far.
    pub l1_reverts: u64,
}

impl StatusReport {
    /// Reads the report from `snapshot` and `pool` at `now_ms`.
    pub(crate) fn read(
        snapshot: &Snapshot,
        pool: &Mempool,
        rates: &Rates,
        chain_id: u64,
        now_ms: u64,
    ) -> StorageResult<Self> {
        let head = snapshot.head()?;
        let progress = snapshot.l1_progress()?;
        let settlement = settlement(snapshot, progress, now_ms)?;
        Ok(Self {
            chain_id,
            now_ms,
            head: HeadView {
                number: head.number,
                hash: head.hash(),
                timestamp: head.timestamp,
                age_seconds: (now_ms / 1_000).saturating_sub(head.timestamp),
            },
            rates: rates.series(),
            pool: pool.len(),
            blocks: blocks(snapshot, head.number)?,
            batches: batches(snapshot, progress)?,
            leases: snapshot
                .leases()?
                .into_iter()
                .map(|lease| LeaseView {
                    batch: lease.batch,
                    prover: lease.prover,
                    backend: lease.backend.to_string(),
                    expires_in_seconds: (lease.expires_at_ms as i64 - now_ms as i64) / 1_000,
                })
                .collect(),
            deposits: DepositsView {
                recorded: snapshot.l1_deposits_recorded()?,
                credited: snapshot.next_l2_deposit()?,
                pending: snapshot
                    .pending_deposits(PENDING_DEPOSITS)?
                    .into_iter()
                    .map(|d| DepositView {
                        id: d.deposit_id,
                        recipient: d.recipient,
                        mint: d.mint,
                        l1_tx: d.l1_tx_hash,
                    })
                    .collect(),
            },
            withdrawals: withdrawals(snapshot, head.number, progress)?,
            plugins: PluginSlot::ALL
                .into_iter()
                .map(|slot| {
                    let mut history = snapshot.plugin_history(slot)?;
                    history.reverse();
                    history.truncate(PLUGIN_HISTORY);
                    Ok(SlotView {
                        slot: slot.as_str(),
                        history: history.iter().map(activation).collect(),
                    })
                })
                .collect::<StorageResult<_>>()?,
            settlement,
        })
    }
}

fn blocks(snapshot: &Snapshot, head: u64) -> StorageResult<Vec<BlockView>> {
    let mut out = Vec::new();
    for number in (head.saturating_sub(RECENT_BLOCKS - 1)..=head).rev() {
        let (Some(header), Some((txs, senders))) =
            (snapshot.sealed_header(number)?, snapshot.body(number)?)
        else {
            continue;
        };
        out.push(BlockView {
            number,
            hash: header.hash(),
            timestamp: header.timestamp,
            gas_used: header.gas_used,
            transaction_count: txs.len(),
            transactions: txs
                .iter()
                .zip(senders)
                .take(TXS_PER_BLOCK)
                .map(|(tx, sender)| tx_view(tx, sender))
                .collect(),
        });
    }
    Ok(out)
}

fn tx_view(tx: &KeelTx, sender: Address) -> TxView {
    match tx {
        KeelTx::Deposit(deposit) => TxView {
            hash: tx.hash(),
            kind: "deposit",
            from: deposit.from,
            to: Some(deposit.recipient),
            value: deposit.value,
        },
        KeelTx::Ethereum(envelope) => TxView {
            hash: tx.hash(),
            kind: if envelope.to().is_some() {
                "call"
            } else {
                "create"
            },
            from: sender,
            to: envelope.to(),
            value: envelope.value(),
        },
    }
}

fn batches(snapshot: &Snapshot, progress: Option<L1Progress>) -> StorageResult<Vec<BatchView>> {
    let Some(last) = snapshot.last_batch()? else {
        return Ok(Vec::new());
    };
    let first = last.number.saturating_sub(RECENT_BATCHES as u64 - 1).max(1);
    let mut batches: Vec<Batch> = snapshot.batches_from(first, RECENT_BATCHES)?;
    batches.reverse();
    batches
        .into_iter()
        .map(|batch| {
            let commit = snapshot.batch_commit(batch.number)?;
            let proof = snapshot.proof(batch.number)?;
            Ok(BatchView {
                number: batch.number,
                first_block: batch.first_block,
                last_block: batch.last_block,
                transactions: batch.transactions,
                sealed_at_ms: batch.sealed_at_ms,
                state: SettlementStatus::of(progress, batch.number),
                commit_tx: commit.as_ref().map(|c| c.l1_tx),
                commit_l1_block: commit.as_ref().map(|c| c.l1_block),
                proved_by: proof.map(|p| ProvedBy {
                    prover: p.prover,
                    backend: p.backend.to_string(),
                    proving_ms: p.proving_ms,
                }),
            })
        })
        .collect()
}

fn withdrawals(
    snapshot: &Snapshot,
    head: u64,
    progress: Option<L1Progress>,
) -> StorageResult<Vec<WithdrawalView>> {
    let mut out = Vec::new();
    let mut scanned = 0;
    for number in (head.saturating_sub(WITHDRAWAL_SCAN_BLOCKS - 1)..=head).rev() {
        if scanned >= WITHDRAWAL_SCAN_TXS {
            break;
        }
        let (Some((txs, _)), Some(receipts)) = (snapshot.body(number)?, snapshot.receipts(number)?)
        else {
            continue;
        };
        scanned += txs.len();
        let found: Vec<_> = txs
            .iter()
            .zip(&receipts)
            .flat_map(|(tx, receipt)| tx_withdrawals(tx, receipt))
            .collect();
        if found.is_empty() {
            continue;
        }
        let batch = snapshot.batch_containing(number)?.map(|b| b.number);
        let claimable =
            batch.is_some_and(|b| SettlementStatus::of(progress, b) == SettlementStatus::Verified);
        for w in found.into_iter().rev() {
            out.push(WithdrawalView {
                tx: w.l2_tx_hash,
                block: number,
                l1_receiver: w.l1_receiver,
                amount: w.amount,
                token: w.token,
                batch,
                claimable,
            });
            if out.len() == RECENT_WITHDRAWALS {
                return Ok(out);
            }
        }
    }
    Ok(out)
}

fn activation(activation: &PluginActivation) -> ActivationView {
    ActivationView {
        block: activation.block,
        plugin: activation.plugin.as_ref().map_or_else(
            || "native".to_owned(),
            |p| format!("{}@{}", p.id.name, p.id.version),
        ),
        code_hash: activation.plugin.as_ref().map(|p| p.id.code_hash),
        source: activation.source.as_str(),
    }
}

fn settlement(
    snapshot: &Snapshot,
    progress: Option<L1Progress>,
    now_ms: u64,
) -> StorageResult<SettlementView> {
    let L1Progress {
        committed,
        verified,
    } = progress.unwrap_or_default();
    let lag = snapshot.settlement_lag(verified, now_ms)?;
    Ok(SettlementView {
        on_l1: progress.is_some(),
        committed_batch: committed,
        verified_batch: verified,
        committed_block: snapshot.batch_last_block(committed)?,
        verified_block: snapshot.batch_last_block(verified)?,
        lag_blocks: lag.blocks,
        lag_seconds: lag.seconds,
        l1_scanned_to: snapshot.l1_scanned_to()?,
        l1_reverts: snapshot.l1_reverts()?,
    })
}
