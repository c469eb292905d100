//! SIGKILL the node while transfers are flowing, restart it on the same datadir, and check that
//! everything it served before the kill is still there, unchanged, and that it keeps going.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use alloy::{
    consensus::Transaction as _,
    eips::BlockNumberOrTag,
    primitives::{Address, B256, TxHash, U256},
    providers::{DynProvider, Provider},
    signers::local::PrivateKeySigner,
};
use eyre::{OptionExt, WrapErr, bail, ensure, eyre};
use keel_e2e::{
    CHAIN_ID, DEV_ADDRESSES, DEV_BALANCE, KeelNode, KeelNodeOptions, derived_address, dev_accounts,
    tx::{Fees, GWEI, encode, latest_base_fee, sign, suggest_fees, transfer_1559},
    wait::{wait_for_block, wait_for_receipts},
};
use tokio::task::JoinHandle;

const BLOCK_TIME: &str = "200ms";
/// Dev accounts 1..=4 send in the background; account 9 is kept for after the restart.
const BACKGROUND_SENDERS: std::ops::RangeInclusive<usize> = 1..=4;
const QUIET_SENDER: usize = 9;
/// Pause between rounds of background transfers (one per sender each round).
const SEND_INTERVAL: Duration = Duration::from_millis(20);
/// Blocks sealed (with background traffic) before each kill.
const BLOCKS_BEFORE_KILL: u64 = 5;
/// Kill/restart cycles, each killing at a different point of block production.
const CRASH_CYCLES: u64 = 3;
const TIMEOUT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread")]
async fn kill9_while_sending_then_restart() -> eyre::Result<()> {
    let mut node = KeelNode::spawn(KeelNodeOptions::new().block_time(BLOCK_TIME)).await?;
    let result = crash_and_recover(&mut node).await;
    node.finish(result)
}

/// The node's stop bound (`SHUTDOWN_BOUND` in `keel`), plus process start and exit slack.
const STOP_TIMEOUT: Duration = Duration::from_secs(12);

/// SIGTERM while transfers are flowing: the node stops within its bound, exits 0, and every
/// block (and receipt) it served before the signal is there after a restart, unchanged.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_under_load_stops_in_time_and_keeps_every_block() -> eyre::Result<()> {
    let mut node = KeelNode::spawn(KeelNodeOptions::new().block_time(BLOCK_TIME)).await?;
    let result = sigterm_under_load(&mut node).await;
    node.finish(result)
}

async fn sigterm_under_load(node: &mut KeelNode) -> eyre::Result<()> {
    let provider = node.provider();
    let accounts = dev_accounts();
    let fees = Fees::for_base_fee(latest_base_fee(&provider).await?, 10, GWEI);
    let stop = Arc::new(AtomicBool::new(false));
    let traffic: JoinHandle<eyre::Result<Traffic>> = tokio::spawn(send_transfers(
        node.provider(),
        accounts[BACKGROUND_SENDERS].to_vec(),
        vec![0; BACKGROUND_SENDERS.count()],
        "sigterm".to_owned(),
        fees,
        Arc::clone(&stop),
    ));
    wait_for_block(&provider, BLOCKS_BEFORE_KILL, TIMEOUT).await?;
    let n = provider.get_block_number().await?;
    let before = Snapshot::take(&provider, n, &[])
        .await
        .wrap_err("reading the chain before SIGTERM")?;
    ensure!(
        before.tx_count() > 0,
        "no transaction was mined in blocks 1..={n} before SIGTERM"
    );

    let (status, took) = node.terminate(STOP_TIMEOUT).await?;
    stop.store(true, Ordering::Relaxed);
    let traffic = tokio::time::timeout(Duration::from_secs(10), traffic)
        .await
        .wrap_err("the background sender did not stop")???;
    eprintln!(
        "SIGTERM after {} transfers were sent: exit {status} after {took:?}",
        traffic.sent.len()
    );
    ensure!(status.success(), "keel exited with {status} after SIGTERM");

    node.restart().await?;
    let provider = node.provider();
    let after = Snapshot::take(&provider, n, &before.accounts())
        .await
        .wrap_err("reading the chain after the restart")?;
    for (old, new) in before.blocks.iter().zip(&after.blocks) {
        assert_eq!(new, old, "block {} changed across the stop", old.number);
    }
    assert_eq!(
        after.receipts, before.receipts,
        "receipts changed across the stop"
    );
    assert_eq!(after.balances, before.balances, "balances at block {n}");
    wait_for_block(&provider, provider.get_block_number().await? + 2, TIMEOUT)
        .await
        .wrap_err("the chain stopped advancing after the restart")?;
    Ok(())
}

async fn crash_and_recover(node: &mut KeelNode) -> eyre::Result<()> {
    for cycle in 0..CRASH_CYCLES {
        crash_once(node, cycle)
            .await
            .wrap_err_with(|| format!("crash cycle {cycle}"))?;
    }
    let provider = node.provider();
    let accounts = dev_accounts();

    // After the last restart: the head is consistent: by tag, number and hash; and state at the head matches its receipts.
    let latest = provider
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await?
        .ok_or_eyre("eth_getBlockByNumber(\"latest\") returned null")?;
    let h = latest.header.number;
    let by_number = provider
        .get_block_by_number(h.into())
        .await?
        .ok_or_eyre("head block by number")?;
    let by_hash = provider
        .get_block_by_hash(latest.header.hash)
        .await?
        .ok_or_eyre("head block by hash")?;
    assert_eq!(
        by_number.header, latest.header,
        "eth_getBlockByNumber(latest) vs ({h})"
    );
    assert_eq!(
        by_hash.header, latest.header,
        "eth_getBlockByNumber(latest) vs eth_getBlockByHash"
    );
    let senders: Vec<Address> = BACKGROUND_SENDERS.map(|i| DEV_ADDRESSES[i]).collect();
    check_ledger(&provider, h, &senders)
        .await
        .wrap_err_with(|| format!("state at block {h} after the restart"))?;

    // The chain goes on: transfers from an account the background sender never used get mined,
    // and so does a background sender's next nonce.
    let fees = suggest_fees(&provider).await?;
    let quiet = &accounts[QUIET_SENDER];
    let mut raws = Vec::new();
    for nonce in 0..3 {
        raws.push(sign(
            quiet,
            transfer_1559(
                CHAIN_ID,
                nonce,
                derived_address("crash/after", nonce),
                U256::from(7u64),
                fees,
            ),
        )?);
    }
    let busy = DEV_ADDRESSES[*BACKGROUND_SENDERS.start()];
    let busy_nonce = provider.get_transaction_count(busy).pending().await?;
    raws.push(sign(
        &accounts[*BACKGROUND_SENDERS.start()],
        transfer_1559(
            CHAIN_ID,
            busy_nonce,
            derived_address("crash/after", 99),
            U256::from(7u64),
            fees,
        ),
    )?);
    let mut hashes = Vec::new();
    for tx in &raws {
        hashes.push(*provider.send_raw_transaction(&encode(tx)).await?.tx_hash());
    }
    let receipts = wait_for_receipts(&provider, &hashes, TIMEOUT)
        .await
        .wrap_err("transfers sent after the restart")?;
    for receipt in &receipts {
        assert!(
            receipt.status(),
            "transfer after the restart failed: {receipt:?}"
        );
        let number = receipt.block_number.unwrap_or_default();
        ensure!(
            number > h,
            "a new transfer landed in block {number}, not after the head {h} it was sent at"
        );
    }
    wait_for_block(&provider, h + 3, TIMEOUT)
        .await
        .wrap_err("the chain stopped advancing after the restart")?;
    Ok(())
}

/// Background transfers; wait for a few blocks; read blocks 1..=N; SIGKILL; restart; check that
/// blocks 1..=N, their receipts and the state at N are exactly as served before the kill.
async fn crash_once(node: &mut KeelNode, cycle: u64) -> eyre::Result<()> {
    let provider = node.provider();
    let accounts = dev_accounts();
    // Generous fee caps: the background traffic must stay valid while the base fee moves.
    let fees = Fees::for_base_fee(latest_base_fee(&provider).await?, 10, GWEI);
    let mut nonces = Vec::new();
    for i in BACKGROUND_SENDERS {
        nonces.push(
            provider
                .get_transaction_count(DEV_ADDRESSES[i])
                .pending()
                .await?,
        );
    }

    let stop = Arc::new(AtomicBool::new(false));
    let traffic: JoinHandle<eyre::Result<Traffic>> = tokio::spawn(send_transfers(
        node.provider(),
        accounts[BACKGROUND_SENDERS].to_vec(),
        nonces,
        format!("crash/{cycle}"),
        fees,
        Arc::clone(&stop),
    ));

    let start = provider.get_block_number().await?;
    wait_for_block(&provider, start + BLOCKS_BEFORE_KILL, TIMEOUT).await?;

    // Everything up to block N as served before the kill.
    let n = provider.get_block_number().await?;
    let before = Snapshot::take(&provider, n, &[])
        .await
        .wrap_err("reading the chain before the kill")?;
    ensure!(
        before.tx_count() > 0,
        "no transaction was mined in blocks 1..={n} before the kill"
    );
    ensure!(
        !traffic.is_finished(),
        "the background sender stopped before the kill: {:?}",
        traffic.await?
    );

    let status = node.kill9()?;
    // The sender finds out by itself (its next request fails); the flag is only a backstop.
    let traffic = match tokio::time::timeout(Duration::from_secs(10), traffic).await {
        Ok(joined) => joined??,
        Err(_) => bail!("the background sender did not notice the kill within 10 s"),
    };
    stop.store(true, Ordering::Relaxed);
    ensure!(
        traffic.stopped_by.is_some(),
        "the background sender stopped before the kill"
    );

    node.restart().await?;
    let provider = node.provider();
    let head = provider.get_block_number().await?;
    eprintln!(
        "crash cycle {cycle}: SIGKILL ({status}) after {} transfers were sent, {} transactions in \
         blocks 1..={n}; head after the restart: {head}",
        traffic.sent.len(),
        before.tx_count(),
    );
    ensure!(
        head >= n,
        "after the restart the head is block {head}, but block {n} was served before the kill"
    );

    // Blocks 1..=N, their transactions and receipts, and state at N are all unchanged.
    let after = Snapshot::take(&provider, n, &before.accounts())
        .await
        .wrap_err("reading the chain after the restart")?;
    for (old, new) in before.blocks.iter().zip(&after.blocks) {
        assert_eq!(new, old, "block {} changed across the crash", old.number);
    }
    for (hash, old) in &before.receipts {
        let new = after
            .receipts
            .get(hash)
            .ok_or_else(|| eyre!("receipt of {hash} missing after the restart"))?;
        assert_eq!(new, old, "receipt of {hash} changed across the crash");
    }
    assert_eq!(
        after.balances, before.balances,
        "balances at block {n} changed across the crash"
    );
    assert_eq!(
        after.nonces, before.nonces,
        "nonces at block {n} changed across the crash"
    );
    for block in &before.blocks {
        for hash in &block.tx_hashes {
            let tx = provider
                .get_transaction_by_hash(*hash)
                .await?
                .ok_or_else(|| {
                    eyre!("eth_getTransactionByHash({hash}) is null after the restart")
                })?;
            assert_eq!(
                tx.block_hash,
                Some(block.hash),
                "blockHash of {hash} after the restart"
            );
            assert_eq!(
                tx.block_number,
                Some(block.number),
                "blockNumber of {hash} after the restart"
            );
        }
    }
    Ok(())
}

/// What the background sender did.
#[derive(Debug)]
struct Traffic {
    sent: Vec<TxHash>,
    /// The error that ended it (expected: the node was killed), if not the stop flag.
    stopped_by: Option<String>,
}

/// Round after round, one transfer from each signer (starting at `nonces`), until `stop` is set
/// or the node stops answering. Recipients are derived from `tag`.
async fn send_transfers(
    provider: DynProvider,
    signers: Vec<PrivateKeySigner>,
    mut nonces: Vec<u64>,
    tag: String,
    fees: Fees,
    stop: Arc<AtomicBool>,
) -> eyre::Result<Traffic> {
    let mut sent = Vec::new();
    let mut round = 0u64;
    while !stop.load(Ordering::Relaxed) {
        for (i, signer) in signers.iter().enumerate() {
            let to = derived_address(&tag, round * signers.len() as u64 + i as u64);
            let value = U256::from(1_000_000_000_000u64 + round);
            let tx = sign(signer, transfer_1559(CHAIN_ID, nonces[i], to, value, fees))?;
            match provider.send_raw_transaction(&encode(&tx)).await {
                Ok(_) => {
                    nonces[i] += 1;
                    sent.push(*tx.tx_hash());
                }
                Err(err) => {
                    return Ok(Traffic {
                        sent,
                        stopped_by: Some(err.to_string()),
                    });
                }
            }
        }
        round += 1;
        tokio::time::sleep(SEND_INTERVAL).await;
    }
    Ok(Traffic {
        sent,
        stopped_by: None,
    })
}

/// One block as served.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BlockSummary {
    number: u64,
    hash: B256,
    parent_hash: B256,
    state_root: B256,
    receipts_root: B256,
    tx_hashes: Vec<TxHash>,
}

/// Blocks 1..=N, every receipt in them (as raw JSON) and the state at N of the accounts involved.
#[derive(Debug)]
struct Snapshot {
    blocks: Vec<BlockSummary>,
    receipts: BTreeMap<TxHash, serde_json::Value>,
    balances: BTreeMap<Address, U256>,
    nonces: BTreeMap<Address, u64>,
}

impl Snapshot {
    /// Reads blocks 1..=`n` and state at `n` of every sender and recipient in them plus `extra`.
    async fn take(provider: &DynProvider, n: u64, extra: &[Address]) -> eyre::Result<Self> {
        let mut blocks = Vec::new();
        let mut receipts = BTreeMap::new();
        let mut accounts: BTreeSet<Address> = extra.iter().copied().collect();
        for number in 1..=n {
            let block = provider
                .get_block_by_number(number.into())
                .full()
                .await?
                .ok_or_else(|| eyre!("eth_getBlockByNumber({number}, true) returned null"))?;
            let txs = block
                .transactions
                .as_transactions()
                .ok_or_eyre("block without full transactions")?;
            for tx in txs {
                accounts.insert(tx.inner.signer());
                accounts.extend(tx.inner.to());
                let hash = *tx.inner.tx_hash();
                let receipt = provider
                    .get_transaction_receipt(hash)
                    .await?
                    .ok_or_else(|| eyre!("no receipt for {hash} of block {number}"))?;
                receipts.insert(hash, serde_json::to_value(&receipt)?);
            }
            blocks.push(BlockSummary {
                number,
                hash: block.header.hash,
                parent_hash: block.header.parent_hash,
                state_root: block.header.state_root,
                receipts_root: block.header.receipts_root,
                tx_hashes: txs.iter().map(|tx| *tx.inner.tx_hash()).collect(),
            });
        }
        let mut balances = BTreeMap::new();
        let mut nonces = BTreeMap::new();
        for address in accounts {
            balances.insert(address, provider.get_balance(address).number(n).await?);
            nonces.insert(
                address,
                provider.get_transaction_count(address).number(n).await?,
            );
        }
        Ok(Self {
            blocks,
            receipts,
            balances,
            nonces,
        })
    }

    fn tx_count(&self) -> usize {
        self.receipts.len()
    }

    fn accounts(&self) -> Vec<Address> {
        self.balances.keys().copied().collect()
    }
}

/// Replays blocks 1..=`upto` from the outside: each sender's transactions have nonces 0, 1, …
/// with no gaps or repeats, and its balance and nonce at `upto` are what its receipts imply.
async fn check_ledger(provider: &DynProvider, upto: u64, senders: &[Address]) -> eyre::Result<()> {
    let mut spent: BTreeMap<Address, U256> = senders.iter().map(|a| (*a, U256::ZERO)).collect();
    let mut counts: BTreeMap<Address, u64> = senders.iter().map(|a| (*a, 0)).collect();
    for number in 1..=upto {
        let block = provider
            .get_block_by_number(number.into())
            .full()
            .await?
            .ok_or_else(|| eyre!("eth_getBlockByNumber({number}, true) returned null"))?;
        ensure!(
            !senders.contains(&block.header.beneficiary),
            "block {number}'s fee recipient is a sender ({}); the balance check assumes it is not",
            block.header.beneficiary
        );
        for tx in block
            .transactions
            .as_transactions()
            .ok_or_eyre("block without full transactions")?
        {
            let from = tx.inner.signer();
            let Some(count) = counts.get_mut(&from) else {
                continue;
            };
            let hash = *tx.inner.tx_hash();
            ensure!(
                tx.inner.nonce() == *count,
                "{hash} from {from} in block {number} has nonce {}, expected {count}",
                tx.inner.nonce()
            );
            *count += 1;
            ensure!(
                !senders.iter().any(|s| Some(*s) == tx.inner.to()),
                "transfer {hash} between senders"
            );
            let receipt = provider
                .get_transaction_receipt(hash)
                .await?
                .ok_or_else(|| eyre!("no receipt for {hash} of block {number}"))?;
            ensure!(
                receipt.block_number == Some(number),
                "receipt of {hash} names block {:?}, not {number}",
                receipt.block_number
            );
            *spent.entry(from).or_default() += tx.inner.value()
                + U256::from(u128::from(receipt.gas_used) * receipt.effective_gas_price);
        }
    }
    for address in senders {
        assert_eq!(
            provider
                .get_transaction_count(*address)
                .number(upto)
                .await?,
            counts[address],
            "nonce of {address} at block {upto} vs its transactions in blocks 1..={upto}"
        );
        assert_eq!(
            provider.get_balance(*address).number(upto).await?,
            DEV_BALANCE - spent[address],
            "balance of {address} at block {upto} vs its receipts in blocks 1..={upto}"
        );
    }
    Ok(())
}
