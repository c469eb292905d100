//! `keel_getBatch(number)`, `keel_latestBatch()` and `keel_getWithdrawalProof(txHash)`:
//! sealed batches, their outputs, proofs and L1 status, and what a withdrawal claim needs.

use alloy_primitives::{Address, B256, U64, U256};
use keel_primitives::Batch;
use keel_primitives::{BatchSettlement, ProofParts, VerifierKind, Withdrawal, WithdrawalTree};
use keel_storage::{L1Progress, Snapshot};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::{
    RpcError,
    jsonrpc::{Params, RpcResult, json},
};

/// Where a batch (and so a withdrawal in it) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SettlementStatus {
    /// Its block is not in a sealed batch yet.
    Pending,
    /// Sealed, not yet committed on L1 (or the node does not settle on L1).
    Sealed,
    /// Committed on L1, not yet verified.
    Committed,
    /// Verified on L1: final, and its withdrawals can be claimed.
    Verified,
}

impl SettlementStatus {
    /// Where sealed batch `batch` stands, given what L1 holds (`None`: a node that does not
    /// settle, or has not read L1 yet).
    pub fn of(progress: Option<L1Progress>, batch: u64) -> Self {
        match progress {
            Some(progress) if batch <= progress.verified => Self::Verified,
            Some(progress) if batch <= progress.committed => Self::Committed,
            _ => Self::Sealed,
        }
    }
}

fn status(snapshot: &Snapshot, batch: u64) -> RpcResult<SettlementStatus> {
    Ok(SettlementStatus::of(snapshot.l1_progress()?, batch))
}

/// `keel_getWithdrawalProof(txHash[, indexInTx])`: everything `CommonBridge.claimWithdrawal`
/// takes, and whether it can be claimed yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalProof {
    /// The L2 transaction that withdrew.
    pub l2_tx_hash: B256,
    /// Which of its withdrawals (0 for a single `withdraw` call).
    pub index_in_tx: U64,
    /// Who withdrew on L2.
    pub l2_sender: Address,
    /// Who is paid on L1.
    pub l1_receiver: Address,
    /// Wei, or units of `token`.
    pub amount: U256,
    /// The L1 ERC-20 withdrawn (claimed with `CommonBridge.claimTokenWithdrawal`); zero for
    /// ETH (`claimWithdrawal`).
    #[serde(default)]
    pub token: Address,
    /// The L2 block of the transaction.
    pub block: U64,
    /// The batch holding it (`None` while [`SettlementStatus::Pending`]).
    pub batch: Option<U64>,
    /// The leaf's index in the batch's withdrawals tree.
    pub leaf_index: Option<U64>,
    /// Sibling hashes from the leaf to the root.
    pub proof: Vec<B256>,
    /// The batch's withdrawals root.
    pub withdrawals_root: Option<B256>,
    /// Where the batch stands.
    pub status: SettlementStatus,
    /// Whether `claimWithdrawal` would accept it now (its batch is verified on L1).
    pub claimable: bool,
}

/// See [`WithdrawalProof`]; `null` for an unknown transaction, an error for one that made no
/// withdrawal.
pub(crate) fn withdrawal_proof(
    snapshot: &Snapshot,
    params: &Params<'_>,
) -> RpcResult<Box<RawValue>> {
    let hash: B256 = params.required(0, "transaction hash")?;
    let index: U64 = params
        .optional(1, "index in transaction")?
        .unwrap_or(U64::ZERO);
    let Some(location) = snapshot.tx_location(&hash)? else {
        return json(());
    };
    let body = |number: u64| -> RpcResult<_> {
        let missing = || RpcError::internal(format!("block {number} is incomplete in storage"));
        let (txs, _) = snapshot.body(number)?.ok_or_else(missing)?;
        let receipts = snapshot.receipts(number)?.ok_or_else(missing)?;
        Ok((txs, receipts))
    };
    let (txs, receipts) = body(location.block)?;
    let at = location.index as usize;
    let made = match (txs.get(at), receipts.get(at)) {
        (Some(tx), Some(receipt)) => keel_primitives::bridge::tx_withdrawals(tx, receipt),
        _ => Vec::new(),
    };
    let Some(withdrawal) = made.get(index.to::<usize>()).copied() else {
        return Err(RpcError::invalid_params(format!(
            "transaction {hash} made {} withdrawal(s); there is none at index {index}",
            made.len()
        )));
    };
    let mut proof = WithdrawalProof {
        l2_tx_hash: hash,
        index_in_tx: index,
        l2_sender: withdrawal.l2_sender,
        l1_receiver: withdrawal.l1_receiver,
        amount: withdrawal.amount,
        token: withdrawal.token,
        block: U64::from(location.block),
        batch: None,
        leaf_index: None,
        proof: Vec::new(),
        withdrawals_root: None,
        status: SettlementStatus::Pending,
        claimable: false,
    };
    let Some(batch) = snapshot.batch_containing(location.block)? else {
        return json(proof);
    };
    let mut settlement = BatchSettlement::default();
    for number in batch.first_block..=batch.last_block {
        let (txs, receipts) = body(number)?;
        settlement.add_block(&txs, &receipts);
    }
    let leaf_index = settlement
        .withdrawals
        .iter()
        .position(|w| *w == withdrawal)
        .ok_or_else(|| {
            RpcError::internal(format!(
                "withdrawal of {hash} missing from batch {}",
                batch.number
            ))
        })?;
    let tree = WithdrawalTree::new(settlement.withdrawals.iter().map(Withdrawal::leaf));
    if tree.root() != batch.output.withdrawals_root {
        return Err(RpcError::internal(format!(
            "batch {} withdrawals root is {} in storage but {} rebuilt",
            batch.number,
            batch.output.withdrawals_root,
            tree.root()
        )));
    }
    proof.status = status(snapshot, batch.number)?;
    proof.claimable = proof.status == SettlementStatus::Verified;
    proof.batch = Some(U64::from(batch.number));
    proof.leaf_index = Some(U64::from(leaf_index));
    proof.proof = tree.proof(leaf_index).unwrap_or_default();
    proof.withdrawals_root = Some(tree.root());
    json(proof)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BatchView {
    number: U64,
    first_block: U64,
    last_block: U64,
    transactions: U64,
    gas_used: U64,
    witness_bytes: U64,
    input_bytes: U64,
    sealed_at_ms: U64,
    deposits: U64,
    /// What a proof must attest: `keccak256(abi.encode(output fields))`.
    commitment: B256,
    parent_block_hash: B256,
    pre_state_root: B256,
    post_state_root: B256,
    last_block_hash: B256,
    /// The last block's timestamp: the batch's L2 time, against which L1 measures deposit
    /// deadlines.
    last_block_timestamp: U64,
    withdrawals_root: B256,
    deposits_rolling_hash: B256,
    /// `null` until a prover's proof was accepted.
    proof: Option<ProofView>,
    /// The prover holding the batch now, if any.
    lease: Option<LeaseView>,
    /// Where it stands on L1.
    status: SettlementStatus,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProofView {
    backend: &'static str,
    program_version: String,
    prover: String,
    proving_ms: U64,
    received_at_ms: U64,
    proof_bytes: U64,
    /// The verifier kinds the proof has a part for (`dev`, `attesting`).
    parts: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LeaseView {
    prover: String,
    backend: &'static str,
    expires_at_ms: U64,
}

fn view(snapshot: &Snapshot, batch: Batch) -> RpcResult<BatchView> {
    let proof = snapshot.proof(batch.number)?;
    let lease = snapshot
        .leases()?
        .into_iter()
        .find(|lease| lease.batch == batch.number);
    let output = batch.output;
    Ok(BatchView {
        number: U64::from(batch.number),
        first_block: U64::from(batch.first_block),
        last_block: U64::from(batch.last_block),
        transactions: U64::from(batch.transactions),
        gas_used: U64::from(batch.gas_used),
        witness_bytes: U64::from(batch.witness_bytes),
        input_bytes: U64::from(batch.input_bytes),
        sealed_at_ms: U64::from(batch.sealed_at_ms),
        deposits: U64::from(batch.deposits),
        commitment: output.commitment(),
        parent_block_hash: output.parent_block_hash,
        pre_state_root: output.pre_state_root,
        post_state_root: output.post_state_root,
        last_block_hash: output.last_block_hash,
        last_block_timestamp: U64::from(output.last_block_timestamp),
        withdrawals_root: output.withdrawals_root,
        deposits_rolling_hash: output.deposits_rolling_hash,
        proof: proof.map(|proof| ProofView {
            backend: proof.backend.name(),
            program_version: proof.program_version,
            prover: proof.prover,
            proving_ms: U64::from(proof.proving_ms),
            received_at_ms: U64::from(proof.received_at_ms),
            proof_bytes: U64::from(proof.proof.len() as u64),
            parts: ProofParts::decode(&proof.proof)
                .map(|parts| parts.kinds().map(VerifierKind::name).collect())
                .unwrap_or_default(),
        }),
        status: status(snapshot, batch.number)?,
        lease: lease.map(|lease| LeaseView {
            prover: lease.prover,
            backend: lease.backend.name(),
            expires_at_ms: U64::from(lease.expires_at_ms),
        }),
    })
}

/// `keel_getBatch(number)`: a sealed batch with its output, proof and lease; `null` if it is
/// not sealed (yet).
pub(crate) fn get_batch(snapshot: &Snapshot, params: &Params<'_>) -> RpcResult<Box<RawValue>> {
    let number: U64 = params.required(0, "batch number")?;
    match snapshot.batch(number.to::<u64>())? {
        Some(batch) => json(view(snapshot, batch)?),
        None => json(()),
    }
}

/// `keel_getProverInput(number)`: the RLP `ProverInput` sealed with batch `number` (what a
/// prover is given), hex; `null` if it is not sealed. For re-running a batch by hand (`cargo
/// openvm run`, a debugger) exactly as provers see it.
pub(crate) fn get_prover_input(
    snapshot: &Snapshot,
    params: &Params<'_>,
) -> RpcResult<Box<RawValue>> {
    let number: U64 = params.required(0, "batch number")?;
    json(
        snapshot
            .prover_input(number.to::<u64>())?
            .map(alloy_primitives::Bytes::from),
    )
}

/// `keel_latestBatch()`: the last sealed batch; `null` before the first.
pub(crate) fn latest_batch(snapshot: &Snapshot) -> RpcResult<Box<RawValue>> {
    match snapshot.last_batch()? {
        Some(batch) => json(view(snapshot, batch)?),
        None => json(()),
    }
}
