//! [`execute_batch`]: re-execute every block of a batch from its witness.

use std::collections::BTreeMap;

use alloy_consensus::{Header, Sealable, Sealed, transaction::SignerRecoverable};
use alloy_primitives::{B256, Bytes, keccak256, map::B256Map};
use keel_evm::{BlockAttributes, BlockBuilder, BuiltBlock, EvmError, TxOutcome};
use keel_primitives::{BatchSettlement, ChainSpec, KeelTx, StateReader};
use keel_trie::{MemoryNodeStore, NodeReader, StaleNodes};

use keel_da::{Frame, PayloadBlock, bind_blobs};
use keel_primitives::blobs_hash;

use crate::{BatchOutput, ProverInput, StfError, WitnessError, WitnessState};

/// A batch re-executed: what a proof attests, and the header of every block it built (which the
/// node compares with its own to name the first block that differs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutedBatch {
    /// What the proof attests.
    pub output: BatchOutput,
    /// The blocks' headers, in order.
    pub headers: Vec<Sealed<Header>>,
}

/// Re-executes the batch in `input` and returns what it proves.
///
/// The blocks come from the payload frame (the data L1 holds): each runs on the state its
/// parent left (the pre-state from the witness, then the nodes the earlier blocks created), and
/// every transaction must be valid where the sequencer placed it. The frame's blobs are
/// evaluated at their challenges and bound into the output with their versioned hashes.
pub fn execute_batch(input: &ProverInput) -> Result<ExecutedBatch, StfError> {
    let frame = Frame(input.frame.clone());
    let blocks = frame.blocks()?;
    if blocks.is_empty() {
        return Err(StfError::EmptyBatch);
    }
    let blobs = bind_blobs(&frame, &input.blob_hashes)?;
    let block_hashes = checked_ancestry(input)?;
    let parent = input.parent.clone().seal_slow();
    let mut nodes = MemoryNodeStore::from_nodes(input.witness.nodes.iter().cloned());
    let mut codes: B256Map<Bytes> = input
        .witness
        .codes
        .iter()
        .map(|code| (keccak256(code), code.clone()))
        .collect();

    let mut block_hashes = block_hashes;
    let mut head = parent.clone();
    let mut settlement = BatchSettlement::default();
    let mut headers = Vec::with_capacity(blocks.len());
    for block in &blocks {
        let sealed = execute_block(
            &input.spec,
            &head,
            block,
            &mut nodes,
            &mut codes,
            &block_hashes,
            &mut settlement,
        )?;
        block_hashes.insert(sealed.number, sealed.hash());
        head = sealed.clone();
        headers.push(sealed);
    }

    let output = BatchOutput {
        batch_number: input.batch_number,
        chain_spec_hash: input.spec.hash(),
        first_block: input.first_block(),
        block_count: blocks.len() as u64,
        parent_block_hash: parent.hash(),
        pre_state_root: parent.state_root,
        post_state_root: head.state_root,
        last_block_hash: head.hash(),
        last_block_timestamp: head.timestamp,
        withdrawals_root: settlement.withdrawals_root(),
        deposits_rolling_hash: settlement.deposits.hash(),
        blobs_hash: blobs_hash(&blobs),
    };
    Ok(ExecutedBatch { output, headers })
}

/// The hashes BLOCKHASH may return: the parent's and each ancestor's, after checking that every
/// ancestor is the parent of the header after it.
fn checked_ancestry(input: &ProverInput) -> Result<BTreeMap<u64, B256>, StfError> {
    let mut hashes = BTreeMap::new();
    let mut child_parent_hash = input.parent.parent_hash;
    hashes.insert(input.parent.number, input.parent.hash_slow());
    for ancestor in input.ancestors.iter().rev() {
        let hash = ancestor.hash_slow();
        if hash != child_parent_hash {
            return Err(StfError::BrokenAncestry {
                number: ancestor.number,
            });
        }
        hashes.insert(ancestor.number, hash);
        child_parent_hash = ancestor.parent_hash;
    }
    Ok(hashes)
}

/// Executes `block` on `parent`'s post-state and returns its sealed header; the nodes and codes
/// it creates are added to `nodes` and `codes` for the blocks after it, its withdrawals and
/// deposits to `settlement`.
fn execute_block(
    spec: &ChainSpec,
    parent: &Sealed<Header>,
    block: &PayloadBlock,
    nodes: &mut MemoryNodeStore,
    codes: &mut B256Map<Bytes>,
    block_hashes: &BTreeMap<u64, B256>,
    settlement: &mut BatchSettlement,
) -> Result<Sealed<Header>, StfError> {
    let state = WitnessState::new(&*nodes, parent.state_root, codes, block_hashes);
    let built = replay_block(spec, state, &*nodes, parent, block, StaleNodes::Ignore)?;
    settlement.add_block(&built.block.transactions, &built.receipts);
    nodes.insert_nodes(&built.state.nodes);
    codes.extend(built.codes);
    Ok(built.block.header)
}

/// Executes payload block `block` on `parent`'s post-state, read through `state` and `nodes`:
/// the block the sequencer built, or an error naming what differs. Every transaction must be
/// valid where the sequencer placed it, and the header fields must be a child's of `parent`
/// within the chain's bounds.
///
/// The STF runs it on a batch's witness; a follower runs it on its database, so both rebuild
/// a block from L1's data the same way. `stale_nodes` says whether the built state lists the
/// trie nodes it made stale (a follower that prunes old state stores them).
pub fn replay_block<R: StateReader>(
    spec: &ChainSpec,
    state: R,
    nodes: &impl NodeReader,
    parent: &Sealed<Header>,
    block: &PayloadBlock,
    stale_nodes: StaleNodes,
) -> Result<BuiltBlock, StfError> {
    let number = parent.number + 1;
    if block.timestamp < parent.timestamp {
        return Err(StfError::NotAChild {
            number,
            parent_number: parent.number,
            field: "timestamp",
        });
    }
    if block.gas_limit > spec.max_block_gas {
        return Err(StfError::GasLimitAboveChain {
            block: number,
            gas_limit: block.gas_limit,
            max: spec.max_block_gas,
        });
    }
    let base_fee = block.base_fee;
    if !(spec.min_base_fee..=spec.max_base_fee).contains(&base_fee) {
        return Err(StfError::BaseFeeOutOfBounds {
            block: number,
            base_fee,
            min: spec.min_base_fee,
            max: spec.max_base_fee,
        });
    }

    let attributes = BlockAttributes {
        timestamp: block.timestamp,
        coinbase: block.coinbase,
        gas_limit: block.gas_limit,
        base_fee,
        extra_data: block.extra_data.clone(),
        data_fee: block.data_fee,
    };
    let mut builder =
        BlockBuilder::new(spec, state, parent, attributes).with_stale_nodes(stale_nodes);
    for (index, tx) in block.transactions.iter().enumerate() {
        let index = index as u64;
        let tx = match tx {
            KeelTx::Ethereum(tx) => tx,
            KeelTx::Deposit(deposit) => {
                let outcome = builder
                    .push_deposit(deposit.clone())
                    .map_err(|e| evm_error(number, e))?;
                if outcome == TxOutcome::DoesNotFit {
                    return Err(StfError::InvalidTransaction {
                        block: number,
                        index,
                        hash: deposit.hash(),
                        reason: "its gas limit does not fit in the gas left in the block"
                            .to_owned(),
                    });
                }
                continue;
            }
        };
        let hash = *tx.tx_hash();
        let sender = tx.recover_signer().map_err(|_| StfError::BadSignature {
            block: number,
            index,
            hash,
        })?;
        let reason = match builder
            .push(tx.clone(), sender)
            .map_err(|e| evm_error(number, e))?
        {
            TxOutcome::Included { .. } => continue,
            TxOutcome::DoesNotFit => "it does not fit in the gas left in the block".to_owned(),
            TxOutcome::Invalid(invalid) => invalid.to_string(),
            // `push` checks nothing: no transaction is refused here.
            TxOutcome::Refused(reason) => reason,
        };
        return Err(StfError::InvalidTransaction {
            block: number,
            index,
            hash,
            reason,
        });
    }
    builder.finish(nodes).map_err(|e| evm_error(number, e))
}

/// Maps an execution failure to the witness read behind it, when there is one.
fn evm_error(block: u64, error: EvmError) -> StfError {
    match error {
        EvmError::State(source) => match source.downcast::<WitnessError>() {
            Ok(source) => StfError::Witness {
                block,
                source: *source,
            },
            Err(other) => StfError::Execution {
                block,
                reason: other.to_string(),
            },
        },
        EvmError::Trie(source) => StfError::Witness {
            block,
            source: WitnessError::Trie(source),
        },
        other => StfError::Execution {
            block,
            reason: other.to_string(),
        },
    }
}
