//! The OpenVM guest on a real batch (slow: `KEEL_SLOW_TESTS=1 e2e/test.sh` runs it, after
//! `runtime/guest/setup.sh`). A node seals a batch of 10 ETH transfers and an ERC-20 transfer;
//! `cargo openvm build` builds `runtime/guest`, `cargo openvm run` executes it (no proof) on the
//! batch's prover input, and the commitment it reveals must be the node's. A tampered input
//! makes the guest fail. Instruction counts are printed (`--mode meter`).

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use alloy::{
    primitives::{Address, B256, U64, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
};
use eyre::{WrapErr, bail, ensure};
use keel_e2e::{
    DEV_ADDRESSES, KeelNode, KeelNodeOptions, contracts::TestToken, settlement::eventually,
    wait::wait_for_receipts,
};
use keel_stf::ProverInput;
use serde_json::Value;

fn guest_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime/guest")
}

/// `cargo openvm <args…>` in the guest's directory; stdout on success.
fn cargo_openvm(args: &[&str]) -> eyre::Result<String> {
    let output = Command::new("cargo")
        .arg("openvm")
        .args(args)
        .current_dir(guest_dir())
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .wrap_err("cannot run `cargo openvm`: run runtime/guest/setup.sh first")?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "cargo openvm {args:?} failed ({}):\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(stdout)
}

/// Writes `input` as cargo-openvm's input file: one stream of raw bytes (`0x01` prefix).
fn input_file(dir: &Path, name: &str, input: &[u8]) -> eyre::Result<PathBuf> {
    let path = dir.join(name);
    let json = serde_json::json!({ "input": [format!("0x01{}", alloy::hex::encode(input))] });
    std::fs::write(&path, json.to_string())?;
    Ok(path)
}

/// The bytes of `Execution output: [..]`.
fn revealed(stdout: &str) -> eyre::Result<Vec<u8>> {
    let line = stdout
        .lines()
        .find_map(|line| {
            line.split_once("Execution output:")
                .map(|(_, rest)| rest.trim())
        })
        .ok_or_else(|| eyre::eyre!("no execution output in:\n{stdout}"))?;
    line.trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .map(|byte| Ok(byte.trim().parse::<u8>()?))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "slow: needs runtime/guest/setup.sh; run with KEEL_SLOW_TESTS=1 e2e/test.sh"]
async fn the_guest_reproduces_a_batch_commitment() -> eyre::Result<()> {
    let node = KeelNode::spawn(
        KeelNodeOptions::new()
            .block_time("500ms")
            .env("KEEL_BATCHER__COMMIT_INTERVAL", "3s"),
    )
    .await?;
    let result = run(&node).await;
    node.finish(result)
}

async fn run(node: &KeelNode) -> eyre::Result<()> {
    let provider = node.dev_provider();
    let token = TestToken::deploy_builder(
        provider.clone(),
        "T".into(),
        "T".into(),
        U256::from(1_000_000u64),
    )
    .send()
    .await?
    .get_receipt()
    .await?
    .contract_address
    .ok_or_else(|| eyre::eyre!("no token address"))?;
    let token = TestToken::new(token, provider.clone());

    // Ten transfers from ten senders and one ERC-20 transfer, sent together.
    let mut hashes = Vec::new();
    for (i, from) in DEV_ADDRESSES.iter().enumerate() {
        let tx = TransactionRequest::default()
            .from(*from)
            .to(Address::with_last_byte(0x90 + i as u8))
            .value(U256::from(1_000 + i as u64));
        hashes.push(*provider.send_transaction(tx).await?.tx_hash());
    }
    hashes.push(
        *token
            .transfer(Address::with_last_byte(0x99), U256::from(5))
            .from(DEV_ADDRESSES[0])
            .send()
            .await?
            .tx_hash(),
    );
    let receipts = wait_for_receipts(&provider, &hashes, Duration::from_secs(30)).await?;
    let block = receipts
        .iter()
        .filter_map(|r| r.block_number)
        .max()
        .unwrap_or_default();

    let batch: Value = eventually(
        "the batch holding the transfers",
        Duration::from_secs(60),
        || async {
            let latest: Value = node
                .root_provider()
                .raw_request("keel_latestBatch".into(), ())
                .await?;
            let last = latest["lastBlock"]
                .as_str()
                .and_then(|h| u64::from_str_radix(&h[2..], 16).ok());
            Ok(last.is_some_and(|last| last >= block).then_some(latest))
        },
    )
    .await?;
    // The batch holding `block` (the latest may be a later one).
    let mut number = batch["number"]
        .as_str()
        .and_then(|h| u64::from_str_radix(&h[2..], 16).ok())
        .unwrap_or(1);
    let batch = loop {
        let b: Value = node
            .root_provider()
            .raw_request("keel_getBatch".into(), (U64::from(number),))
            .await?;
        let first = b["firstBlock"]
            .as_str()
            .and_then(|h| u64::from_str_radix(&h[2..], 16).ok())
            .unwrap_or(0);
        if first <= block || number == 1 {
            break b;
        }
        number -= 1;
    };
    let commitment: B256 = serde_json::from_value(batch["commitment"].clone())?;
    let input: alloy::primitives::Bytes = node
        .root_provider()
        .raw_request("keel_getProverInput".into(), (U64::from(number),))
        .await?;
    let decoded = ProverInput::decode(&input)?;
    let txs: usize = decoded.blocks.iter().map(|b| b.transactions.len()).sum();
    ensure!(
        txs >= 11,
        "batch {number} holds {txs} transactions: {batch}"
    );

    let dir = tempfile::tempdir()?;
    cargo_openvm(&["build", "--ignore-rust-version"])?;
    let exe = guest_dir().join("openvm/release/keel-guest.vmexe");
    let exe = exe.to_string_lossy();
    let honest = input_file(dir.path(), "honest.json", &input)?;
    let out = cargo_openvm(&["run", "--exe", &exe, "--input", &honest.to_string_lossy()])?;
    ensure!(
        revealed(&out)? == commitment.as_slice(),
        "the guest revealed {:?}, the node's commitment is {commitment}",
        revealed(&out)?
    );

    // Instruction counts (needs the app key, which is cheap to make).
    cargo_openvm(&["keygen", "--app-only"])?;
    let metered = cargo_openvm(&[
        "run",
        "--exe",
        &exe,
        "--input",
        &honest.to_string_lossy(),
        "--mode",
        "meter",
    ])?;
    eprintln!(
        "batch {number}: {txs} transactions in {} blocks\n{metered}",
        decoded.blocks.len()
    );

    // A tampered input (the last block claims another state root) makes the guest fail.
    let mut tampered = decoded;
    if let Some(last) = tampered.blocks.last_mut() {
        last.header.state_root = B256::repeat_byte(0x77);
    }
    let bad = input_file(dir.path(), "tampered.json", &tampered.encode())?;
    let failed = cargo_openvm(&["run", "--exe", &exe, "--input", &bad.to_string_lossy()]);
    let Err(error) = failed else {
        bail!("the guest accepted a tampered input");
    };
    eprintln!("tampered input refused: {error:#}");
    Ok(())
}
