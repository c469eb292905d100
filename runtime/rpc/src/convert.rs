//! Building RPC objects (blocks, transactions, receipts, logs) from stored data.

use alloy_consensus::{
    Header, ReceiptEnvelope, Sealed, Transaction as _, TxEnvelope, transaction::Recovered,
};
use alloy_primitives::{Address, B256, U256};
use alloy_rlp::Encodable;
use alloy_rpc_types_eth::{
    Block, BlockTransactions, Header as RpcHeader, Log, Transaction, TransactionReceipt,
};

/// Where a transaction sits, for the block fields of RPC objects.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TxContext<'a> {
    pub(crate) header: &'a Sealed<Header>,
    pub(crate) index: usize,
}

/// A mined transaction as RPC returns it.
pub(crate) fn rpc_transaction(
    tx: TxEnvelope,
    sender: Address,
    at: Option<TxContext<'_>>,
) -> Transaction {
    let effective_gas_price = at.map(|at| tx.effective_gas_price(at.header.base_fee_per_gas));
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
    transactions: Vec<TxEnvelope>,
    senders: Vec<Address>,
    full: bool,
) -> Block {
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
        BlockTransactions::Hashes(transactions.iter().map(|tx| *tx.tx_hash()).collect())
    };
    Block {
        header: RpcHeader::from_consensus(header, None, Some(U256::from(size))),
        uncles: Vec::new(),
        transactions,
        withdrawals: None,
    }
}

/// RLP size of the block, as `size` reports it.
fn block_size(header: &Header, transactions: &[TxEnvelope]) -> usize {
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

/// The receipt of the transaction at `index` of a block.
pub(crate) fn rpc_receipt(
    header: &Sealed<Header>,
    transactions: &[TxEnvelope],
    senders: &[Address],
    receipts: &[ReceiptEnvelope],
    index: usize,
) -> Option<TransactionReceipt> {
    let tx = transactions.get(index)?;
    let sender = *senders.get(index)?;
    let receipt = receipts.get(index)?;
    let previous_cumulative = index
        .checked_sub(1)
        .and_then(|i| receipts.get(i))
        .map_or(0, |r| r.cumulative_gas_used());
    let first_log_index: usize = receipts[..index].iter().map(|r| r.logs().len()).sum();
    let tx_hash = *tx.tx_hash();
    let mut log_index = first_log_index as u64;
    let inner = receipt.clone().map_logs(|log| {
        let log = rpc_log(log, header, tx_hash, index, log_index);
        log_index += 1;
        log
    });
    let contract_address = tx.kind().is_create().then(|| sender.create(tx.nonce()));
    Some(TransactionReceipt {
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
    })
}

/// All logs of a block with their positions, for `eth_getLogs`.
pub(crate) fn block_logs(
    header: &Sealed<Header>,
    transactions: &[TxEnvelope],
    receipts: &[ReceiptEnvelope],
) -> Vec<Log> {
    let mut out = Vec::new();
    let mut log_index = 0u64;
    for (index, (tx, receipt)) in transactions.iter().zip(receipts).enumerate() {
        for log in receipt.logs() {
            out.push(rpc_log(
                log.clone(),
                header,
                *tx.tx_hash(),
                index,
                log_index,
            ));
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
