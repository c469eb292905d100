//! The node's memory under JSON-RPC batches of 1,000 calls: how far its resident set grows while
//! clients send the heaviest answers the API has, in parallel, and where it settles after.
//!
//! ```text
//! cargo build --release -p keel-node && cargo bench -p keel-e2e --bench rpc_memory
//! ```
//!
//! A node with a few hundred transfers in sealed batches is sampled (`VmRSS` every 10 ms from
//! `/proc`) while [`CLIENTS`] connections each send [`REQUESTS`] batches of [`CALLS`] calls of
//! one kind: full blocks (public port), gas estimates (public port, CPU-bound: the request
//! deadline applies), and whole prover inputs as hex (admin port: the case that once built an
//! unbounded response). Each answer is held to `rpc.max_response_bytes`; the calls past it are
//! answered -32005 without running. Nothing is asserted: the figures are printed.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use alloy::{
    primitives::{Address, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
};
use keel_e2e::{DEV_ADDRESSES, KeelNode, KeelNodeOptions, free_loopback_addr};
use serde_json::{Value, json};

/// Calls per JSON-RPC batch.
const CALLS: usize = 1_000;
/// Concurrent client connections.
const CLIENTS: usize = 4;
/// Batches each client sends, one after another.
const REQUESTS: usize = 5;
/// Transfers put on the chain first.
const TRANSFERS: usize = 300;

fn main() -> eyre::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let admin = free_loopback_addr()?;
        let node = KeelNode::spawn(
            KeelNodeOptions::new()
                .block_time("250ms")
                .env("KEEL_NODE__LOG", "warn")
                .env("KEEL_ADMIN__LISTEN", admin.to_string())
                .env("KEEL_BATCHER__COMMIT_INTERVAL", "2s"),
        )
        .await?;
        let result = measure(&node, &format!("http://{admin}")).await;
        node.finish(result)
    })
}

async fn measure(node: &KeelNode, admin_url: &str) -> eyre::Result<()> {
    let pid = node
        .pid()
        .ok_or_else(|| eyre::eyre!("the node is not running"))?;
    let l2 = node.dev_provider();
    let mut last = None;
    for i in 0..TRANSFERS {
        let tx = TransactionRequest::default()
            .from(DEV_ADDRESSES[i % 4])
            .to(Address::with_last_byte(0x40 + (i % 64) as u8))
            .value(U256::from(1 + i as u64));
        last = Some(l2.send_transaction(tx).await?);
    }
    if let Some(last) = last {
        last.get_receipt().await?;
    }
    // Two sealed batches: prover inputs to ask for.
    let client = reqwest::Client::new();
    let rpc = node.rpc_url();
    let deadline = Instant::now() + Duration::from_secs(60);
    let batch = loop {
        let latest = call(&client, &rpc, None, "keel_latestBatch", json!([])).await?;
        let number = latest["result"]["number"].as_u64().unwrap_or(0);
        if number >= 2 || Instant::now() > deadline {
            break number.max(1);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let head = l2.get_block_number().await?;
    let secret = keel_rpc::JwtSecret::read(&node.datadir().join("admin-jwt.hex"))?;
    let transfer = json!({"from": DEV_ADDRESSES[0], "to": DEV_ADDRESSES[1], "value": "0x1"});

    let rounds: [(&str, &str, Box<dyn Fn(usize) -> (String, Value)>); 3] = [
        (
            "eth_getBlockByNumber(full)",
            rpc.as_str(),
            Box::new(move |i| {
                (
                    "eth_getBlockByNumber".to_owned(),
                    json!([format!("{:#x}", 1 + i as u64 % head), true]),
                )
            }),
        ),
        (
            "eth_estimateGas(transfer)",
            rpc.as_str(),
            Box::new(move |_| ("eth_estimateGas".to_owned(), json!([transfer.clone()]))),
        ),
        (
            "keel_getProverInput (admin)",
            admin_url,
            Box::new(move |_| ("keel_getProverInput".to_owned(), json!([batch]))),
        ),
    ];

    println!(
        "\n{CLIENTS} connections x {REQUESTS} JSON-RPC batches of {CALLS} calls each, chain of {head} blocks ({TRANSFERS} transfers)"
    );
    println!(
        "{:<30} {:>10} {:>10} {:>10} {:>12} {:>10} {:>9}",
        "calls", "rss before", "rss peak", "rss after", "answer MB", "cut calls", "seconds"
    );
    for (name, url, make) in &rounds {
        let before = rss_kib(pid)?;
        let peak = Arc::new(AtomicU64::new(before));
        let sampling = {
            let peak = peak.clone();
            tokio::spawn(async move {
                loop {
                    if let Ok(rss) = rss_kib(pid) {
                        peak.fetch_max(rss, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        };
        let body = Value::Array(
            (0..CALLS)
                .map(|i| {
                    let (method, params) = make(i);
                    json!({"jsonrpc": "2.0", "id": i, "method": method, "params": params})
                })
                .collect(),
        );
        let token = (*url == admin_url).then(|| secret.token_now());
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..CLIENTS {
            let (client, url, body, token) = (
                reqwest::Client::new(),
                url.to_string(),
                body.clone(),
                token.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut bytes = 0usize;
                let mut cut = 0usize;
                for _ in 0..REQUESTS {
                    let mut request = client.post(&url).json(&body);
                    if let Some(token) = &token {
                        request = request.bearer_auth(token);
                    }
                    let text = request.send().await?.text().await?;
                    bytes += text.len();
                    let answer: Value = serde_json::from_str(&text)?;
                    cut += answer.as_array().map_or(0, |calls| {
                        calls
                            .iter()
                            .filter(|call| call["error"]["code"] == json!(-32005))
                            .count()
                    });
                }
                eyre::Ok((bytes, cut))
            }));
        }
        let (mut bytes, mut cut) = (0, 0);
        for task in tasks {
            let (b, c) = task.await??;
            bytes += b;
            cut += c;
        }
        let seconds = started.elapsed().as_secs_f64();
        tokio::time::sleep(Duration::from_secs(2)).await;
        sampling.abort();
        let after = rss_kib(pid)?;
        println!(
            "{name:<30} {:>7} MB {:>7} MB {:>7} MB {:>12.1} {:>10} {:>9.1}",
            before / 1024,
            peak.load(Ordering::Relaxed) / 1024,
            after / 1024,
            bytes as f64 / 1e6,
            cut,
            seconds
        );
    }
    println!(
        "(rss: the keel process's resident set; answer MB: all answers together; cut calls: answered -32005 once a request's answer reached rpc.max_response_bytes or its deadline)"
    );
    Ok(())
}

/// A single JSON-RPC call's whole answer.
async fn call(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    method: &str,
    params: Value,
) -> eyre::Result<Value> {
    let mut request = client
        .post(url)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    Ok(request.send().await?.json().await?)
}

/// The resident set of process `pid`, KiB (`VmRSS` in `/proc/<pid>/status`).
fn rss_kib(pid: u32) -> eyre::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .ok_or_else(|| eyre::eyre!("no VmRSS in /proc/{pid}/status"))
}
