//! 200 pre-signed value transfers from the ten dev accounts (EIP-1559 and legacy EIP-155), then
//! an ERC-20: receipts, exact balances and nonces, blocks, `eth_getLogs`, reverts.

use std::{collections::BTreeMap, time::Duration};

use alloy::{
    consensus::{Transaction as _, TxEnvelope},
    eips::BlockNumberOrTag,
    primitives::{Address, Bytes, TxHash, U256},
    providers::{DynProvider, Provider},
    rpc::types::{Block, Filter, TransactionReceipt},
    sol_types::SolEvent,
};
use eyre::{OptionExt, WrapErr, bail, ensure};
use keel_e2e::{
    CHAIN_ID, DEV_ADDRESSES, DEV_BALANCE, KeelNode, KeelNodeOptions,
    contracts::TestToken,
    derived_address, dev_accounts,
    rpc_error::{contract_error_object, revert_reason},
    tx::{Fees, TRANSFER_GAS, encode, sign, suggest_fees, transfer_1559, transfer_legacy},
    wait::{wait_for_receipt, wait_for_receipts},
};
use tokio::task::JoinSet;

const BLOCK_TIME: &str = "200ms";
const TXS_PER_ACCOUNT: u64 = 20;
/// Recipients are shared: each gets several transfers from different senders.
const RECIPIENTS: u64 = 50;
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);
const ETHER: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

#[tokio::test(flavor = "multi_thread")]
async fn transfers_and_erc20() -> eyre::Result<()> {
    let node = KeelNode::spawn(KeelNodeOptions::new().block_time(BLOCK_TIME)).await?;
    let result = async {
        value_transfers(&node).await.wrap_err("value transfers")?;
        erc20(&node).await.wrap_err("ERC-20")
    }
    .await;
    node.finish(result)
}

/// One pre-signed transfer.
#[derive(Debug)]
struct Planned {
    sender: usize,
    nonce: u64,
    to: Address,
    value: U256,
    tx: TxEnvelope,
}

impl Planned {
    fn hash(&self) -> TxHash {
        *self.tx.tx_hash()
    }
}

async fn value_transfers(node: &KeelNode) -> eyre::Result<()> {
    let provider = node.provider();
    assert_eq!(provider.get_chain_id().await?, CHAIN_ID, "eth_chainId");
    let accounts = dev_accounts();
    for address in DEV_ADDRESSES {
        assert_eq!(
            provider.get_balance(address).await?,
            DEV_BALANCE,
            "genesis balance of {address}"
        );
        assert_eq!(
            provider.get_transaction_count(address).await?,
            0,
            "genesis nonce of {address}"
        );
    }
    let start_block = provider.get_block_number().await?;
    let fees = suggest_fees(&provider).await?;

    // Pre-sign all 200 transfers: varying values, every fourth one legacy.
    let mut planned = Vec::new();
    for (sender, signer) in accounts.iter().enumerate() {
        for nonce in 0..TXS_PER_ACCOUNT {
            let k = sender as u64 * TXS_PER_ACCOUNT + nonce;
            let to = derived_address("transfers", (k * 7) % RECIPIENTS);
            // 0.001 ETH × (k + 1), plus k wei so that no two values are alike.
            let value = U256::from(1_000_000_000_000_000u64 * (k + 1) + k);
            let tx = if (nonce + sender as u64) % 4 == 3 {
                sign(
                    signer,
                    transfer_legacy(CHAIN_ID, nonce, to, value, fees.gas_price()),
                )?
            } else {
                sign(signer, transfer_1559(CHAIN_ID, nonce, to, value, fees))?
            };
            planned.push(Planned {
                sender,
                nonce,
                to,
                value,
                tx,
            });
        }
    }

    // Send everything before waiting for anything: one task per sender, each in nonce order.
    let mut sends = JoinSet::new();
    for sender in 0..accounts.len() {
        let provider = provider.clone();
        let raw: Vec<(TxHash, Bytes)> = planned
            .iter()
            .filter(|p| p.sender == sender)
            .map(|p| (p.hash(), encode(&p.tx)))
            .collect();
        sends.spawn(async move {
            for (hash, raw) in raw {
                let pending = provider
                    .send_raw_transaction(&raw)
                    .await
                    .wrap_err_with(|| format!("eth_sendRawTransaction of {hash} ({raw})"))?;
                ensure!(
                    *pending.tx_hash() == hash,
                    "eth_sendRawTransaction returned {} for {hash}",
                    pending.tx_hash()
                );
            }
            eyre::Ok(())
        });
    }
    while let Some(sent) = sends.join_next().await {
        sent??;
    }

    let hashes: Vec<TxHash> = planned.iter().map(Planned::hash).collect();
    let receipts = wait_for_receipts(&provider, &hashes, RECEIPT_TIMEOUT).await?;

    let mut blocks: BTreeMap<u64, Block> = BTreeMap::new();
    for (p, receipt) in planned.iter().zip(&receipts) {
        check_transfer(&provider, &mut blocks, p, receipt, fees, start_block).await?;
    }
    check_block_sequence(&provider, &mut blocks, &receipts, start_block).await?;

    // Per sender: nonce order is inclusion order.
    for (sender, address) in DEV_ADDRESSES.iter().enumerate() {
        let positions: Vec<(u64, u64)> = planned
            .iter()
            .zip(&receipts)
            .filter(|(p, _)| p.sender == sender)
            .map(|(_, r)| {
                (
                    r.block_number.unwrap_or_default(),
                    r.transaction_index.unwrap_or_default(),
                )
            })
            .collect();
        ensure!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "transactions of {address} were not included in nonce order: (block, index) = {positions:?}"
        );
    }

    // Exact balances and nonces.
    for (sender, address) in DEV_ADDRESSES.iter().enumerate() {
        let spent = planned
            .iter()
            .zip(&receipts)
            .filter(|(p, _)| p.sender == sender)
            .fold(U256::ZERO, |acc, (p, r)| {
                acc + p.value + U256::from(u128::from(r.gas_used) * r.effective_gas_price)
            });
        assert_eq!(
            provider.get_balance(*address).await?,
            DEV_BALANCE - spent,
            "balance of sender {address}"
        );
        assert_eq!(
            provider.get_transaction_count(*address).latest().await?,
            TXS_PER_ACCOUNT,
            "latest nonce of {address}"
        );
        assert_eq!(
            provider.get_transaction_count(*address).pending().await?,
            TXS_PER_ACCOUNT,
            "pending nonce of {address}"
        );
    }
    let mut received: BTreeMap<Address, U256> = BTreeMap::new();
    for p in &planned {
        *received.entry(p.to).or_default() += p.value;
    }
    assert_eq!(received.len() as u64, RECIPIENTS);
    for (address, value) in received {
        assert_eq!(
            provider.get_balance(address).await?,
            value,
            "balance of recipient {address}"
        );
        assert_eq!(
            provider.get_transaction_count(address).await?,
            0,
            "nonce of recipient {address}"
        );
    }
    Ok(())
}

/// Receipt, `eth_getTransactionByHash` and the block of one transfer agree with what was sent.
async fn check_transfer(
    provider: &DynProvider,
    blocks: &mut BTreeMap<u64, Block>,
    p: &Planned,
    receipt: &TransactionReceipt,
    fees: Fees,
    start_block: u64,
) -> eyre::Result<()> {
    let hash = p.hash();
    let from = DEV_ADDRESSES[p.sender];
    assert!(
        receipt.status(),
        "receipt of {hash} has status 0: {receipt:?}"
    );
    assert_eq!(receipt.transaction_hash, hash);
    assert_eq!(receipt.from, from, "receipt.from of {hash}");
    assert_eq!(receipt.to, Some(p.to), "receipt.to of {hash}");
    assert_eq!(receipt.gas_used, TRANSFER_GAS, "gasUsed of {hash}");
    assert_eq!(receipt.contract_address, None, "contractAddress of {hash}");
    assert!(
        receipt.logs().is_empty(),
        "logs of {hash}: {:?}",
        receipt.logs()
    );
    let number = receipt
        .block_number
        .ok_or_eyre("receipt without blockNumber")?;
    let block_hash = receipt.block_hash.ok_or_eyre("receipt without blockHash")?;
    let index = receipt
        .transaction_index
        .ok_or_eyre("receipt without transactionIndex")?;
    ensure!(
        number > start_block,
        "{hash} is in block {number}, before the test started (block {start_block})"
    );

    let block = fetch_block(provider, blocks, number).await?;
    assert_eq!(
        block.header.hash, block_hash,
        "hash of block {number} vs receipt of {hash}"
    );
    let txs = block
        .transactions
        .as_transactions()
        .ok_or_eyre("block without full transactions")?;
    let in_block = txs.get(usize::try_from(index)?).ok_or_else(|| {
        eyre::eyre!(
            "block {number} has {} transactions, receipt of {hash} says index {index}",
            txs.len()
        )
    })?;
    assert_eq!(
        *in_block.inner.tx_hash(),
        hash,
        "transaction {index} of block {number}"
    );
    assert_eq!(
        in_block.block_hash,
        Some(block_hash),
        "blockHash of {hash} in the full block"
    );

    let base_fee = u128::from(
        block
            .header
            .base_fee_per_gas
            .ok_or_eyre("block without baseFeePerGas")?,
    );
    let expected_price = match &p.tx {
        TxEnvelope::Legacy(_) => fees.gas_price(),
        _ => fees
            .max_fee_per_gas
            .min(base_fee + fees.max_priority_fee_per_gas),
    };
    assert_eq!(
        receipt.effective_gas_price, expected_price,
        "effectiveGasPrice of {hash} (base fee {base_fee})"
    );

    let tx = provider
        .get_transaction_by_hash(hash)
        .await?
        .ok_or_else(|| eyre::eyre!("eth_getTransactionByHash({hash}) returned null"))?;
    assert_eq!(
        tx.block_hash,
        Some(block_hash),
        "eth_getTransactionByHash({hash}).blockHash"
    );
    assert_eq!(
        tx.block_number,
        Some(number),
        "eth_getTransactionByHash({hash}).blockNumber"
    );
    assert_eq!(
        tx.transaction_index,
        Some(index),
        "eth_getTransactionByHash({hash}).transactionIndex"
    );
    assert_eq!(
        tx.inner.signer(),
        from,
        "eth_getTransactionByHash({hash}).from"
    );
    assert_eq!(
        tx.inner.nonce(),
        p.nonce,
        "eth_getTransactionByHash({hash}).nonce"
    );
    assert_eq!(
        tx.inner.inner(),
        &p.tx,
        "eth_getTransactionByHash({hash}) is not the signed transaction that was sent"
    );
    Ok(())
}

/// Blocks from the test's start to its last transfer link up, and hold exactly our transfers.
async fn check_block_sequence(
    provider: &DynProvider,
    blocks: &mut BTreeMap<u64, Block>,
    receipts: &[TransactionReceipt],
    start_block: u64,
) -> eyre::Result<()> {
    let last = *blocks.keys().next_back().ok_or_eyre("no blocks")?;
    let mut prev = fetch_block(provider, blocks, start_block).await?;
    for number in start_block + 1..=last {
        let block = fetch_block(provider, blocks, number).await?;
        let header = &block.header;
        assert_eq!(
            header.number, number,
            "eth_getBlockByNumber({number}).number"
        );
        assert_eq!(
            header.parent_hash, prev.header.hash,
            "parentHash of block {number}"
        );
        ensure!(
            header.timestamp >= prev.header.timestamp,
            "timestamp of block {number} goes back"
        );
        ensure!(
            !DEV_ADDRESSES.contains(&header.beneficiary),
            "block {number}'s fee recipient is dev account {}; the balance checks assume fees go elsewhere",
            header.beneficiary
        );
        let ours = receipts
            .iter()
            .filter(|r| r.block_number == Some(number))
            .count();
        assert_eq!(
            block.transactions.len(),
            ours,
            "transactions in block {number}"
        );
        assert_eq!(
            header.gas_used,
            TRANSFER_GAS * ours as u64,
            "gasUsed of block {number}"
        );
        let by_hash = provider
            .get_block_by_hash(header.hash)
            .await?
            .ok_or_else(|| eyre::eyre!("eth_getBlockByHash({}) returned null", header.hash))?;
        assert_eq!(
            by_hash.header, block.header,
            "eth_getBlockByHash vs eth_getBlockByNumber for block {number}"
        );
        prev = block;
    }
    Ok(())
}

/// Block `number` with full transactions, fetched once.
async fn fetch_block(
    provider: &DynProvider,
    blocks: &mut BTreeMap<u64, Block>,
    number: u64,
) -> eyre::Result<Block> {
    if let Some(block) = blocks.get(&number) {
        return Ok(block.clone());
    }
    let block = provider
        .get_block_by_number(BlockNumberOrTag::Number(number))
        .full()
        .await?
        .ok_or_else(|| eyre::eyre!("eth_getBlockByNumber({number}, true) returned null"))?;
    blocks.insert(number, block.clone());
    Ok(block)
}

async fn erc20(node: &KeelNode) -> eyre::Result<()> {
    let provider = node.dev_provider();
    let owner = DEV_ADDRESSES[0];
    let supply = U256::from(1_000_000u64) * ETHER;

    let deploy = TestToken::deploy_builder(
        provider.clone(),
        "Keel Test Token".into(),
        "KTT".into(),
        supply,
    )
    .send()
    .await?;
    let deployed = wait_for_receipt(&provider, *deploy.tx_hash(), RECEIPT_TIMEOUT).await?;
    assert!(deployed.status(), "deployment reverted: {deployed:?}");
    let address = deployed
        .contract_address
        .ok_or_eyre("deployment receipt without contractAddress")?;
    assert_eq!(
        provider.get_code_at(address).await?,
        TestToken::DEPLOYED_BYTECODE,
        "eth_getCode of TestToken"
    );

    let token = TestToken::new(address, provider.clone());
    assert_eq!(token.name().call().await?, "Keel Test Token");
    assert_eq!(token.symbol().call().await?, "KTT");
    assert_eq!(token.decimals().call().await?, 18);
    assert_eq!(token.totalSupply().call().await?, supply);
    assert_eq!(token.balanceOf(owner).call().await?, supply);

    // Transfers, one block after another.
    let transfers = [
        (DEV_ADDRESSES[1], U256::from(1_000u64) * ETHER),
        (
            DEV_ADDRESSES[2],
            U256::from(2_505u64) * ETHER / U256::from(10u64),
        ),
        (DEV_ADDRESSES[3], U256::from(1u64)),
    ];
    let mut transfer_receipts = Vec::new();
    for (to, amount) in transfers {
        let pending = token.transfer(to, amount).send().await?;
        let receipt = wait_for_receipt(&provider, *pending.tx_hash(), RECEIPT_TIMEOUT).await?;
        assert!(
            receipt.status(),
            "token transfer to {to} reverted: {receipt:?}"
        );
        let [log] = receipt.logs() else {
            bail!("expected one log in {receipt:?}")
        };
        let event = log.log_decode::<TestToken::Transfer>()?.inner.data;
        assert_eq!(
            (event.from, event.to, event.value),
            (owner, to, amount),
            "Transfer event in the receipt"
        );
        transfer_receipts.push(receipt);
    }
    let spent = transfers
        .iter()
        .fold(U256::ZERO, |acc, (_, amount)| acc + amount);
    assert_eq!(
        token.balanceOf(owner).call().await?,
        supply - spent,
        "token balance of the owner"
    );
    for (to, amount) in transfers {
        assert_eq!(
            token.balanceOf(to).call().await?,
            amount,
            "token balance of {to}"
        );
    }
    assert_eq!(token.balanceOf(DEV_ADDRESSES[4]).call().await?, U256::ZERO);
    assert_eq!(token.totalSupply().call().await?, supply);

    check_transfer_logs(
        &provider,
        address,
        &deployed,
        &transfer_receipts,
        supply,
        &transfers,
    )
    .await?;
    check_reverts(&provider, &token).await
}

/// `eth_getLogs` by address + topic, by indexed argument, by block range and by block hash.
async fn check_transfer_logs(
    provider: &DynProvider,
    token: Address,
    deployed: &TransactionReceipt,
    transfer_receipts: &[TransactionReceipt],
    supply: U256,
    transfers: &[(Address, U256)],
) -> eyre::Result<()> {
    let owner = DEV_ADDRESSES[0];
    let deploy_block = deployed
        .block_number
        .ok_or_eyre("receipt without blockNumber")?;
    ensure!(deploy_block > 0, "TestToken deployed in the genesis block?");
    let head = provider.get_block_number().await?;
    let transfer_filter = Filter::new()
        .address(token)
        .event_signature(TestToken::Transfer::SIGNATURE_HASH);

    let mut expected = vec![(Address::ZERO, owner, supply, deployed)];
    expected.extend(
        transfers
            .iter()
            .zip(transfer_receipts)
            .map(|((to, amount), r)| (owner, *to, *amount, r)),
    );

    let logs = provider
        .get_logs(
            &transfer_filter
                .clone()
                .from_block(deploy_block)
                .to_block(head),
        )
        .await?;
    assert_eq!(
        logs.len(),
        expected.len(),
        "Transfer logs of blocks {deploy_block}..={head}: {logs:?}"
    );
    for (log, (from, to, value, receipt)) in logs.iter().zip(&expected) {
        let event = log.log_decode::<TestToken::Transfer>()?.inner.data;
        assert_eq!(
            (event.from, event.to, event.value),
            (*from, *to, *value),
            "decoded log {log:?}"
        );
        assert_eq!(log.address(), token);
        assert_eq!(
            log.transaction_hash,
            Some(receipt.transaction_hash),
            "transactionHash of {log:?}"
        );
        assert_eq!(
            log.block_number, receipt.block_number,
            "blockNumber of {log:?}"
        );
        assert_eq!(log.block_hash, receipt.block_hash, "blockHash of {log:?}");
        assert_eq!(
            log.transaction_index, receipt.transaction_index,
            "transactionIndex of {log:?}"
        );
        assert!(!log.removed);
        let in_receipt = receipt.logs().first().ok_or_eyre("receipt without logs")?;
        assert_eq!(
            log.inner, in_receipt.inner,
            "eth_getLogs vs the receipt's log"
        );
        assert_eq!(
            log.log_index, in_receipt.log_index,
            "logIndex: eth_getLogs vs the receipt"
        );
    }

    // By indexed `to` (topic 2).
    let to_two = provider
        .get_logs(
            &transfer_filter
                .clone()
                .from_block(deploy_block)
                .to_block(head)
                .topic2(DEV_ADDRESSES[2].into_word()),
        )
        .await?;
    assert_eq!(
        to_two.len(),
        1,
        "Transfer logs to {}: {to_two:?}",
        DEV_ADDRESSES[2]
    );
    assert_eq!(
        to_two[0].transaction_hash,
        Some(transfer_receipts[1].transaction_hash)
    );

    // A single block's range holds only that block's transfer.
    let first_block = transfer_receipts[0].block_number.unwrap_or_default();
    let only_first = provider
        .get_logs(
            &transfer_filter
                .clone()
                .from_block(first_block)
                .to_block(first_block),
        )
        .await?;
    assert_eq!(
        only_first.len(),
        1,
        "Transfer logs of block {first_block}: {only_first:?}"
    );
    assert_eq!(
        only_first[0].transaction_hash,
        Some(transfer_receipts[0].transaction_hash)
    );

    // Before the deployment there is nothing; a block hash selects that block (EIP-234).
    let before = provider
        .get_logs(
            &transfer_filter
                .clone()
                .from_block(0u64)
                .to_block(deploy_block - 1),
        )
        .await?;
    assert!(
        before.is_empty(),
        "Transfer logs before the deployment: {before:?}"
    );
    let deploy_hash = deployed
        .block_hash
        .ok_or_eyre("receipt without blockHash")?;
    let at_hash = provider
        .get_logs(&transfer_filter.clone().at_block_hash(deploy_hash))
        .await?;
    assert_eq!(
        at_hash.len(),
        1,
        "Transfer logs at block hash {deploy_hash}: {at_hash:?}"
    );
    assert_eq!(at_hash[0].transaction_hash, Some(deployed.transaction_hash));

    // Another address has no logs.
    let elsewhere = provider
        .get_logs(
            &Filter::new()
                .address(derived_address("transfers", 999))
                .from_block(0u64)
                .to_block(head),
        )
        .await?;
    assert!(
        elsewhere.is_empty(),
        "logs of an address without code: {elsewhere:?}"
    );
    Ok(())
}

/// Reverts: `eth_call` and `eth_estimateGas` return the reason; a mined revert has status 0.
async fn check_reverts(
    provider: &DynProvider,
    token: &TestToken::TestTokenInstance<DynProvider>,
) -> eyre::Result<()> {
    const TO_ZERO: &str = "ERC20: transfer to the zero address";
    const EXCEEDS: &str = "ERC20: transfer amount exceeds balance";
    let owner = DEV_ADDRESSES[0];
    let poor = DEV_ADDRESSES[4];
    let one = U256::from(1u64);

    let to_zero = token.transfer(Address::ZERO, one).from(owner);
    match to_zero.call().await {
        Ok(ok) => bail!("eth_call of transfer(0x0, 1) succeeded: {ok}"),
        Err(err) => {
            let object = contract_error_object(&err)?;
            assert_eq!(revert_reason(&object)?, TO_ZERO, "eth_call error {object}");
        }
    }
    match to_zero.estimate_gas().await {
        Ok(gas) => bail!("eth_estimateGas of transfer(0x0, 1) succeeded: {gas}"),
        Err(err) => {
            let object = contract_error_object(&err)?;
            assert_eq!(
                revert_reason(&object)?,
                TO_ZERO,
                "eth_estimateGas error {object}"
            );
        }
    }
    match token.transfer(owner, one).from(poor).call().await {
        Ok(ok) => bail!("eth_call of transfer from an account without tokens succeeded: {ok}"),
        Err(err) => {
            let object = contract_error_object(&err)?;
            assert_eq!(revert_reason(&object)?, EXCEEDS, "eth_call error {object}");
        }
    }

    // Mined reverts (explicit gas limit, so nothing estimates).
    let owner_balance = token.balanceOf(owner).call().await?;
    for (from, to) in [(owner, Address::ZERO), (poor, owner)] {
        let nonce = provider.get_transaction_count(from).await?;
        let pending = token
            .transfer(to, one)
            .from(from)
            .gas(100_000)
            .send()
            .await?;
        let receipt = wait_for_receipt(provider, *pending.tx_hash(), RECEIPT_TIMEOUT).await?;
        assert!(
            !receipt.status(),
            "transfer({to}, 1) from {from} should revert on chain: {receipt:?}"
        );
        assert!(
            receipt.logs().is_empty(),
            "a reverted transaction has no logs: {receipt:?}"
        );
        ensure!(
            receipt.gas_used > TRANSFER_GAS && receipt.gas_used < 100_000,
            "gasUsed {} of a reverted token transfer",
            receipt.gas_used
        );
        assert_eq!(
            provider.get_transaction_count(from).await?,
            nonce + 1,
            "a reverted tx still uses its nonce"
        );
    }
    assert_eq!(
        token.balanceOf(owner).call().await?,
        owner_balance,
        "reverts moved tokens"
    );
    assert_eq!(
        token.balanceOf(poor).call().await?,
        U256::ZERO,
        "reverts moved tokens"
    );
    Ok(())
}
