//! The settler: commits sealed batches to `OnChainProposer` and sends their proofs, in order.
//!
//! One task does both, with one key, so its transactions never compete for a nonce. Each step
//! first reads `lastCommittedBatch` and `lastVerifiedBatch` from L1, then sends at most one
//! transaction for the batch after them. L1 is the record of what was done: a restart of the
//! node, or of the L1 node with a transaction lost from its pool, leads to the same decision
//! again, never to a second commit of a batch nor to a gap.

use std::{sync::Arc, time::Duration};

use alloy::{
    eips::{BlockNumberOrTag, eip4844::BlobTransactionSidecar},
    primitives::{Address, B256, Bytes, U256},
    providers::Provider,
    sol_types::SolCall,
};
use keel_primitives::{Batch, ProofParts, StoredProof};
use keel_storage::{L1Progress, Storage};
use tracing::{Instrument, debug, info, info_span, warn};

use crate::{
    Deployment, L1Error, L1Result, OnChainProposer, PartRejected, RequiredVerifier, TxSender,
    VerifierDeployment, check_proof,
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
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Committed this batch.
    Committed(u64),
    /// Verified this batch.
    Verified(u64),
    /// Forgot the stored proof of this batch: L1's verifiers refuse it.
    Evicted(u64),
    /// Nothing to send yet.
    Idle,
}

/// Commits batches and sends proofs; see the module docs.
#[derive(Debug)]
pub struct Settler {
    sender: TxSender,
    proposer: Address,
    /// The deployment's verifiers: what kind of proof part each address takes.
    verifiers: Vec<VerifierDeployment>,
    storage: Arc<Storage>,
    config: SettlerConfig,
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
            verifiers: deployment.verifiers.clone(),
            storage,
            config,
        }
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
                    Step::Committed(_) | Step::Verified(_) => Polled::Busy,
                })
            },
            |error, wait| warn!(target: "keel::l1", %error, retry_in = ?wait, "settlement step failed; it is retried from L1's state"),
        )
        .instrument(span)
        .await
    }

    /// Reads L1's progress and sends at most one transaction.
    pub async fn step(&self) -> L1Result<Step> {
        let client = self.sender.client();
        let proposer = OnChainProposer::new(self.proposer, client.provider());
        let committed = to_u64(
            client
                .view("lastCommittedBatch", proposer.lastCommittedBatch().call())
                .await?,
        );
        let verified = to_u64(
            client
                .view("lastVerifiedBatch", proposer.lastVerifiedBatch().call())
                .await?,
        );
        let config = self.config;
        let (next_batch, next_proof) = blocking(&self.storage, move |storage| {
            storage.set_l1_progress(L1Progress {
                committed,
                verified,
            })?;
            let snapshot = storage.snapshot()?;
            let batch = if config.commit {
                snapshot.batch(committed + 1)?
            } else {
                None
            };
            let proof = if config.verify && verified < committed {
                snapshot.proof(verified + 1)?
            } else {
                None
            };
            Ok((batch, proof))
        })
        .await?;

        if let Some(batch) = next_batch {
            // L1 refuses a batch later than the block committing it (`BatchFromTheFuture`): a
            // batch sealed a moment ago waits for L1's clock (the pending block's: the one the
            // commit would land in), a slot at most.
            let l1_time = client
                .rpc(
                    "eth_getBlockByNumber",
                    client
                        .provider()
                        .get_block_by_number(BlockNumberOrTag::Pending),
                )
                .await?
                .map_or(0, |block| block.header.timestamp);
            if batch.output.last_block_timestamp <= l1_time {
                self.check_parent(&proposer, committed, &batch).await?;
                self.commit(&proposer, &batch).await?;
                return Ok(Step::Committed(batch.number));
            }
            debug!(target: "keel::l1", batch = batch.number, l2_time = batch.output.last_block_timestamp, l1_time, "batch is later than L1's latest block; committing it once L1 gets there");
        }
        if let Some(proof) = next_proof {
            let number = verified + 1;
            let proofs = match self.proofs_for(&proposer, &proof).await? {
                Ok(proofs) => proofs,
                Err(rejected) => {
                    // Sending it would revert forever: forget it, and the batch is proven again.
                    warn!(target: "keel::l1", batch = number, prover = %proof.prover, backend = %proof.backend, %rejected, "L1's verifiers refuse the stored proof; evicting it so the batch is proven again");
                    blocking(&self.storage, move |storage| storage.remove_proof(number)).await?;
                    return Ok(Step::Evicted(number));
                }
            };
            let call = OnChainProposer::verifyBatchCall {
                batchNumber: U256::from(number),
                proofs,
            };
            let receipt = self
                .sender
                .call(
                    &format!("verifyBatch({number})"),
                    self.proposer,
                    call.abi_encode().into(),
                )
                .await?;
            info!(target: "keel::l1", batch = number, backend = %proof.backend, tx = %receipt.transaction_hash, gas_used = receipt.gas_used, "batch verified on L1");
            blocking(&self.storage, move |storage| {
                storage.set_l1_progress(L1Progress {
                    committed,
                    verified: number,
                })?;
                // This node never unwinds a batch L1 verified: its blocks' change sets go.
                let last = storage.snapshot()?.batch_last_block(number)?;
                storage.prune_changesets_to(last)
            })
            .await?;
            return Ok(Step::Verified(number));
        }
        Ok(Step::Idle)
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

    async fn commit(
        &self,
        proposer: &OnChainProposer::OnChainProposerInstance<&alloy::providers::DynProvider>,
        batch: &Batch,
    ) -> L1Result<()> {
        let output = &batch.output;
        let call = OnChainProposer::commitBatchCall {
            batchNumber: U256::from(batch.number),
            header: OnChainProposer::BatchHeader {
                lastBlock: U256::from(batch.last_block),
                newStateRoot: output.post_state_root,
                lastBlockHash: output.last_block_hash,
                lastBlockTimestamp: U256::from(output.last_block_timestamp),
                withdrawalsRoot: output.withdrawals_root,
                depositsRollingHash: output.deposits_rolling_hash,
                depositCount: U256::from(batch.deposits),
            },
            blobs: batch.blobs.iter().map(Into::into).collect(),
        };
        let input: Bytes = call.abi_encode().into();
        let what = format!("commitBatch({})", batch.number);
        let receipt = if batch.blobs.is_empty() {
            self.sender.call(&what, self.proposer, input).await?
        } else {
            let sidecar = self.sidecar(batch).await?;
            self.sender
                .call_with_blobs(&what, self.proposer, input, sidecar)
                .await?
        };
        // The contract rebuilt the commitment from what it stores; it must be the one the
        // node (and so every proof) computes, or no proof of this batch could ever verify.
        let on_l1 = self
            .sender
            .client()
            .view(
                "commitmentOf",
                proposer.commitmentOf(U256::from(batch.number)).call(),
            )
            .await?;
        if on_l1 != output.commitment() {
            return Err(L1Error::Mismatch(format!(
                "OnChainProposer rebuilt commitment {on_l1} for batch {} but the node computed \
                 {}: the contract and the node disagree on the batch layout",
                batch.number,
                output.commitment()
            )));
        }
        info!(target: "keel::l1", batch = batch.number, blocks = format!("{}..={}", batch.first_block, batch.last_block), deposits = batch.deposits, blobs = batch.blobs.len(), blob_gas_used = receipt.blob_gas_used, tx = %receipt.transaction_hash, gas_used = receipt.gas_used, "batch committed on L1");
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
            let frame = storage.snapshot()?.batch_frame(number)?;
            Ok(frame.map(|frame| {
                keel_da::Frame::parse(&frame).and_then(|frame| crate::blob_sidecar(&frame))
            }))
        })
        .await?;
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

fn to_u64(value: U256) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}
