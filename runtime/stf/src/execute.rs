//! [`execute_batch`]: re-execute every block of a batch from its witness.

use std::collections::BTreeMap;

use alloy_consensus::{Header, Sealable, Sealed, transaction::SignerRecoverable};
use alloy_primitives::{B256, Bytes, keccak256, map::B256Map};
use keel_evm::{BlockAttributes, BlockBuilder, EvmError, TxOutcome};
use keel_primitives::{BatchSettlement, ChainSpec, KeelTx};
use keel_trie::MemoryNodeStore;

use crate::{BatchOutput, BlockInput, ProverInput, StfError, WitnessError, WitnessState};

/// Re-executes the batch in `input` and returns what it proves.
///
/// Each block runs on the state its parent left (the pre-state from the witness, then the nodes
/// the earlier blocks created), every transaction must be included exactly as the sequencer
/// included it, and every field of the recomputed header must equal the sealed one.
pub fn execute_batch(input: &ProverInput) -> Result<BatchOutput, StfError> {
    let last = input.blocks.last().ok_or(StfError::EmptyBatch)?;
    let last_number = last.header.number;
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
    for block in &input.blocks {
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
        head = sealed;
    }
    debug_assert_eq!(head.number, last_number);

    Ok(BatchOutput {
        batch_number: input.batch_number,
        chain_id: input.spec.chain_id,
        first_block: input.first_block(),
        block_count: input.blocks.len() as u64,
        parent_block_hash: parent.hash(),
        pre_state_root: parent.state_root,
        post_state_root: head.state_root,
        last_block_hash: head.hash(),
        withdrawals_root: settlement.withdrawals_root(),
        deposits_rolling_hash: settlement.deposits.hash(),
    })
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

/// Executes `block` on `parent`'s post-state and returns its checked, sealed header; the nodes
/// and codes it creates are added to `nodes` and `codes` for the blocks after it, its
/// withdrawals and deposits to `settlement`.
fn execute_block(
    spec: &ChainSpec,
    parent: &Sealed<Header>,
    block: &BlockInput,
    nodes: &mut MemoryNodeStore,
    codes: &mut B256Map<Bytes>,
    block_hashes: &BTreeMap<u64, B256>,
    settlement: &mut BatchSettlement,
) -> Result<Sealed<Header>, StfError> {
    let claimed = &block.header;
    let number = parent.number + 1;
    let not_a_child = |field| StfError::NotAChild {
        number: claimed.number,
        parent_number: parent.number,
        field,
    };
    if claimed.number != number {
        return Err(not_a_child("number"));
    }
    if claimed.parent_hash != parent.hash() {
        return Err(not_a_child("parent hash"));
    }
    if claimed.timestamp < parent.timestamp {
        return Err(not_a_child("timestamp"));
    }
    let base_fee = claimed.base_fee_per_gas.unwrap_or_default();
    if !(spec.min_base_fee..=spec.max_base_fee).contains(&base_fee) {
        return Err(StfError::BaseFeeOutOfBounds {
            block: number,
            base_fee,
            min: spec.min_base_fee,
            max: spec.max_base_fee,
        });
    }

    let attributes = BlockAttributes {
        timestamp: claimed.timestamp,
        coinbase: claimed.beneficiary,
        gas_limit: claimed.gas_limit,
        base_fee,
        extra_data: claimed.extra_data.clone(),
    };
    let state = WitnessState::new(&*nodes, parent.state_root, codes, block_hashes);
    let mut builder = BlockBuilder::new(spec, state, parent, attributes);
    for (index, tx) in block.transactions.iter().enumerate() {
        let index = index as u64;
        let tx = match tx {
            KeelTx::Ethereum(tx) => tx,
            KeelTx::Deposit(deposit) => {
                builder
                    .push_deposit(deposit.clone())
                    .map_err(|e| evm_error(number, e))?;
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
    let built = builder.finish(&*nodes).map_err(|e| evm_error(number, e))?;
    let computed = built.block.header;
    check_header(claimed, &computed)?;
    settlement.add_block(&built.block.transactions, &built.receipts);
    nodes.insert_nodes(&built.state.nodes);
    codes.extend(built.codes);
    Ok(computed)
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

/// Names the first field where the recomputed header differs from the sealed one.
fn check_header(claimed: &Header, computed: &Sealed<Header>) -> Result<(), StfError> {
    let computed = computed.inner();
    if claimed == computed {
        return Ok(());
    }
    macro_rules! first_difference {
        ($($field:ident => $name:literal),* $(,)?) => {
            $(
                if claimed.$field != computed.$field {
                    return Err(StfError::HeaderMismatch {
                        block: claimed.number,
                        field: $name,
                        claimed: format!("{:?}", claimed.$field),
                        computed: format!("{:?}", computed.$field),
                    });
                }
            )*
        };
    }
    first_difference!(
        state_root => "state root",
        transactions_root => "transactions root",
        receipts_root => "receipts root",
        gas_used => "gas used",
        logs_bloom => "logs bloom",
        parent_hash => "parent hash",
        ommers_hash => "ommers hash",
        beneficiary => "beneficiary",
        difficulty => "difficulty",
        number => "number",
        gas_limit => "gas limit",
        timestamp => "timestamp",
        extra_data => "extra data",
        mix_hash => "mix hash",
        nonce => "nonce",
        base_fee_per_gas => "base fee",
        withdrawals_root => "withdrawals root",
        blob_gas_used => "blob gas used",
        excess_blob_gas => "excess blob gas",
        parent_beacon_block_root => "parent beacon block root",
        requests_hash => "requests hash",
    );
    // Every field of the header is listed above.
    Err(StfError::HeaderMismatch {
        block: claimed.number,
        field: "header",
        claimed: format!("{claimed:?}"),
        computed: format!("{computed:?}"),
    })
}
