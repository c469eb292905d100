//! The `eth_`, `net_` and `web3_` methods (polling filters in [`crate::filters`]).

use std::sync::Arc;

use alloy_consensus::{Header, Sealed, Transaction as _};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, Bytes, TxKind, U64, U256, keccak256};
use alloy_rpc_types_eth::{
    EIP1186AccountProofResponse, EIP1186StorageProof, FeeHistory, Filter, FilterBlockOption, Log,
    TransactionRequest,
};
use keel_evm::{BaseFeeRule, CallOutcome, CallRequest, EvmError, Simulator};
use keel_mempool::Mempool;
use keel_primitives::{ChainSpec, KeelReceipt, KeelTx, StateReader};
use keel_storage::{HistoricalState, Snapshot, Storage};
use serde_json::value::RawValue;

use crate::{
    RpcError, SequencingSource, TransactionSink,
    block_id::{require_header, resolve_header, resolve_number},
    convert::{BlockParts, TxContext, block_logs, rpc_block, rpc_receipt, rpc_transaction},
    jsonrpc::{Params, RpcResult, json},
    server::RpcModule,
};

/// Default priority fee suggested to wallets (1 gwei, as geth and anvil suggest).
pub const DEFAULT_SUGGESTED_TIP: u128 = 1_000_000_000;
/// Widest block range one `eth_getLogs` may scan.
pub const DEFAULT_MAX_LOGS_RANGE: u64 = 10_000;
/// Most logs one `eth_getLogs` may return.
pub const DEFAULT_MAX_LOGS: usize = 20_000;
/// Most storage keys one `eth_getProof` may ask for.
const MAX_PROOF_KEYS: usize = 1_024;
/// Most blocks one `eth_feeHistory` may cover (geth's limit).
const MAX_FEE_HISTORY_BLOCKS: u64 = 1024;

/// What the API needs to know besides the data.
#[derive(Debug, Clone)]
pub struct EthApiConfig {
    /// The chain.
    pub spec: ChainSpec,
    /// Gas cap of `eth_call` / `eth_estimateGas`.
    pub gas_cap: u64,
    /// `web3_clientVersion`.
    pub client_version: String,
    /// Suggested priority fee.
    pub suggested_tip: u128,
    /// Widest `eth_getLogs` block range.
    pub max_logs_range: u64,
    /// Most logs per `eth_getLogs`.
    pub max_logs: usize,
}

/// Serves the Ethereum JSON-RPC methods from storage and the pool.
pub struct EthApi {
    storage: Arc<Storage>,
    pool: Arc<Mempool>,
    sink: Arc<dyn TransactionSink>,
    sequencing: Option<Arc<dyn SequencingSource>>,
    fee_rule: Arc<dyn BaseFeeRule>,
    config: EthApiConfig,
    filters: crate::filters::Filters,
}

impl core::fmt::Debug for EthApi {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("EthApi")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl EthApi {
    /// An API over `storage` and `pool`; sent transactions go to the pool.
    pub fn new(
        storage: Arc<Storage>,
        pool: Arc<Mempool>,
        fee_rule: Arc<dyn BaseFeeRule>,
        config: EthApiConfig,
    ) -> Self {
        Self {
            storage,
            sink: pool.clone(),
            sequencing: None,
            pool,
            fee_rule,
            config,
            filters: crate::filters::Filters::default(),
        }
    }

    /// Sends transactions to `sink` instead of the pool (a follower).
    pub fn with_transaction_sink(mut self, sink: Arc<dyn TransactionSink>) -> Self {
        self.sink = sink;
        self
    }

    /// Answers `keel_sequencing` from `source` (a based node).
    pub fn with_sequencing(mut self, source: Arc<dyn SequencingSource>) -> Self {
        self.sequencing = Some(source);
        self
    }

    /// The API's configuration.
    pub(crate) const fn config(&self) -> &EthApiConfig {
        &self.config
    }

    /// The pool pending-transaction filters read.
    pub(crate) fn pool(&self) -> &Mempool {
        &self.pool
    }

    /// The widest block range one log query scans.
    pub(crate) const fn max_logs_range(&self) -> u64 {
        self.config.max_logs_range
    }

    fn next_base_fee(&self, snapshot: &Snapshot) -> RpcResult<u64> {
        let head = snapshot.head()?;
        Ok(self.fee_rule.next_base_fee(&head))
    }

    /// Runs `f` on the state after block `id`: the flat tables for the head, the trie for any
    /// earlier block.
    fn with_state<T>(
        &self,
        snapshot: &Snapshot,
        id: Option<BlockId>,
        f: impl FnOnce(&dyn StateAccess, &Sealed<Header>) -> RpcResult<T>,
    ) -> RpcResult<T> {
        let header = require_header(snapshot, id.unwrap_or_default())?;
        if header.number == snapshot.head_number()? {
            f(snapshot, &header)
        } else {
            f(&HistoricalState::at(snapshot, &header)?, &header)
        }
    }

    /// `eth_getProof` (EIP-1186): the account and the asked storage slots at a block, each
    /// with the trie nodes from the state root (or the account's storage root) down its key.
    /// An absent account has code hash zero and the empty storage root, as geth answers.
    fn get_proof(&self, snapshot: &Snapshot, params: &Params<'_>) -> RpcResult<Box<RawValue>> {
        let address: Address = params.required(0, "address")?;
        let keys: Vec<B256> = params.required(1, "storage keys")?;
        let block: Option<BlockId> = params.optional(2, "block")?;
        if keys.len() > MAX_PROOF_KEYS {
            return Err(RpcError::invalid_params(format!(
                "at most {MAX_PROOF_KEYS} storage keys per eth_getProof"
            )));
        }
        let node_error = |e: keel_trie::TrieError| RpcError::internal(e);
        self.with_state(snapshot, block, |state, header| {
            let account = state.account_of(&address)?;
            let account_proof =
                keel_trie::proof(snapshot, header.state_root, keccak256(address).as_slice())
                    .map_err(node_error)?;
            let storage_root = account
                .as_ref()
                .map_or(keel_primitives::EMPTY_ROOT_HASH, |a| a.storage_root);
            let mut storage_proof = Vec::with_capacity(keys.len());
            for key in keys {
                storage_proof.push(EIP1186StorageProof {
                    key: key.into(),
                    value: state.storage_of(&address, &U256::from_be_bytes(key.0))?,
                    proof: keel_trie::proof(snapshot, storage_root, keccak256(key).as_slice())
                        .map_err(node_error)?,
                });
            }
            json(EIP1186AccountProofResponse {
                address,
                balance: account.as_ref().map_or(U256::ZERO, |a| a.balance),
                code_hash: account.as_ref().map_or(B256::ZERO, |a| a.code_hash),
                nonce: account.as_ref().map_or(0, |a| a.nonce),
                storage_hash: storage_root,
                account_proof,
                storage_proof,
            })
        })
    }

    fn get_balance(&self, snapshot: &Snapshot, params: &Params<'_>) -> RpcResult<Box<RawValue>> {
        let address: Address = params.required(0, "address")?;
        let block: Option<BlockId> = params.optional(1, "block")?;
        self.with_state(snapshot, block, |state, _| {
            json(
                state
                    .account_of(&address)?
                    .map_or(U256::ZERO, |a| a.balance),
            )
        })
    }

    fn get_transaction_count(
        &self,
        snapshot: &Snapshot,
        params: &Params<'_>,
    ) -> RpcResult<Box<RawValue>> {
        let address: Address = params.required(0, "address")?;
        let block: Option<BlockId> = params.optional(1, "block")?;
        let state_nonce = self.with_state(snapshot, block, |state, _| {
            Ok(state.account_of(&address)?.map_or(0, |a| a.nonce))
        })?;
        let nonce = if block == Some(BlockId::Number(BlockNumberOrTag::Pending)) {
            self.pool
                .pending_nonce(&address)
                .map_or(state_nonce, |pending| pending.max(state_nonce))
        } else {
            state_nonce
        };
        json(U64::from(nonce))
    }

    fn get_code(&self, snapshot: &Snapshot, params: &Params<'_>) -> RpcResult<Box<RawValue>> {
        let address: Address = params.required(0, "address")?;
        let block: Option<BlockId> = params.optional(1, "block")?;
        self.with_state(snapshot, block, |state, _| {
            let Some(account) = state.account_of(&address)? else {
                return json(Bytes::new());
            };
            json(state.code_of(&account.code_hash)?.unwrap_or_default())
        })
    }

    fn get_storage_at(&self, snapshot: &Snapshot, params: &Params<'_>) -> RpcResult<Box<RawValue>> {
        let address: Address = params.required(0, "address")?;
        let slot: U256 = params.required(1, "storage slot")?;
        let block: Option<BlockId> = params.optional(2, "block")?;
        self.with_state(snapshot, block, |state, _| {
            json(B256::from(state.storage_of(&address, &slot)?))
        })
    }

    fn send_raw_transaction(
        &self,
        snapshot: &Snapshot,
        params: &Params<'_>,
    ) -> RpcResult<Box<RawValue>> {
        let raw: Bytes = params.required(0, "raw transaction")?;
        json(self.sink.submit(&raw, snapshot)?)
    }

    /// `keel_sendForwardedTransaction`: a transaction another node forwarded (see
    /// [`TransactionSink::submit_forwarded`]).
    fn send_forwarded_transaction(
        &self,
        snapshot: &Snapshot,
        params: &Params<'_>,
    ) -> RpcResult<Box<RawValue>> {
        let raw: Bytes = params.required(0, "raw transaction")?;
        json(self.sink.submit_forwarded(&raw, snapshot)?)
    }

    /// `txpool_content`: the pool's transactions by sender and nonce (decimal), split into
    /// `pending` (executable now) and `queued` (after a nonce gap), as geth and anvil answer.
    fn txpool_content(&self) -> serde_json::Value {
        type BySender = std::collections::BTreeMap<
            Address,
            std::collections::BTreeMap<String, crate::convert::RpcTransaction>,
        >;
        let group = |txs: Vec<std::sync::Arc<keel_mempool::PooledTx>>| {
            let mut by_sender = BySender::new();
            for pooled in txs {
                by_sender.entry(pooled.sender).or_default().insert(
                    pooled.nonce().to_string(),
                    crate::convert::rpc_transaction(
                        KeelTx::Ethereum(pooled.tx.clone()),
                        pooled.sender,
                        None,
                    ),
                );
            }
            by_sender
        };
        let content = self.pool.content();
        serde_json::json!({
            "pending": group(content.pending),
            "queued": group(content.queued),
        })
    }

    /// `keel_sequencing`: role, leader, epoch and next turn of a based node.
    fn sequencing(&self) -> RpcResult<Box<RawValue>> {
        match &self.sequencing {
            Some(source) => json(source.report()),
            None => Err(RpcError::server(
                "this node is not a based sequencer (no [based] section): it has no turns",
            )),
        }
    }

    pub(crate) fn call_request(
        &self,
        params: &Params<'_>,
    ) -> RpcResult<(CallRequest, Option<BlockId>)> {
        let request: TransactionRequest = params.required(0, "transaction")?;
        let block: Option<BlockId> = params.optional(1, "block")?;
        let to = match request.to {
            Some(TxKind::Call(to)) => Some(to),
            Some(TxKind::Create) | None => None,
        };
        let input = request.input.input().cloned().unwrap_or_default();
        let call = CallRequest {
            from: request.from,
            to,
            gas: request.gas,
            max_fee_per_gas: request.max_fee_per_gas.or(request.gas_price),
            max_priority_fee_per_gas: request.max_priority_fee_per_gas,
            value: request.value.unwrap_or_default(),
            input,
            nonce: request.nonce,
            access_list: request.access_list.unwrap_or_default(),
        };
        Ok((call, block))
    }

    fn call(&self, snapshot: &Snapshot, params: &Params<'_>) -> RpcResult<Box<RawValue>> {
        let (request, block) = self.call_request(params)?;
        self.with_state(snapshot, block, |state, header| {
            let simulator = Simulator::new(&self.config.spec, header, self.config.gas_cap);
            match state.simulate_call(&simulator, &request)? {
                CallOutcome::Success { output, .. } => json(output),
                CallOutcome::Revert { output, .. } => Err(RpcError::reverted(output)),
                CallOutcome::Halt { reason, .. } => {
                    Err(RpcError::server(format!("execution halted: {reason}")))
                }
            }
        })
    }

    fn estimate_gas(&self, snapshot: &Snapshot, params: &Params<'_>) -> RpcResult<Box<RawValue>> {
        let (request, block) = self.call_request(params)?;
        self.with_state(snapshot, block, |state, header| {
            let simulator = Simulator::new(&self.config.spec, header, self.config.gas_cap);
            match state.simulate_estimate(&simulator, &request)? {
                Ok(gas) => json(U64::from(gas)),
                Err(CallOutcome::Revert { output, .. }) => Err(RpcError::reverted(output)),
                Err(CallOutcome::Halt { reason, .. }) => Err(RpcError::server(format!(
                    "gas required exceeds allowance ({}): {reason}",
                    self.config.gas_cap
                ))),
                Err(CallOutcome::Success { .. }) => {
                    Err(RpcError::internal("estimate failed on a successful call"))
                }
            }
        })
    }

    fn fee_history(&self, snapshot: &Snapshot, params: &Params<'_>) -> RpcResult<Box<RawValue>> {
        let count: U64 = params.required(0, "block count")?;
        let newest: BlockNumberOrTag = params.required(1, "newest block")?;
        let percentiles: Option<Vec<f64>> = params.optional(2, "reward percentiles")?;
        if let Some(p) = &percentiles
            && (p.iter().any(|x| !(0.0..=100.0).contains(x)) || p.windows(2).any(|w| w[0] > w[1]))
        {
            return Err(RpcError::invalid_params(
                "reward percentiles must be ascending values in [0, 100]",
            ));
        }
        let newest = resolve_number(snapshot, newest)?
            .ok_or_else(|| RpcError::server("request beyond head block"))?;
        let count = count
            .to::<u64>()
            .min(MAX_FEE_HISTORY_BLOCKS)
            .min(newest + 1);
        let oldest = newest + 1 - count;
        let mut history = FeeHistory {
            oldest_block: oldest,
            ..Default::default()
        };
        let mut last = None;
        for number in oldest..=newest {
            let header = snapshot
                .header(number)?
                .ok_or_else(|| RpcError::internal(format!("missing header {number}")))?;
            let base_fee = header.base_fee_per_gas.unwrap_or_default();
            history.base_fee_per_gas.push(base_fee.into());
            history.gas_used_ratio.push(if header.gas_limit == 0 {
                0.0
            } else {
                header.gas_used as f64 / header.gas_limit as f64
            });
            history.base_fee_per_blob_gas.push(0);
            history.blob_gas_used_ratio.push(0.0);
            if let Some(percentiles) = &percentiles {
                let (txs, _) = snapshot.body(number)?.unwrap_or_default();
                let receipts = snapshot.receipts(number)?.unwrap_or_default();
                history.reward.get_or_insert_with(Vec::new).push(rewards(
                    &txs,
                    &receipts,
                    base_fee,
                    percentiles,
                ));
            }
            last = Some(header);
        }
        if let Some(last) = last {
            history
                .base_fee_per_gas
                .push(self.fee_rule.next_base_fee(&last).into());
            history.base_fee_per_blob_gas.push(0);
        }
        json(history)
    }

    fn block(&self, snapshot: &Snapshot, id: BlockId, full: bool) -> RpcResult<Box<RawValue>> {
        let Some(header) = resolve_header(snapshot, id)? else {
            return json(());
        };
        let (txs, senders) = snapshot.body(header.number)?.unwrap_or_default();
        json(rpc_block(header, txs, senders, full))
    }

    fn block_tx_count(&self, snapshot: &Snapshot, id: BlockId) -> RpcResult<Box<RawValue>> {
        let Some(header) = resolve_header(snapshot, id)? else {
            return json(());
        };
        let (txs, _) = snapshot.body(header.number)?.unwrap_or_default();
        json(U64::from(txs.len()))
    }

    fn transaction_by_hash(
        &self,
        snapshot: &Snapshot,
        params: &Params<'_>,
    ) -> RpcResult<Box<RawValue>> {
        let hash: B256 = params.required(0, "transaction hash")?;
        if let Some(location) = snapshot.tx_location(&hash)? {
            return self.mined_transaction(snapshot, location.block, location.index as usize);
        }
        match self.pool.get(&hash) {
            Some(pooled) => json(rpc_transaction(
                pooled.tx.clone().into(),
                pooled.sender,
                None,
            )),
            None => json(()),
        }
    }

    fn transaction_by_block_and_index(
        &self,
        snapshot: &Snapshot,
        id: BlockId,
        index: usize,
    ) -> RpcResult<Box<RawValue>> {
        let Some(header) = resolve_header(snapshot, id)? else {
            return json(());
        };
        self.mined_transaction(snapshot, header.number, index)
    }

    fn mined_transaction(
        &self,
        snapshot: &Snapshot,
        number: u64,
        index: usize,
    ) -> RpcResult<Box<RawValue>> {
        let Some(header) = snapshot.sealed_header(number)? else {
            return json(());
        };
        let (mut txs, senders) = snapshot.body(number)?.unwrap_or_default();
        if index >= txs.len() || index >= senders.len() {
            return json(());
        }
        let tx = txs.swap_remove(index);
        json(rpc_transaction(
            tx,
            senders[index],
            Some(TxContext {
                header: &header,
                index,
            }),
        ))
    }

    fn transaction_receipt(
        &self,
        snapshot: &Snapshot,
        params: &Params<'_>,
    ) -> RpcResult<Box<RawValue>> {
        let hash: B256 = params.required(0, "transaction hash")?;
        let Some(location) = snapshot.tx_location(&hash)? else {
            return json(());
        };
        let block = block_parts(snapshot, location.block)?;
        json(rpc_receipt(&block, location.index as usize))
    }

    fn block_receipts(&self, snapshot: &Snapshot, params: &Params<'_>) -> RpcResult<Box<RawValue>> {
        let id: BlockId = params.required(0, "block")?;
        let Some(header) = resolve_header(snapshot, id)? else {
            return json(());
        };
        let block = block_parts(snapshot, header.number)?;
        let all: Vec<_> = (0..block.transactions.len())
            .filter_map(|i| rpc_receipt(&block, i))
            .collect();
        json(all)
    }

    fn logs(&self, snapshot: &Snapshot, params: &Params<'_>) -> RpcResult<Box<RawValue>> {
        let filter: Filter = params.required(0, "filter")?;
        json(self.logs_matching(snapshot, &filter)?)
    }

    /// The logs `filter` selects (`eth_getLogs`, `eth_getFilterLogs`), held to the block range
    /// and result limits.
    pub(crate) fn logs_matching(
        &self,
        snapshot: &Snapshot,
        filter: &Filter,
    ) -> RpcResult<Vec<Log>> {
        let (from, to) = match filter.block_option {
            FilterBlockOption::AtBlockHash(hash) => {
                let number = snapshot
                    .block_number(&hash)?
                    .ok_or_else(|| RpcError::server("unknown block"))?;
                (number, number)
            }
            FilterBlockOption::Range {
                from_block,
                to_block,
            } => {
                let head = snapshot.head_number()?;
                let resolve = |tag: Option<BlockNumberOrTag>| -> RpcResult<u64> {
                    match tag.unwrap_or_default() {
                        BlockNumberOrTag::Number(n) => Ok(n),
                        tag => Ok(resolve_number(snapshot, tag)?.unwrap_or(head)),
                    }
                };
                let (from, to) = (resolve(from_block)?, resolve(to_block)?);
                if from > head && from <= to {
                    // A range entirely in the future has no logs yet (as geth answers).
                    return Ok(Vec::new());
                }
                (from, to.min(head))
            }
        };
        if from > to {
            return Err(RpcError::invalid_params(
                "invalid block range params: fromBlock is after toBlock",
            ));
        }
        if to - from >= self.config.max_logs_range {
            return Err(RpcError::server(format!(
                "query exceeds max block range {}; split it into smaller ranges",
                self.config.max_logs_range
            )));
        }
        self.logs_in(snapshot, filter, from, to)
    }

    /// The logs of blocks `from..=to` that `filter`'s addresses and topics select (its block
    /// range is the caller's business), at most [`EthApiConfig::max_logs`].
    pub(crate) fn logs_in(
        &self,
        snapshot: &Snapshot,
        filter: &Filter,
        from: u64,
        to: u64,
    ) -> RpcResult<Vec<Log>> {
        let mut out: Vec<Log> = Vec::new();
        for number in from..=to {
            let Some(header) = snapshot.sealed_header(number)? else {
                break;
            };
            if !filter.matches_bloom(header.logs_bloom) {
                continue;
            }
            let (txs, _) = snapshot.body(number)?.unwrap_or_default();
            let receipts = snapshot.receipts(number)?.unwrap_or_default();
            out.extend(
                block_logs(&header, &txs, &receipts)
                    .into_iter()
                    .filter(|log| filter.matches(&log.inner)),
            );
            if out.len() > self.config.max_logs {
                return Err(RpcError::server(format!(
                    "query returned more than {} results; narrow the block range or filter",
                    self.config.max_logs
                )));
            }
        }
        Ok(out)
    }
}

fn block_parts(snapshot: &Snapshot, number: u64) -> RpcResult<BlockParts> {
    let missing = || RpcError::internal(format!("block {number} is incomplete in storage"));
    let header = snapshot.sealed_header(number)?.ok_or_else(missing)?;
    let (transactions, senders) = snapshot.body(number)?.ok_or_else(missing)?;
    let receipts = snapshot.receipts(number)?.ok_or_else(missing)?;
    Ok(BlockParts {
        header,
        transactions,
        senders,
        receipts,
        data_fee: snapshot.data_fee(number)?.unwrap_or_default(),
    })
}

/// The effective tips at `percentiles` of a block, weighted by gas used (geth's method).
fn rewards(
    txs: &[KeelTx],
    receipts: &[KeelReceipt],
    base_fee: u64,
    percentiles: &[f64],
) -> Vec<u128> {
    if txs.is_empty() {
        return vec![0; percentiles.len()];
    }
    let mut previous = 0;
    let mut tips: Vec<(u128, u64)> = txs
        .iter()
        .zip(receipts)
        .map(|(tx, receipt)| {
            let gas = receipt.cumulative_gas_used() - previous;
            previous = receipt.cumulative_gas_used();
            let tip = tx
                .as_ethereum()
                .and_then(|tx| tx.effective_tip_per_gas(base_fee))
                .unwrap_or_default();
            (tip, gas)
        })
        .collect();
    tips.sort_unstable_by_key(|(tip, _)| *tip);
    let total: u64 = tips.iter().map(|(_, gas)| gas).sum();
    percentiles
        .iter()
        .map(|p| {
            let threshold = (total as f64 * p / 100.0) as u64;
            let mut cumulative = 0;
            for (tip, gas) in &tips {
                cumulative += gas;
                if cumulative >= threshold {
                    return *tip;
                }
            }
            tips.last().map_or(0, |(tip, _)| *tip)
        })
        .collect()
}

/// State access the handlers need, object-safe so the latest (flat) and historical (trie)
/// readers can share handler code.
trait StateAccess {
    fn account_of(&self, address: &Address) -> RpcResult<Option<keel_primitives::TrieAccount>>;
    fn storage_of(&self, address: &Address, slot: &U256) -> RpcResult<U256>;
    fn code_of(&self, hash: &B256) -> RpcResult<Option<Bytes>>;
    fn simulate_call(
        &self,
        simulator: &Simulator<'_>,
        request: &CallRequest,
    ) -> RpcResult<CallOutcome>;
    fn simulate_estimate(
        &self,
        simulator: &Simulator<'_>,
        request: &CallRequest,
    ) -> RpcResult<Result<u64, CallOutcome>>;
}

impl<S: StateReader> StateAccess for S {
    fn account_of(&self, address: &Address) -> RpcResult<Option<keel_primitives::TrieAccount>> {
        self.account(address).map_err(RpcError::internal)
    }

    fn storage_of(&self, address: &Address, slot: &U256) -> RpcResult<U256> {
        self.storage(address, slot).map_err(RpcError::internal)
    }

    fn code_of(&self, hash: &B256) -> RpcResult<Option<Bytes>> {
        self.code(hash).map_err(RpcError::internal)
    }

    fn simulate_call(
        &self,
        simulator: &Simulator<'_>,
        request: &CallRequest,
    ) -> RpcResult<CallOutcome> {
        simulator.call(self, request).map_err(call_error)
    }

    fn simulate_estimate(
        &self,
        simulator: &Simulator<'_>,
        request: &CallRequest,
    ) -> RpcResult<Result<u64, CallOutcome>> {
        simulator.estimate_gas(self, request).map_err(call_error)
    }
}

fn call_error(e: EvmError) -> RpcError {
    match e {
        EvmError::InvalidCall(invalid) => RpcError::server(invalid),
        other => RpcError::internal(other),
    }
}

impl RpcModule for EthApi {
    type Context = Snapshot;

    fn begin(&self) -> RpcResult<Snapshot> {
        Ok(self.storage.snapshot()?)
    }

    fn subscriptions(&self) -> Option<&EthApi> {
        Some(self)
    }

    fn dispatch(
        &self,
        snapshot: &Snapshot,
        method: &str,
        params: &Params<'_>,
    ) -> RpcResult<Box<RawValue>> {
        match method {
            "eth_chainId" => json(U64::from(self.config.spec.chain_id)),
            "net_version" => json(self.config.spec.chain_id.to_string()),
            "net_listening" => json(true),
            "net_peerCount" => json(U64::ZERO),
            "web3_clientVersion" => json(&self.config.client_version),
            "eth_syncing" => json(false),
            "eth_accounts" => json(Vec::<Address>::new()),
            "eth_blockNumber" => json(U64::from(snapshot.head_number()?)),
            "eth_getBalance" => self.get_balance(snapshot, params),
            "eth_getTransactionCount" => self.get_transaction_count(snapshot, params),
            "eth_getCode" => self.get_code(snapshot, params),
            "eth_getStorageAt" => self.get_storage_at(snapshot, params),
            "eth_getProof" => self.get_proof(snapshot, params),
            "eth_sendRawTransaction" => self.send_raw_transaction(snapshot, params),
            "keel_sendForwardedTransaction" => self.send_forwarded_transaction(snapshot, params),
            "keel_sequencing" => self.sequencing(),
            "txpool_status" => {
                let content = self.pool.content();
                json(serde_json::json!({
                    "pending": U64::from(content.pending.len()),
                    "queued": U64::from(content.queued.len()),
                }))
            }
            "txpool_content" => json(self.txpool_content()),
            "debug_traceTransaction" => self.trace_transaction(snapshot, params),
            "debug_traceBlockByNumber" => self.trace_block(snapshot, params),
            "debug_traceCall" => self.trace_call(snapshot, params),
            "eth_createAccessList" => self.create_access_list(snapshot, params),
            "eth_call" => self.call(snapshot, params),
            "eth_estimateGas" => self.estimate_gas(snapshot, params),
            "eth_gasPrice" => json(U256::from(
                self.next_base_fee(snapshot)? as u128 + self.config.suggested_tip,
            )),
            "eth_maxPriorityFeePerGas" => json(U256::from(self.config.suggested_tip)),
            "eth_feeHistory" => self.fee_history(snapshot, params),
            "eth_getBlockByNumber" => {
                let tag: BlockNumberOrTag = params.required(0, "block number")?;
                let full: bool = params.optional(1, "full transactions")?.unwrap_or(false);
                self.block(snapshot, BlockId::Number(tag), full)
            }
            "eth_getBlockByHash" => {
                let hash: B256 = params.required(0, "block hash")?;
                let full: bool = params.optional(1, "full transactions")?.unwrap_or(false);
                self.block(snapshot, BlockId::from(hash), full)
            }
            "eth_getBlockTransactionCountByNumber" => {
                let tag: BlockNumberOrTag = params.required(0, "block number")?;
                self.block_tx_count(snapshot, BlockId::Number(tag))
            }
            "eth_getBlockTransactionCountByHash" => {
                let hash: B256 = params.required(0, "block hash")?;
                self.block_tx_count(snapshot, BlockId::from(hash))
            }
            "eth_getTransactionByHash" => self.transaction_by_hash(snapshot, params),
            "eth_getTransactionByBlockNumberAndIndex" => {
                let tag: BlockNumberOrTag = params.required(0, "block number")?;
                let index: U64 = params.required(1, "index")?;
                self.transaction_by_block_and_index(snapshot, BlockId::Number(tag), index.to())
            }
            "eth_getTransactionByBlockHashAndIndex" => {
                let hash: B256 = params.required(0, "block hash")?;
                let index: U64 = params.required(1, "index")?;
                self.transaction_by_block_and_index(snapshot, BlockId::from(hash), index.to())
            }
            "eth_getTransactionReceipt" => self.transaction_receipt(snapshot, params),
            "eth_getBlockReceipts" => self.block_receipts(snapshot, params),
            "eth_getLogs" => self.logs(snapshot, params),
            "eth_newFilter" => {
                let filter: Filter = params.required(0, "filter")?;
                self.filters.install_logs(snapshot, filter)
            }
            "eth_newBlockFilter" => self.filters.install_blocks(snapshot),
            "eth_newPendingTransactionFilter" => self.filters.install_pending(self),
            "eth_getFilterChanges" => {
                let id: U256 = params.required(0, "filter id")?;
                self.filters.changes(self, snapshot, id)
            }
            "eth_getFilterLogs" => {
                let id: U256 = params.required(0, "filter id")?;
                let filter = self.filters.log_filter(id)?;
                json(self.logs_matching(snapshot, &filter)?)
            }
            "eth_subscribe" | "eth_unsubscribe" => Err(RpcError::server(
                "notifications not supported: subscribe over a WebSocket (ws://) to this port, \
                 one call per frame",
            )),
            "eth_uninstallFilter" => {
                let id: U256 = params.required(0, "filter id")?;
                json(self.filters.uninstall(id))
            }
            "keel_getBlockPlugins" => crate::plugins::get_block_plugins(snapshot, params),
            "keel_pluginHistory" => crate::plugins::plugin_history(snapshot, params),
            "keel_getBatch" => crate::batches::get_batch(snapshot, params),
            "keel_latestBatch" => crate::batches::latest_batch(snapshot),
            "keel_getWithdrawalProof" => crate::batches::withdrawal_proof(snapshot, params),
            _ => Err(RpcError::method_not_found(method)),
        }
    }
}
