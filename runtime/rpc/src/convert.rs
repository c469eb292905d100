//! Building RPC objects (blocks, transactions, receipts, logs) from stored data.
//!
//! Signed transactions are served exactly as Ethereum nodes serve them. A deposit (type
//! `0x7e`, see [`keel_primitives::DepositTx`]) has no Ethereum RPC form; it is served as an
//! object of that type with `from` = its L1 sender, `to` = its L2 recipient, `nonce` = its
//! deposit id and no gas, as the OP stack serves its own deposits. Clients that decode every
//! transaction type strictly (alloy's `Ethereum` network) read blocks with deposits through
//! hashes, or with a network that accepts unknown types (`AnyNetwork`).

use alloy_consensus::{Header, Sealed, Transaction as _, TxEnvelope, transaction::Recovered};
use alloy_eips::Encodable2718;
use alloy_primitives::{Address, B256, Bloom, Bytes, U8, U64, U256};
use alloy_rlp::Encodable;
use alloy_rpc_types_eth::{
    Block, BlockTransactions, Header as RpcHeader, Log, Transaction, TransactionReceipt,
};
use keel_primitives::{DEPOSIT_TX_TYPE, DataFee, DepositTx, KeelReceipt, KeelTx};
use serde::Serialize;

/// A transaction as RPC returns it.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub(crate) enum RpcTransaction {
    /// A signed Ethereum transaction, in Ethereum's form.
    Ethereum(Box<Transaction>),
    /// An L1 deposit.
    Deposit(DepositView),
}

/// An L1 message (deposit or call from L1) as RPC returns it, with OP Stack's deposit
/// transaction field names (`sourceHash` aside).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DepositView {
    #[serde(rename = "type")]
    ty: U8,
    hash: B256,
    /// The L2 account it runs as (the L1 sender, aliased for a contract).
    from: Address,
    /// The L2 account credited or called.
    to: Address,
    value: U256,
    /// Wei paid on L1 and minted to `from`.
    mint: U256,
    /// Who sent it on L1.
    l1_sender: Address,
    /// The queue index (messages have no nonce).
    nonce: U64,
    deposit_id: U64,
    /// Whether the bridge rules refused it (its value goes back to `l1Sender` on L1).
    refund: bool,
    gas: U64,
    gas_price: U64,
    input: Bytes,
    block_hash: Option<B256>,
    block_number: Option<U64>,
    transaction_index: Option<U64>,
}

/// A receipt as RPC returns it.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub(crate) enum RpcReceipt {
    /// The receipt of a signed transaction, in Ethereum's form with the L1 data fee added.
    Ethereum(Box<EthereumReceiptView>),
    /// The receipt of an L1 message: a deposit's always succeeds and uses no gas; a call's
    /// has its status, gas and logs.
    Deposit(DepositReceiptView),
}

/// A signed transaction's receipt: Ethereum's fields, and what it paid for its data on L1
/// under OP Stack's names (`l1Fee`, `l1BlobBaseFee`), so that wallets and explorers made for
/// OP Stack chains show it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EthereumReceiptView {
    #[serde(flatten)]
    receipt: TransactionReceipt,
    /// The L1 data fee the transaction paid, in wei (on top of `gasUsed × effectiveGasPrice`).
    l1_fee: U256,
    /// The L1 blob base fee the block's data price was set from.
    l1_blob_base_fee: U64,
    /// The block's data price, in wei per 1,000 bytes of a signed transaction.
    l1_data_price: U64,
}

/// A stored block's parts, as receipts are built from them.
#[derive(Debug)]
pub(crate) struct BlockParts {
    pub(crate) header: Sealed<Header>,
    pub(crate) transactions: Vec<KeelTx>,
    pub(crate) senders: Vec<Address>,
    pub(crate) receipts: Vec<KeelReceipt>,
    pub(crate) data_fee: DataFee,
}

/// An L1 message's receipt as RPC returns it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DepositReceiptView {
    #[serde(rename = "type")]
    ty: U8,
    status: U64,
    cumulative_gas_used: U64,
    gas_used: U64,
    effective_gas_price: U64,
    logs: Vec<Log>,
    logs_bloom: Bloom,
    transaction_hash: B256,
    transaction_index: U64,
    block_hash: B256,
    block_number: U64,
    from: Address,
    to: Address,
    contract_address: Option<Address>,
    deposit_id: U64,
}

fn deposit_view(hash: B256, deposit: &DepositTx, at: Option<TxContext<'_>>) -> DepositView {
    DepositView {
        ty: U8::from(DEPOSIT_TX_TYPE),
        hash,
        from: deposit.from,
        to: deposit.recipient,
        value: deposit.value,
        mint: deposit.mint,
        l1_sender: deposit.l1_sender,
        nonce: U64::from(deposit.deposit_id),
        deposit_id: U64::from(deposit.deposit_id),
        refund: deposit.refund,
        gas: U64::from(deposit.gas_limit),
        gas_price: U64::ZERO,
        input: deposit.data.clone(),
        block_hash: at.map(|at| at.header.hash()),
        block_number: at.map(|at| U64::from(at.header.number)),
        transaction_index: at.map(|at| U64::from(at.index)),
    }
}

/// Where a transaction sits, for the block fields of RPC objects.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TxContext<'a> {
    pub(crate) header: &'a Sealed<Header>,
    pub(crate) index: usize,
}

/// A transaction as RPC returns it; `at` is where it was mined, `None` while pooled.
pub(crate) fn rpc_transaction(
    tx: KeelTx,
    sender: Address,
    at: Option<TxContext<'_>>,
) -> RpcTransaction {
    match tx {
        KeelTx::Ethereum(tx) => {
            RpcTransaction::Ethereum(Box::new(ethereum_transaction(tx, sender, at)))
        }
        KeelTx::Deposit(deposit) => {
            RpcTransaction::Deposit(deposit_view(deposit.hash(), deposit.inner(), at))
        }
    }
}

fn ethereum_transaction(tx: TxEnvelope, sender: Address, at: Option<TxContext<'_>>) -> Transaction {
    // A pooled transaction's `gasPrice` is its fee cap, as geth and anvil answer.
    let effective_gas_price =
        Some(tx.effective_gas_price(at.and_then(|at| at.header.base_fee_per_gas)));
    Transaction {
        inner: Recovered::new_unchecked(tx, sender),
        block_hash: at.map(|at| at.header.hash()),
        block_number: at.map(|at| at.header.number),
        transaction_index: at.map(|at| at.index as u64),
        effective_gas_price,
        block_timestamp: at.map(|at| at.header.timestamp),
    }
}

/// A block as RPC returns it, with full transactions or only their hashes.
pub(crate) fn rpc_block(
    header: Sealed<Header>,
    transactions: Vec<KeelTx>,
    senders: Vec<Address>,
    full: bool,
) -> Block<RpcTransaction> {
    let size = block_size(header.inner(), &transactions);
    let transactions = if full {
        BlockTransactions::Full(
            transactions
                .into_iter()
                .zip(senders)
                .enumerate()
                .map(|(index, (tx, sender))| {
                    rpc_transaction(
                        tx,
                        sender,
                        Some(TxContext {
                            header: &header,
                            index,
                        }),
                    )
                })
                .collect(),
        )
    } else {
        BlockTransactions::Hashes(transactions.iter().map(KeelTx::hash).collect())
    };
    Block {
        header: RpcHeader::from_consensus(header, None, Some(U256::from(size))),
        uncles: Vec::new(),
        transactions,
        withdrawals: None,
    }
}

/// RLP size of the block, as `size` reports it.
fn block_size(header: &Header, transactions: &[KeelTx]) -> usize {
    let body_len: usize = transactions.iter().map(Encodable::length).sum::<usize>();
    let list_header = alloy_rlp::Header {
        list: true,
        payload_length: body_len,
    }
    .length();
    // [header, transactions, ommers(empty list)]
    let payload = header.length() + list_header + body_len + 1;
    alloy_rlp::Header {
        list: true,
        payload_length: payload,
    }
    .length()
        + payload
}

/// The receipt of the transaction at `index` of `block`.
pub(crate) fn rpc_receipt(block: &BlockParts, index: usize) -> Option<RpcReceipt> {
    let BlockParts {
        header,
        transactions,
        senders,
        receipts,
        data_fee,
    } = block;
    let sender = *senders.get(index)?;
    let previous_cumulative = index
        .checked_sub(1)
        .and_then(|i| receipts.get(i))
        .map_or(0, |r| r.cumulative_gas_used());
    let (tx, receipt) = match (transactions.get(index)?, receipts.get(index)?) {
        (KeelTx::Ethereum(tx), KeelReceipt::Ethereum(receipt)) => (tx, receipt),
        (KeelTx::Deposit(deposit), receipt) => {
            let first_log_index: usize = receipts[..index].iter().map(|r| r.logs().len()).sum();
            let logs = receipt
                .logs()
                .iter()
                .enumerate()
                .map(|(i, log)| {
                    rpc_log(
                        log.clone(),
                        header,
                        deposit.hash(),
                        index,
                        (first_log_index + i) as u64,
                    )
                })
                .collect();
            return Some(RpcReceipt::Deposit(DepositReceiptView {
                ty: U8::from(DEPOSIT_TX_TYPE),
                status: U64::from(receipt.success()),
                cumulative_gas_used: U64::from(receipt.cumulative_gas_used()),
                gas_used: U64::from(receipt.cumulative_gas_used() - previous_cumulative),
                effective_gas_price: U64::ZERO,
                logs,
                logs_bloom: receipt.logs_bloom(),
                transaction_hash: deposit.hash(),
                transaction_index: U64::from(index),
                block_hash: header.hash(),
                block_number: U64::from(header.number),
                from: deposit.from,
                to: deposit.recipient,
                contract_address: None,
                deposit_id: U64::from(deposit.deposit_id),
            }));
        }
        // Storage pairs each transaction with a receipt of its own kind.
        (KeelTx::Ethereum(_), KeelReceipt::Deposit(_)) => return None,
    };
    let first_log_index: usize = receipts[..index].iter().map(|r| r.logs().len()).sum();
    let tx_hash = *tx.tx_hash();
    let mut log_index = first_log_index as u64;
    let inner = receipt.clone().map_logs(|log| {
        let log = rpc_log(log, header, tx_hash, index, log_index);
        log_index += 1;
        log
    });
    let contract_address = tx.kind().is_create().then(|| sender.create(tx.nonce()));
    Some(RpcReceipt::Ethereum(Box::new(EthereumReceiptView {
        receipt: TransactionReceipt {
            inner,
            transaction_hash: tx_hash,
            transaction_index: Some(index as u64),
            block_hash: Some(header.hash()),
            block_number: Some(header.number),
            gas_used: receipt.cumulative_gas_used() - previous_cumulative,
            effective_gas_price: tx.effective_gas_price(header.base_fee_per_gas),
            blob_gas_used: None,
            blob_gas_price: None,
            from: sender,
            to: tx.to(),
            contract_address,
        },
        l1_fee: data_fee.fee(tx.encode_2718_len()),
        l1_blob_base_fee: U64::from(data_fee.l1_blob_base_fee),
        l1_data_price: U64::from(data_fee.price),
    })))
}

/// All logs of a block with their positions, for `eth_getLogs`.
pub(crate) fn block_logs(
    header: &Sealed<Header>,
    transactions: &[KeelTx],
    receipts: &[KeelReceipt],
) -> Vec<Log> {
    let mut out = Vec::new();
    let mut log_index = 0u64;
    for (index, (tx, receipt)) in transactions.iter().zip(receipts).enumerate() {
        for log in receipt.logs() {
            out.push(rpc_log(log.clone(), header, tx.hash(), index, log_index));
            log_index += 1;
        }
    }
    out
}

/// A log with its position in the chain: transaction `tx_index` of `header`'s block, `log_index`
/// counted across the whole block.
fn rpc_log(
    log: alloy_primitives::Log,
    header: &Sealed<Header>,
    tx_hash: B256,
    tx_index: usize,
    log_index: u64,
) -> Log {
    Log {
        inner: log,
        block_hash: Some(header.hash()),
        block_number: Some(header.number),
        block_timestamp: Some(header.timestamp),
        transaction_hash: Some(tx_hash),
        transaction_index: Some(tx_index as u64),
        log_index: Some(log_index),
        removed: false,
    }
}
