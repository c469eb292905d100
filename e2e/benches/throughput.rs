//! End-to-end transfer throughput: pre-signed transfers sent over JSON-RPC in batches,
//! timed until the last one is in a sealed block. Runs Keel with 10 and 1,000 senders and, when
//! the anvil binary from `contracts/node_modules` is installed, anvil 1.7.1 with the same load in
//! the same run, so the figures compare like for like on one machine.
//!
//! ```text
//! cargo build --release -p keel-node && cargo bench -p keel-e2e --bench throughput
//! ```
//!
//! Both nodes run with 1 s blocks and a 1 G gas limit (so the block gas limit is not what is
//! measured). Nothing is asserted: the figures are printed.
//!
//! The load can be shaped by environment:
//! - `KEEL_BENCH_TRANSFERS`: transactions per run (default 10,000);
//! - `KEEL_BENCH_SENDERS`: comma-separated sender counts (default `10,1000` for Keel,
//!   `10,200,1000` for anvil);
//! - `KEEL_BENCH_LOAD`: `eth`, `erc20` or both (default `eth`);
//! - `KEEL_BENCH_BATCH`: transactions per JSON-RPC batch (default 200);
//! - `KEEL_BENCH_DA`: Keel's data availability, `blobs`, `validium` or both (default `blobs`);
//! - `KEEL_BENCH_TRIALS`: runs per figure, the median printed (default 3);
//! - `KEEL_BENCH_ANVIL=0`: Keel only;
//! - `KEEL_BENCH_LOG`: the node's log level (default `warn`), `KEEL_BENCH_KEEP_LOG=<file>`
//!   copies its log there.
//! - `KEEL_BENCH_RECIPIENTS`: `fresh` (default: every transfer pays a new address, so the
//!   state grows by an account per transfer) or `senders` (each pays another sender: a chain
//!   whose state no longer grows, what a full node's disk per transfer is about);
//! - `KEEL_BENCH_SETTLE=1`: the devnet's shape (`e2e/devnet.sh`): anvil as L1 (1 s blocks,
//!   Prague), the contracts deployed, the node committing a batch at least every 5 s and its
//!   exec prover attesting each one (built with `cargo build --release -p keel-prover`); adds a
//!   third figure, transfers per second until the block with the last one is verified on L1;
//! - `KEEL_BENCH_STATE`: `full` (default, as the node) or `archive` (`pruning.mode`), and
//!   `KEEL_BENCH_STATE_HISTORY`: a full node's `pruning.state_history` (default the node's, 1,024
//!   blocks: more than a run makes, so set it lower to see pruning at work).
//!
//! After each Keel run the datadir's size per transaction and `keel db stats` are printed.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy::sol_types::{SolCall, SolConstructor};
use alloy::{
    consensus::{SignableTransaction, TxEip1559, TxEnvelope},
    eips::Encodable2718,
    network::TxSignerSync,
    primitives::{Address, B256, TxKind, U256},
    signers::local::PrivateKeySigner,
};
use keel_e2e::{
    Anvil, AnvilOptions, CHAIN_ID, KeelBinary, KeelNode, KeelNodeOptions, Prover,
    contracts::TestToken,
    dev_accounts, free_loopback_addr,
    settlement::{deploy, eventually, exec_prover, settling_node},
};
use serde_json::{Value, json};

/// Transfers per run (`KEEL_BENCH_TRANSFERS`).
fn transfers() -> usize {
    env_or("KEEL_BENCH_TRANSFERS", 10_000)
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// What each transaction of the load does (`KEEL_BENCH_LOAD`, comma-separated: `eth`, `erc20`;
/// default `eth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Load {
    /// 1 wei to a fresh address.
    Eth,
    /// `TestToken.transfer` of 1 unit to a fresh address (a new balance slot each).
    Erc20,
}

impl Load {
    const fn name(self) -> &'static str {
        match self {
            Self::Eth => "ETH transfers",
            Self::Erc20 => "ERC-20 transfers",
        }
    }

    /// Gas each transaction is given (an ERC-20 transfer to a fresh holder uses ~51k).
    const fn gas_limit(self) -> u64 {
        match self {
            Self::Eth => 21_000,
            Self::Erc20 => 80_000,
        }
    }
}

fn loads() -> Vec<Load> {
    let list = std::env::var("KEEL_BENCH_LOAD").unwrap_or_else(|_| "eth".into());
    [("eth", Load::Eth), ("erc20", Load::Erc20)]
        .into_iter()
        .filter(|(name, _)| list.split(',').any(|item| item.trim() == *name))
        .map(|(_, load)| load)
        .collect()
}

/// Where Keel's batches put their data (`KEEL_BENCH_DA`, comma-separated): `blobs` (the
/// default, as the devnet runs: each block's payload is bounded by the blobs one batch
/// carries) and/or `validium` (no data on L1: what the node itself sustains).
fn data_availability() -> Vec<&'static str> {
    let list = std::env::var("KEEL_BENCH_DA").unwrap_or_else(|_| "blobs".into());
    ["blobs", "validium"]
        .into_iter()
        .filter(|da| list.split(',').any(|item| item.trim() == *da))
        .collect()
}

/// Whether transfers pay the other senders (`KEEL_BENCH_RECIPIENTS=senders`) rather than a new
/// address each (`fresh`, the default).
fn pay_senders() -> bool {
    std::env::var("KEEL_BENCH_RECIPIENTS").is_ok_and(|v| v.trim() == "senders")
}

/// Whether Keel runs as the devnet does, settling on an anvil L1 with its exec prover
/// (`KEEL_BENCH_SETTLE=1`), rather than alone.
fn settle() -> bool {
    env_or("KEEL_BENCH_SETTLE", 0) != 0
}

/// What a settling Keel run needs besides the node, stopped when dropped.
struct Settlement {
    _anvil: Anvil,
    _prover: Prover,
    _dir: tempfile::TempDir,
}

/// The devnet's L1 side for one Keel run: anvil, the contracts deployed into a fresh datadir,
/// and node options settling there (the devnet's 5 s commit interval) with an exec prover.
async fn settlement(da: &str) -> eyre::Result<(KeelNodeOptions, Settlement)> {
    let dir = tempfile::tempdir()?;
    let anvil = Anvil::spawn(AnvilOptions::default(), dir.path().join("anvil.log")).await?;
    let keel = KeelBinary::locate()?;
    let datadir = dir.path().join("node");
    // The deployment names the genesis, which the bench's gas limit changes.
    let chain = chain_env(da);
    let env: Vec<_> = chain
        .iter()
        .map(|(key, value)| (*key, value.as_str()))
        .collect();
    deploy(&keel, &anvil, &datadir, &env)?;
    let coordinator = free_loopback_addr()?;
    let options = settling_node(&anvil, &datadir, coordinator, "5s");
    let prover = exec_prover(&keel, dir.path(), coordinator)?;
    Ok((
        options,
        Settlement {
            _anvil: anvil,
            _prover: prover,
            _dir: dir,
        },
    ))
}

/// Sender counts to run (`KEEL_BENCH_SENDERS`), else `default`.
fn senders_or(default: &[usize]) -> Vec<usize> {
    std::env::var("KEEL_BENCH_SENDERS")
        .ok()
        .map(|v| {
            v.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect::<Vec<_>>()
        })
        .filter(|list| !list.is_empty())
        .unwrap_or_else(|| default.to_vec())
}
/// Transactions per JSON-RPC batch request (`KEEL_BENCH_BATCH`, default 200).
fn batch_size() -> usize {
    env_or("KEEL_BENCH_BATCH", 200).max(1)
}
const CONCURRENT_CLIENTS: usize = 4;
const GAS_LIMIT: u64 = 1_000_000_000;

/// The chain the bench runs, for the node and for `keel deploy` (whose deployment names the
/// genesis and the data availability): a [`GAS_LIMIT`] block gas limit, batches that may hold
/// such a block, their data on L1 (`blobs`) or not (`validium`).
fn chain_env(da: &str) -> [(&'static str, String); 3] {
    [
        ("KEEL_GENESIS__GAS_LIMIT", GAS_LIMIT.to_string()),
        ("KEEL_BATCHER__MAX_GAS", GAS_LIMIT.to_string()),
        ("KEEL_BATCHER__DATA_AVAILABILITY", da.to_owned()),
    ]
}
/// How long funding the bench senders (ETH, then tokens) may take.
const FUNDING_TIMEOUT: Duration = Duration::from_secs(60);
const MAX_FEE: u128 = 100_000_000_000;
/// Each figure is the median of this many runs (`KEEL_BENCH_TRIALS`): with 1 s blocks, where
/// the load lands relative to the block boundary moves a single run's end-to-end figure by up to
/// a block time.
fn trial_count() -> usize {
    env_or("KEEL_BENCH_TRIALS", 3).max(1)
}

fn main() -> eyre::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut rows = Vec::new();
        for load in loads() {
        for (da, senders) in data_availability()
            .into_iter()
            .flat_map(|da| senders_or(&[10, 1_000]).into_iter().map(move |s| (da, s)))
        {
            let (options, settlement) = match settle() {
                true => {
                    let (options, settlement) = settlement(da).await?;
                    (options, Some(settlement))
                }
                false => (KeelNodeOptions::new(), None),
            };
            let mut node = KeelNode::spawn(
                chain_env(da)
                    .into_iter()
                    .fold(options, |options, (key, value)| options.env(key, value))
                    .block_time("1s")
                    .env(
                        "KEEL_NODE__LOG",
                        std::env::var("KEEL_BENCH_LOG").unwrap_or_else(|_| "warn".into()),
                    )
                    // anvil's pool is unbounded; give Keel's room for the whole load.
                    .env("KEEL_MEMPOOL__MAX_TXS", (4 * transfers()).to_string())
                    .env("KEEL_MEMPOOL__MAX_TXS_PER_SENDER", transfers().to_string())
                    // Four connections deliver a sender's nonces out of order: let them wait.
                    .env("KEEL_MEMPOOL__MAX_QUEUED", transfers().to_string())
                    .env("KEEL_MEMPOOL__MAX_QUEUED_PER_SENDER", transfers().to_string())
                    .env(
                        "KEEL_PRUNING__MODE",
                        std::env::var("KEEL_BENCH_STATE").unwrap_or_else(|_| "full".into()),
                    )
                    .env(
                        "KEEL_PRUNING__STATE_HISTORY",
                        std::env::var("KEEL_BENCH_STATE_HISTORY").unwrap_or_else(|_| "1024".into()),
                    ),
            )
            .await?;
            let result = trials(&node.rpc_url(), load, senders, settle()).await;
            if let Ok(log) = std::env::var("KEEL_BENCH_KEEP_LOG") {
                std::fs::copy(node.log_path(), &log)?;
            }
            let datadir = dir_size(node.datadir())?;
            let result = match result {
                Ok(result) => result,
                Err(error) => return node.finish(Err(error)),
            };
            // Where the bytes go: `keel db stats` on the stopped node's database.
            node.terminate(Duration::from_secs(30)).await?;
            drop(settlement);
            let stats = Command::new(node.binary().path())
                .args(["db", "stats", "--datadir"])
                .arg(node.datadir())
                .output()?;
            print!("{}", String::from_utf8_lossy(&stats.stdout));
            println!(
                "keel datadir after {} {} from {senders} senders (× {} trials): {:.1} MB, {:.0} bytes per transaction",
                transfers(),
                load.name(),
                trial_count(),
                datadir as f64 / 1e6,
                datadir as f64 / (transfers() * trial_count()) as f64
            );
            rows.push((
                match (da, settle()) {
                    ("blobs", false) => "keel",
                    ("blobs", true) => "keel settling",
                    (_, false) => "keel validium",
                    (_, true) => "keel settl. val.",
                },
                load,
                senders,
                result,
            ));
        }
        match anvil_binary().filter(|_| env_or("KEEL_BENCH_ANVIL", 1) != 0) {
            Some(anvil) => {
                for senders in senders_or(&[10, 200, 1_000]) {
                    let (mut child, url) = start_anvil(&anvil)?;
                    let result = trials(&url, load, senders, false).await;
                    let _ = child.kill();
                    let _ = child.wait();
                    rows.push(("anvil 1.7.1", load, senders, result?));
                }
            }
            None => println!("anvil skipped (KEEL_BENCH_ANVIL=0, or not installed: run contracts/build.sh)"),
        }
        }
        println!("\n{} pre-signed transactions per run, JSON-RPC batches of {}, {CONCURRENT_CLIENTS} client connections, 1 s blocks, median of {} runs", transfers(), batch_size(), trial_count());
        println!("{:<16} {:<17} {:>8} {:>16} {:>18} {:>16}", "node", "load", "senders", "accepted tx/s", "end-to-end tx/s", "verified tx/s");
        for (node, load, senders, m) in &rows {
            let verified = m.verified_per_sec.map_or("-".into(), |v| format!("{v:.0}"));
            println!("{node:<16} {:<17} {senders:>8} {:>16.0} {:>18.0} {verified:>16}", load.name(), m.accepted_per_sec, m.mined_per_sec);
        }
        // Keel over anvil for the same load, where both ran it (issue 21's goals: ≥ 2.5× end to
        // end for ETH transfers, ≥ 2× for ERC-20 transfers).
        for (node, load, senders, keel) in rows.iter().filter(|(node, ..)| node.starts_with("keel")) {
            if let Some((.., anvil)) = rows
                .iter()
                .find(|(other, l, s, _)| other.starts_with("anvil") && l == load && s == senders)
            {
                println!(
                    "{node} / anvil, {} from {senders} senders: accepted {:.2}×, end to end {:.2}×",
                    load.name(),
                    keel.accepted_per_sec / anvil.accepted_per_sec,
                    keel.mined_per_sec / anvil.mined_per_sec
                );
            }
        }
        eyre::Ok(())
    })
}

struct Measurement {
    /// Transfers per second until the last batch was answered.
    accepted_per_sec: f64,
    /// Transfers per second until the last one was in a sealed block.
    mined_per_sec: f64,
    /// Transfers per second until the block with the last one was verified on L1 (settling
    /// runs only).
    verified_per_sec: Option<f64>,
}

/// The median of [`trial_count`] runs on one node, each with fresh senders.
/// `settling`: the node settles on L1, and its `finalized` block is the last one L1 verified.
async fn trials(
    url: &str,
    load: Load,
    senders: usize,
    settling: bool,
) -> eyre::Result<Measurement> {
    let mut accepted = Vec::new();
    let mut mined = Vec::new();
    let mut verified = Vec::new();
    for trial in 0..trial_count() {
        let m = measure(url, load, senders, trial, settling).await?;
        accepted.push(m.accepted_per_sec);
        mined.push(m.mined_per_sec);
        verified.extend(m.verified_per_sec);
    }
    Ok(Measurement {
        accepted_per_sec: median(&mut accepted),
        mined_per_sec: median(&mut mined),
        verified_per_sec: (!verified.is_empty()).then(|| median(&mut verified)),
    })
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

async fn measure(
    url: &str,
    load: Load,
    senders: usize,
    trial: usize,
    settling: bool,
) -> eyre::Result<Measurement> {
    let client = reqwest::Client::new();
    let keys: Vec<PrivateKeySigner> = (0..senders)
        .map(|i| {
            PrivateKeySigner::from_bytes(&B256::from(U256::from(0xbe_0000 + trial * 100_000 + i)))
        })
        .collect::<Result<_, _>>()?;
    // Enough for every transaction a sender signs at its gas limit and fee cap, twice over (the
    // L1 data fee comes on top), and never less than 1 ETH.
    let per_sender = transfers().div_ceil(senders);
    let allowance =
        (2 * per_sender as u128 * u128::from(load.gas_limit()) * MAX_FEE).max(10u128.pow(18));
    fund(&client, url, &keys, U256::from(allowance)).await?;
    let token = match load {
        Load::Eth => None,
        Load::Erc20 => Some(deploy_token(&client, url, &keys).await?),
    };

    // Pre-sign every transfer before the clock starts.
    let mut raw = Vec::with_capacity(transfers());
    'outer: for nonce in 0..per_sender as u64 {
        for (i, key) in keys.iter().enumerate() {
            if raw.len() == transfers() {
                break 'outer;
            }
            let to = match pay_senders() {
                true => keys[(i + 1) % keys.len()].address(),
                false => {
                    Address::from_word(B256::from(U256::from(nonce * 1_000_000 + i as u64 + 1)))
                }
            };
            raw.push(match token {
                None => sign(key, nonce, to, U256::from(1)),
                Some(token) => sign_call(
                    key,
                    nonce,
                    token,
                    load.gas_limit(),
                    TestToken::transferCall {
                        to,
                        value: U256::from(1),
                    }
                    .abi_encode(),
                ),
            });
        }
    }
    let start_block = block_number(&client, url).await?;
    let batches: Vec<Value> = raw
        .chunks(batch_size())
        .map(|chunk| {
            Value::Array(
                chunk
                    .iter()
                    .enumerate()
                    .map(|(id, tx)| json!({"jsonrpc":"2.0","id":id,"method":"eth_sendRawTransaction","params":[tx]}))
                    .collect(),
            )
        })
        .collect();

    let started = Instant::now();
    let mut lanes: Vec<Vec<Value>> = vec![Vec::new(); CONCURRENT_CLIENTS];
    for (i, batch) in batches.into_iter().enumerate() {
        lanes[i % CONCURRENT_CLIENTS].push(batch);
    }
    let tasks: Vec<_> = lanes
        .into_iter()
        .map(|lane| {
            let client = client.clone();
            let url = url.to_owned();
            tokio::spawn(async move {
                for batch in lane {
                    let response: Value =
                        client.post(&url).json(&batch).send().await?.json().await?;
                    if let Some(error) = response
                        .as_array()
                        .and_then(|r| r.iter().find(|r| r.get("error").is_some()))
                    {
                        eyre::bail!("transaction rejected: {error}");
                    }
                }
                eyre::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let accepted = started.elapsed();

    let mut mined = 0usize;
    let mut next = start_block + 1;
    while mined < transfers() {
        let head = block_number(&client, url).await?;
        while next <= head {
            let count = rpc(
                &client,
                url,
                "eth_getBlockTransactionCountByNumber",
                json!([format!("{next:#x}")]),
            )
            .await?;
            mined += parse_u64(&count)? as usize;
            next += 1;
        }
        let limit = Duration::from_secs(120.max(transfers() as u64 / 100));
        if started.elapsed() > limit {
            eyre::bail!(
                "only {mined} of {} transfers mined after {limit:?}",
                transfers()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let total = started.elapsed();
    // The block with the last transfer is `next - 1`; with settlement on, wait for L1 to verify
    // its batch (the `finalized` tag).
    let verified = match settling {
        false => None,
        true => {
            let last = next - 1;
            let limit = Duration::from_secs(600);
            loop {
                let finalized = rpc(
                    &client,
                    url,
                    "eth_getBlockByNumber",
                    json!(["finalized", false]),
                )
                .await?;
                if finalized
                    .get("number")
                    .map(parse_u64)
                    .transpose()?
                    .is_some_and(|n| n >= last)
                {
                    break Some(started.elapsed());
                }
                if started.elapsed() > limit {
                    eyre::bail!("block {last} not verified on L1 after {limit:?}");
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    Ok(Measurement {
        accepted_per_sec: transfers() as f64 / accepted.as_secs_f64(),
        mined_per_sec: transfers() as f64 / total.as_secs_f64(),
        verified_per_sec: verified.map(|v| transfers() as f64 / v.as_secs_f64()),
    })
}

/// Gives every bench sender `amount` wei from the dev accounts and waits until it is mined.
async fn fund(
    client: &reqwest::Client,
    url: &str,
    keys: &[PrivateKeySigner],
    amount: U256,
) -> eyre::Result<()> {
    let dev = dev_accounts();
    let mut dev_nonces = Vec::new();
    for account in &dev {
        let nonce = rpc(
            client,
            url,
            "eth_getTransactionCount",
            json!([account.address(), "pending"]),
        )
        .await?;
        dev_nonces.push(parse_u64(&nonce)?);
    }
    let txs: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let d = i % dev.len();
            let tx = sign(&dev[d], dev_nonces[d], key.address(), amount);
            dev_nonces[d] += 1;
            tx
        })
        .collect();
    send_all(client, url, &txs, "funding").await?;
    let last = keys.last().map(|k| k.address()).unwrap_or_default();
    eventually("the bench senders' funding", FUNDING_TIMEOUT, || async {
        let balance = rpc(client, url, "eth_getBalance", json!([last, "latest"])).await?;
        Ok((balance.as_str() != Some("0x0")).then_some(()))
    })
    .await
}

/// Deploys a `TestToken` from the first dev account and gives every sender 1,000,000 units;
/// returns the token's address once the last sender holds its units.
async fn deploy_token(
    client: &reqwest::Client,
    url: &str,
    keys: &[PrivateKeySigner],
) -> eyre::Result<Address> {
    let deployer = &dev_accounts()[0];
    let mut nonce = parse_u64(
        &rpc(
            client,
            url,
            "eth_getTransactionCount",
            json!([deployer.address(), "pending"]),
        )
        .await?,
    )?;
    let token = deployer.address().create(nonce);
    let code = [
        TestToken::BYTECODE.as_ref(),
        &TestToken::constructorCall {
            name_: "Bench".into(),
            symbol_: "BENCH".into(),
            initialSupply: U256::from(u64::MAX),
        }
        .abi_encode(),
    ]
    .concat();
    let mut txs = vec![sign_tx(
        deployer,
        TxEip1559 {
            nonce,
            gas_limit: 3_000_000,
            to: TxKind::Create,
            input: code.into(),
            ..Default::default()
        },
    )];
    for key in keys {
        nonce += 1;
        txs.push(sign_call(
            deployer,
            nonce,
            token,
            80_000,
            TestToken::transferCall {
                to: key.address(),
                value: U256::from(1_000_000),
            }
            .abi_encode(),
        ));
    }
    send_all(client, url, &txs, "token funding").await?;
    let last = keys.last().map(|k| k.address()).unwrap_or_default();
    let call = alloy::hex::encode_prefixed(TestToken::balanceOfCall(last).abi_encode());
    eventually("the bench senders' tokens", FUNDING_TIMEOUT, || async {
        let balance = rpc(
            client,
            url,
            "eth_call",
            json!([{"to": token, "data": call}, "latest"]),
        )
        .await?;
        let held = balance.as_str().is_some_and(|hex| {
            !hex.trim_start_matches("0x")
                .trim_start_matches('0')
                .is_empty()
        });
        Ok(held.then_some(token))
    })
    .await
}

/// Sends `txs` in batches of [`batch_size`]; any rejection is an error naming `what`.
async fn send_all(
    client: &reqwest::Client,
    url: &str,
    txs: &[String],
    what: &str,
) -> eyre::Result<()> {
    for chunk in txs.chunks(batch_size()) {
        let batch: Vec<Value> = chunk
            .iter()
            .enumerate()
            .map(|(id, tx)| json!({"jsonrpc":"2.0","id":id,"method":"eth_sendRawTransaction","params":[tx]}))
            .collect();
        let response: Value = client.post(url).json(&batch).send().await?.json().await?;
        if let Some(error) = response
            .as_array()
            .and_then(|r| r.iter().find(|r| r.get("error").is_some()))
        {
            eyre::bail!("{what} transaction rejected: {error}");
        }
    }
    Ok(())
}

fn sign(key: &PrivateKeySigner, nonce: u64, to: Address, value: U256) -> String {
    sign_tx(
        key,
        TxEip1559 {
            nonce,
            gas_limit: 21_000,
            to: TxKind::Call(to),
            value,
            ..Default::default()
        },
    )
}

/// A call of `to` with `input`.
fn sign_call(
    key: &PrivateKeySigner,
    nonce: u64,
    to: Address,
    gas_limit: u64,
    input: Vec<u8>,
) -> String {
    sign_tx(
        key,
        TxEip1559 {
            nonce,
            gas_limit,
            to: TxKind::Call(to),
            input: input.into(),
            ..Default::default()
        },
    )
}

fn sign_tx(key: &PrivateKeySigner, mut tx: TxEip1559) -> String {
    tx.chain_id = CHAIN_ID;
    tx.max_fee_per_gas = MAX_FEE;
    tx.max_priority_fee_per_gas = 1;
    let signature = key
        .sign_transaction_sync(&mut tx)
        .unwrap_or_else(|e| panic!("signing failed: {e}"));
    format!(
        "0x{}",
        alloy::hex::encode(TxEnvelope::from(tx.into_signed(signature)).encoded_2718())
    )
}

async fn rpc(
    client: &reqwest::Client,
    url: &str,
    method: &str,
    params: Value,
) -> eyre::Result<Value> {
    let response: Value = client
        .post(url)
        .json(&json!({"jsonrpc":"2.0","id":1,"method":method,"params":params}))
        .send()
        .await?
        .json()
        .await?;
    response
        .get("result")
        .cloned()
        .ok_or_else(|| eyre::eyre!("{method} failed: {response}"))
}

async fn block_number(client: &reqwest::Client, url: &str) -> eyre::Result<u64> {
    parse_u64(&rpc(client, url, "eth_blockNumber", json!([])).await?)
}

fn parse_u64(value: &Value) -> eyre::Result<u64> {
    let text = value
        .as_str()
        .ok_or_else(|| eyre::eyre!("expected a hex quantity, got {value}"))?;
    Ok(u64::from_str_radix(text.trim_start_matches("0x"), 16)?)
}

/// Bytes of every file under `dir`.
fn dir_size(dir: &std::path::Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

fn anvil_binary() -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    path.exists().then_some(path)
}

fn start_anvil(anvil: &PathBuf) -> eyre::Result<(Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(anvil)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--chain-id",
            &CHAIN_ID.to_string(),
        ])
        .args([
            "--hardfork",
            "prague",
            "--block-time",
            "1",
            "--gas-limit",
            &GAS_LIMIT.to_string(),
            "--silent",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        eyre::ensure!(Instant::now() < deadline, "anvil did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((child, url))
}
