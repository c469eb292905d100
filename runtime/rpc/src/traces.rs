//! `debug_traceTransaction`, `debug_traceBlockByNumber` and `debug_traceCall` with geth's
//! `callTracer` and `prestateTracer`, from revm-inspectors (keel-evm's `Tracer`).
//!
//! A mined transaction is traced on the state its block left before it: the block is replayed
//! from its parent's state (read through the trie) with the block's own attributes and data
//! fee, through the builder the proposer uses, up to the transaction.

use alloy_consensus::{Header, Sealed};
use alloy_eips::BlockId;
use alloy_primitives::U256;
use alloy_primitives::{Address, B256};
use alloy_rpc_types_eth::AccessListResult;
use alloy_rpc_types_trace::geth::{GethDebugTracingOptions, GethTrace, TraceResult};
use keel_evm::{BlockAttributes, BlockBuilder, CallOutcome, Simulator, Tracer, TxOutcome};
use keel_primitives::{KeelTx, StateReader};
use keel_storage::{HistoricalState, Snapshot};
use serde_json::value::RawValue;

use crate::{
    EthApi, Params, RpcError,
    block_id::require_header,
    jsonrpc::{RpcResult, json},
};

/// Most transactions one `debug_traceBlockByNumber` traces (each is replayed from the block's
/// start).
pub const MAX_BLOCK_TRACE_TXS: usize = 256;

fn tracer(options: Option<GethDebugTracingOptions>) -> RpcResult<Tracer> {
    Tracer::from_options(&options.unwrap_or_default()).map_err(RpcError::invalid_params)
}

fn trace_error(error: keel_evm::EvmError) -> RpcError {
    RpcError::internal(error)
}

impl EthApi {
    /// `debug_traceCall(call, block, options)`.
    pub(crate) fn trace_call(
        &self,
        snapshot: &Snapshot,
        params: &Params<'_>,
    ) -> RpcResult<Box<RawValue>> {
        let (request, block) = self.call_request(params)?;
        let options: Option<GethDebugTracingOptions> = params.optional(2, "tracer options")?;
        let tracer = tracer(options)?;
        let header = require_header(snapshot, block.unwrap_or_default())?;
        let state = HistoricalState::at(snapshot, &header)?;
        let simulator = Simulator::new(&self.config().spec, &header, self.config().gas_cap);
        json(
            simulator
                .trace(&state, &request, &tracer)
                .map_err(trace_error)?,
        )
    }

    /// `eth_createAccessList(call, block)`: `{accessList, gasUsed, error?}` as geth answers
    /// (the call's revert or halt in `error`, not as a JSON-RPC error).
    pub(crate) fn create_access_list(
        &self,
        snapshot: &Snapshot,
        params: &Params<'_>,
    ) -> RpcResult<Box<RawValue>> {
        let (request, block) = self.call_request(params)?;
        let header = require_header(snapshot, block.unwrap_or_default())?;
        let state = HistoricalState::at(snapshot, &header)?;
        let simulator = Simulator::new(&self.config().spec, &header, self.config().gas_cap);
        let (access_list, outcome) =
            simulator
                .create_access_list(&state, &request)
                .map_err(|error| match error {
                    keel_evm::EvmError::InvalidCall(invalid) => RpcError::server(invalid),
                    other => RpcError::internal(other),
                })?;
        let (gas_used, error) = match outcome {
            CallOutcome::Success { gas_used, .. } => (gas_used, None),
            CallOutcome::Revert { gas_used, output } => {
                (gas_used, Some(format!("execution reverted: {output}")))
            }
            CallOutcome::Halt { gas_used, reason } => (gas_used, Some(reason)),
        };
        json(AccessListResult {
            access_list,
            gas_used: U256::from(gas_used),
            error,
        })
    }

    /// `debug_traceTransaction(hash, options)`.
    pub(crate) fn trace_transaction(
        &self,
        snapshot: &Snapshot,
        params: &Params<'_>,
    ) -> RpcResult<Box<RawValue>> {
        let hash: B256 = params.required(0, "transaction hash")?;
        let options: Option<GethDebugTracingOptions> = params.optional(1, "tracer options")?;
        let tracer = tracer(options)?;
        let location = snapshot
            .tx_location(&hash)?
            .ok_or_else(|| RpcError::server(format!("transaction {hash} not found")))?;
        let mut traces = self.trace_block_txs(
            snapshot,
            location.block,
            &tracer,
            Some(location.index as usize),
        )?;
        let trace = traces
            .pop()
            .ok_or_else(|| RpcError::internal("the traced transaction is not in its block"))?;
        json(trace.1)
    }

    /// `debug_traceBlockByNumber(block, options)`: `[{txHash, result}]`.
    pub(crate) fn trace_block(
        &self,
        snapshot: &Snapshot,
        params: &Params<'_>,
    ) -> RpcResult<Box<RawValue>> {
        let block: BlockId = params.required(0, "block")?;
        let options: Option<GethDebugTracingOptions> = params.optional(1, "tracer options")?;
        let tracer = tracer(options)?;
        let number = require_header(snapshot, block)?.number;
        let traces = self.trace_block_txs(snapshot, number, &tracer, None)?;
        json(
            traces
                .into_iter()
                .map(|(tx_hash, result)| TraceResult::Success {
                    result,
                    tx_hash: Some(tx_hash),
                })
                .collect::<Vec<_>>(),
        )
    }

    /// Traces of block `number`'s transaction `only` (or of all of them), each on the state
    /// its predecessors in the block left.
    fn trace_block_txs(
        &self,
        snapshot: &Snapshot,
        number: u64,
        tracer: &Tracer,
        only: Option<usize>,
    ) -> RpcResult<Vec<(B256, GethTrace)>> {
        if number == 0 {
            return Err(RpcError::invalid_params(
                "the genesis block has no transactions",
            ));
        }
        let header = require_header(snapshot, BlockId::number(number))?;
        let parent = require_header(snapshot, BlockId::number(number - 1))?;
        let (txs, senders) = snapshot
            .body(number)?
            .ok_or_else(|| RpcError::internal(format!("block {number} has no body")))?;
        let data_fee = snapshot.data_fee(number)?.unwrap_or_default();
        let attributes = BlockAttributes {
            timestamp: header.timestamp,
            coinbase: header.beneficiary,
            gas_limit: header.gas_limit,
            base_fee: header.base_fee_per_gas.unwrap_or_default(),
            extra_data: header.extra_data.clone(),
            data_fee,
        };
        let targets: Vec<usize> = match only {
            Some(index) => vec![index],
            None => {
                if txs.len() > MAX_BLOCK_TRACE_TXS {
                    return Err(RpcError::server(format!(
                        "block {number} has {} transactions; at most {MAX_BLOCK_TRACE_TXS} are \
                         traced at once (trace them one by one)",
                        txs.len()
                    )));
                }
                (0..txs.len()).collect()
            }
        };
        let mut traces = Vec::with_capacity(targets.len());
        for index in targets {
            let state = HistoricalState::at(snapshot, &parent)?;
            let trace = self.replay_to(
                state,
                &parent,
                attributes.clone(),
                &txs,
                &senders,
                index,
                tracer,
            )?;
            traces.push((txs[index].hash(), trace));
        }
        Ok(traces)
    }

    /// Replays `txs[..index]` on `state` (the parent's) and traces `txs[index]`.
    #[expect(
        clippy::too_many_arguments,
        reason = "one block's replay, each input named"
    )]
    fn replay_to<R: StateReader>(
        &self,
        state: R,
        parent: &Sealed<Header>,
        attributes: BlockAttributes,
        txs: &[KeelTx],
        senders: &[Address],
        index: usize,
        tracer: &Tracer,
    ) -> RpcResult<GethTrace> {
        let mut builder = BlockBuilder::new(&self.config().spec, state, parent, attributes);
        for (tx, sender) in txs.iter().zip(senders).take(index) {
            let outcome = match tx {
                KeelTx::Ethereum(tx) => builder.push(tx.clone(), *sender),
                KeelTx::Deposit(deposit) => builder.push_deposit(deposit.clone()),
            }
            .map_err(trace_error)?;
            if !matches!(outcome, TxOutcome::Included { .. }) {
                return Err(RpcError::internal(format!(
                    "replaying the block: transaction {} gave {outcome:?}",
                    tx.hash()
                )));
            }
        }
        match (&txs[index], senders[index]) {
            (KeelTx::Ethereum(tx), sender) => {
                builder.trace(tx, sender, tracer).map_err(trace_error)
            }
            (KeelTx::Deposit(_), _) => Err(RpcError::server(
                "L1 messages (type 0x7e) are not traced: they run outside the EVM's transaction \
                 rules",
            )),
        }
    }
}
