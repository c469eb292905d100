//! The OpenVM guest on a real batch (slow: `KEEL_SLOW_TESTS=1 e2e/test.sh` runs it, after
//! `runtime/guest/setup.sh`, with the `keel-prover --features openvm` it builds, named by
//! `KEEL_OPENVM_PROVER`). A node seals a batch of 10 ETH transfers and an ERC-20 transfer;
//! `keel-prover --backend openvm --execute` builds `runtime/guest` and executes it (no proof) on
//! the batch's prover input, and the commitment it reveals must be the node's. A tampered input
//! makes the guest fail and the backend say so.

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

/// `keel-prover --backend openvm --execute FILE`: the revealed bytes, or the backend's error.
fn execute(
    prover: &Path,
    dir: &Path,
    name: &str,
    input: &[u8],
) -> eyre::Result<Result<B256, String>> {
    let file = dir.join(name);
    std::fs::write(&file, input)?;
    let output = Command::new(prover)
        .args(["--backend", "openvm", "--openvm-guest"])
        .arg(guest_dir())
        .arg("--openvm-cache")
        .arg(dir.join("openvm-cache"))
        .arg("--execute")
        .arg(&file)
        .output()
        .wrap_err("cannot run the openvm keel-prover")?;
    if !output.status.success() {
        return Ok(Err(String::from_utf8_lossy(&output.stderr).into_owned()));
    }
    // The last line: the guest's build prints to stdout before it.
    let stdout = String::from_utf8(output.stdout)?;
    let last = stdout.lines().last().unwrap_or_default().trim();
    Ok(Ok(last.parse().wrap_err_with(|| {
        format!("--execute printed {stdout:?}")
    })?))
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "slow: needs the openvm keel-prover; run with KEEL_SLOW_TESTS=1 e2e/test.sh"]
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

    let prover = super::openvm_settlement::openvm_prover()?;
    let dir = tempfile::tempdir()?;
    let revealed = execute(&prover, dir.path(), "honest.rlp", &input)?
        .map_err(|error| eyre::eyre!("the guest failed on the node's batch: {error}"))?;
    ensure!(
        revealed == commitment,
        "the guest revealed {revealed}, the node's commitment is {commitment}"
    );
    eprintln!(
        "batch {number}: {txs} transactions in {} blocks: the guest revealed the node's commitment",
        decoded.blocks.len()
    );

    // A tampered input (the last block claims another state root) makes the guest fail, and
    // the backend reports the STF's reason.
    let mut tampered = decoded;
    if let Some(last) = tampered.blocks.last_mut() {
        last.header.state_root = B256::repeat_byte(0x77);
    }
    let Err(error) = execute(&prover, dir.path(), "tampered.rlp", &tampered.encode())? else {
        bail!("the guest accepted a tampered input");
    };
    ensure!(
        error.contains("the guest program failed"),
        "the backend did not report the guest's failure: {error}"
    );
    eprintln!(
        "tampered input refused: {}",
        error.lines().last().unwrap_or_default()
    );
    Ok(())
}
