//! Hot swap: the node runs `fee-eip1559` (a WIT 0.2.0 fee rule); while transfers stream in,
//! `keel plugin swap` replaces it with `fee-fixed` (built against the frozen 0.1.0 interface)
//! through the admin API: the host runs both versions. Blocks keep coming on time, every block from the
//! activation block on has the fixed base fee, the chain records which plugin shaped each block,
//! a request without the JWT is refused, and the swap survives a restart.

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, U64, U256},
    providers::{DynProvider, Provider},
};
use eyre::{OptionExt, WrapErr, bail, ensure, eyre};
use keel_e2e::{
    CHAIN_ID, KeelNode, KeelNodeOptions, default_config_path, dev_accounts, free_loopback_addr,
    tx::{Fees, GWEI, encode, sign, transfer_1559},
    wait::wait_for_block,
};
use serde_json::{Value, json};

const BLOCK_TIME: Duration = Duration::from_secs(1);
/// The EIP-1559 floor of this test's chain: an idle chain sits exactly here.
const MIN_BASE_FEE: u128 = GWEI;
/// What `fee-fixed` is set to: within the default 12.5 % change bound of the floor.
const FIXED_BASE_FEE: u128 = 1_100_000_000;
const TIMEOUT: Duration = Duration::from_secs(60);

fn plugin_out(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plugins/out")
        .join(name)
}

/// The sha256 `plugins/build.sh` wrote into the component's manifest.
fn manifest_sha256(name: &str) -> eyre::Result<String> {
    let path = plugin_out(&format!("{name}.toml"));
    let text = std::fs::read_to_string(&path)
        .wrap_err_with(|| format!("{}: run plugins/build.sh", path.display()))?;
    text.lines()
        .find_map(|line| line.strip_prefix("sha256 = \""))
        .map(|rest| format!("0x{}", rest.trim_end_matches('"')))
        .ok_or_else(|| eyre!("{}: no sha256", path.display()))
}

#[tokio::test(flavor = "multi_thread")]
async fn swap_fee_rule_while_transactions_stream() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = dir.path().join("keel.toml");
    let devnet = std::fs::read_to_string(default_config_path())?;
    let eip1559 = plugin_out("fee-eip1559.wasm");
    std::fs::write(
        &config,
        format!(
            "{devnet}\n[plugins.fee]\npath = {:?}\n",
            eip1559.display().to_string()
        ),
    )?;
    let admin = free_loopback_addr()?;
    let mut node = KeelNode::spawn(
        KeelNodeOptions::new()
            .config(&config)
            .block_time("1s")
            .env("KEEL_ADMIN__LISTEN", admin.to_string())
            .env("KEEL_FEES__MIN_BASE_FEE", MIN_BASE_FEE.to_string()),
    )
    .await?;
    let result = swap_and_check(&mut node, &format!("http://{admin}")).await;
    node.finish(result)
}

async fn swap_and_check(node: &mut KeelNode, admin_url: &str) -> eyre::Result<()> {
    let provider = node.provider();
    wait_for_block(&provider, 2, TIMEOUT).await?;

    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::<(u64, Instant)>::new()));
    let watcher = tokio::spawn(watch_blocks(provider.clone(), seen.clone(), stop.clone()));
    let sender = tokio::spawn(stream_transfers(provider.clone(), stop.clone()));
    wait_for_block(&provider, 4, TIMEOUT).await?;

    // No JWT, or a JWT from another secret: refused, and nothing changes.
    refused_without_jwt(admin_url).await?;

    // The swap, through the CLI.
    let secret = node.datadir().join("admin-jwt.hex");
    let fixed = plugin_out("fee-fixed.wasm");
    let asked = Instant::now();
    let mut swap = std::process::Command::new(node.binary().path());
    swap.args(["plugin", "swap", "fee"])
        .arg(&fixed)
        .args(["--admin", admin_url, "--jwt-secret"])
        .arg(&secret)
        .args(["--set", "base-fee=1.1 gwei"]);
    let output = tokio::task::spawn_blocking(move || swap.output()).await??;
    let stdout = String::from_utf8_lossy(&output.stdout);
    ensure!(
        output.status.success(),
        "keel plugin swap failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let activation: u64 = stdout
        .split("active from block ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| eyre!("no activation block in the CLI's output: {stdout}"))?;
    let last = activation + 3;
    wait_for_block(&provider, last, TIMEOUT).await?;
    stop.store(true, Ordering::Relaxed);
    let sent = sender.await??;
    watcher.await??;
    let active_after = seen
        .lock()
        .map_err(|_| eyre!("poisoned"))?
        .iter()
        .find(|(n, _)| *n == activation)
        .map(|(_, at)| at.duration_since(asked))
        .ok_or_eyre("the watcher never saw the activation block")?;
    println!(
        "swap: `keel plugin swap` → block {activation} with fee-fixed seen after {:.0} ms; {sent} transfers streamed",
        active_after.as_secs_f64() * 1e3
    );

    // Blocks kept coming: consecutive, linked, and never more than 2 block times apart. The
    // watcher polls every 50 ms; the 250 ms slack covers that and the RPC round trip.
    let seen = seen.lock().map_err(|_| eyre!("poisoned"))?.clone();
    for pair in seen.windows(2) {
        let gap = pair[1].1.duration_since(pair[0].1);
        ensure!(
            gap <= 2 * BLOCK_TIME + Duration::from_millis(250),
            "{gap:?} between blocks {} and {}",
            pair[0].0,
            pair[1].0
        );
    }
    let mut parent = None;
    for number in 1..=last {
        let block = provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await?
            .ok_or_else(|| eyre!("block {number} is missing"))?;
        if let Some(parent) = parent {
            ensure!(
                block.header.parent_hash == parent,
                "block {number} does not extend {}",
                number - 1
            );
        }
        parent = Some(block.header.hash);
        let base_fee = u128::from(block.header.base_fee_per_gas.unwrap_or_default());
        let expected = if number < activation {
            MIN_BASE_FEE
        } else {
            FIXED_BASE_FEE
        };
        ensure!(
            base_fee == expected,
            "block {number} has base fee {base_fee}, expected {expected} (activation at {activation})"
        );
    }

    // The chain says which plugin shaped which block.
    let eip1559_hash = manifest_sha256("fee-eip1559")?;
    let fixed_hash = manifest_sha256("fee-fixed")?;
    let shaped = |number: u64| {
        let provider = provider.clone();
        async move {
            let answer: Value = provider
                .raw_request("keel_getBlockPlugins".into(), (U64::from(number),))
                .await?;
            let fee = answer["plugins"]
                .as_array()
                .and_then(|list| list.iter().find(|p| p["slot"] == "fee"))
                .cloned()
                .ok_or_else(|| eyre!("block {number}: no fee plugin in {answer}"))?;
            ensure!(fee["fellBack"] == false, "block {number}: {fee}");
            eyre::Ok(fee["codeHash"].as_str().unwrap_or_default().to_owned())
        }
    };
    ensure!(
        shaped(activation - 1).await? == eip1559_hash,
        "block {} was not shaped by fee-eip1559",
        activation - 1
    );
    ensure!(
        shaped(activation).await? == fixed_hash,
        "block {activation} was not shaped by fee-fixed"
    );
    let history: Value = provider
        .raw_request("keel_pluginHistory".into(), ("fee",))
        .await?;
    let activations = history["activations"]
        .as_array()
        .ok_or_else(|| eyre!("no activations in {history}"))?;
    ensure!(
        activations.len() == 2,
        "expected two activations: {history}"
    );
    ensure!(
        activations[0]["source"] == "config"
            && activations[0]["plugin"]["codeHash"] == eip1559_hash,
        "{history}"
    );
    ensure!(
        activations[1]["source"] == "admin"
            && activations[1]["plugin"]["codeHash"] == fixed_hash
            && activations[1]["block"] == format!("{activation:#x}"),
        "{history}"
    );

    // The swap survives a restart: the config still names fee-eip1559, unchanged, so the chain's
    // last activation stands.
    node.restart().await?;
    let provider = node.provider();
    let head = provider.get_block_number().await?;
    wait_for_block(&provider, head + 2, TIMEOUT).await?;
    let block = provider
        .get_block_by_number(BlockNumberOrTag::Number(head + 2))
        .await?
        .ok_or_eyre("no block after the restart")?;
    ensure!(
        u128::from(block.header.base_fee_per_gas.unwrap_or_default()) == FIXED_BASE_FEE,
        "after the restart block {} has base fee {:?}",
        head + 2,
        block.header.base_fee_per_gas
    );
    ensure!(shaped(head + 2).await? == fixed_hash);
    Ok(())
}

/// A swap request without a valid JWT gets HTTP 401 and error -32001.
async fn refused_without_jwt(admin_url: &str) -> eyre::Result<()> {
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "keel_loadPlugin",
        "params": [{"slot": "fee", "path": plugin_out("fee-fixed.wasm")}],
    });
    let client = reqwest::Client::new();
    // An HS256 token signed with another secret (32 bytes of 0x07), issued at 2026-01-01.
    let foreign = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3NjcyMjU2MDB9.\
                   hxFtF-K4OLDNQrIZyR1Q_LFNCPEXyo43uiYYYmYh9bs";
    for bearer in [None, Some(foreign)] {
        let mut request = client.post(admin_url).json(&body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await?;
        let status = response.status();
        let answer: Value = response.json().await?;
        ensure!(
            status == reqwest::StatusCode::UNAUTHORIZED && answer["error"]["code"] == -32001,
            "a swap with bearer {bearer:?} was not refused: {status} {answer}"
        );
    }
    Ok(())
}

/// Records when each block number is first seen.
async fn watch_blocks(
    provider: DynProvider,
    seen: Arc<Mutex<Vec<(u64, Instant)>>>,
    stop: Arc<AtomicBool>,
) -> eyre::Result<()> {
    let mut last = provider.get_block_number().await?;
    while !stop.load(Ordering::Relaxed) {
        let head = provider.get_block_number().await?;
        if head > last {
            let now = Instant::now();
            let mut seen = seen.lock().map_err(|_| eyre!("poisoned"))?;
            seen.extend((last + 1..=head).map(|n| (n, now)));
            last = head;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// Sends a transfer from dev account 1 every 100 ms until stopped; returns how many were sent.
async fn stream_transfers(provider: DynProvider, stop: Arc<AtomicBool>) -> eyre::Result<u64> {
    let signer = dev_accounts()
        .into_iter()
        .nth(1)
        .ok_or_eyre("no dev account 1")?;
    let mut nonce = provider.get_transaction_count(signer.address()).await?;
    // A fee cap far above either rule's base fee: every transfer is includable.
    let fees = Fees::for_base_fee(FIXED_BASE_FEE, 10, GWEI);
    let mut sent = 0;
    while !stop.load(Ordering::Relaxed) {
        let tx = sign(
            &signer,
            transfer_1559(
                CHAIN_ID,
                nonce,
                Address::repeat_byte(0x5a),
                U256::from(1),
                fees,
            ),
        )?;
        let _pending = provider.send_raw_transaction(&encode(&tx)).await?;
        nonce += 1;
        sent += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if sent == 0 {
        bail!("no transfer was sent");
    }
    Ok(sent)
}
