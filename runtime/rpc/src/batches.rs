//! `keel_getBatch(number)` and `keel_latestBatches`: sealed batches, their outputs and proofs.

use alloy_primitives::{B256, U64};
use keel_storage::{Batch, Snapshot};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::jsonrpc::{Params, RpcResult, json};

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
    /// What a proof must attest: `keccak256(abi.encode(output fields))`.
    commitment: B256,
    parent_block_hash: B256,
    pre_state_root: B256,
    post_state_root: B256,
    last_block_hash: B256,
    withdrawals_root: B256,
    deposits_rolling_hash: B256,
    /// `null` until a prover's proof was accepted.
    proof: Option<ProofView>,
    /// The prover holding the batch now, if any.
    lease: Option<LeaseView>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProofView {
    backend: String,
    program_version: String,
    prover: String,
    proving_ms: U64,
    received_at_ms: U64,
    proof_bytes: U64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LeaseView {
    prover: String,
    backend: String,
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
        commitment: output.commitment(),
        parent_block_hash: output.parent_block_hash,
        pre_state_root: output.pre_state_root,
        post_state_root: output.post_state_root,
        last_block_hash: output.last_block_hash,
        withdrawals_root: output.withdrawals_root,
        deposits_rolling_hash: output.deposits_rolling_hash,
        proof: proof.map(|proof| ProofView {
            backend: proof.backend,
            program_version: proof.program_version,
            prover: proof.prover,
            proving_ms: U64::from(proof.proving_ms),
            received_at_ms: U64::from(proof.received_at_ms),
            proof_bytes: U64::from(proof.proof.len() as u64),
        }),
        lease: lease.map(|lease| LeaseView {
            prover: lease.prover,
            backend: lease.backend,
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

/// `keel_latestBatch()`: the last sealed batch; `null` before the first.
pub(crate) fn latest_batch(snapshot: &Snapshot) -> RpcResult<Box<RawValue>> {
    match snapshot.last_batch()? {
        Some(batch) => json(view(snapshot, batch)?),
        None => json(()),
    }
}
