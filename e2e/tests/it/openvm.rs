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

/// A node with half-second blocks that seals a batch every 3 s.
async fn batching_node() -> eyre::Result<KeelNode> {
    KeelNode::spawn(
        KeelNodeOptions::new()
            .block_time("500ms")
            .env("KEEL_BATCHER__COMMIT_INTERVAL", "3s")
            // Prover inputs are served on the admin API only.
            .env(
                "KEEL_ADMIN__LISTEN",
                keel_e2e::free_loopback_addr()?.to_string(),
            ),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "slow: needs the openvm keel-prover; run with KEEL_SLOW_TESTS=1 e2e/test.sh"]
async fn the_guest_reproduces_a_batch_commitment() -> eyre::Result<()> {
    let node = batching_node().await?;
    let result = run(&node).await;
    node.finish(result)
}

/// The batch holding `block`, once sealed: its number, the node's commitment and its prover
/// input (`keel_getProverInput`).
async fn prover_input_holding(
    node: &KeelNode,
    block: u64,
) -> eyre::Result<(u64, B256, alloy::primitives::Bytes)> {
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
    let input: alloy::primitives::Bytes = serde_json::from_value(
        node.admin_call(
            "keel_getProverInput",
            serde_json::json!([U64::from(number)]),
        )
        .await?,
    )?;
    Ok((number, commitment, input))
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

    let (number, commitment, input) = prover_input_holding(node, block).await?;
    let decoded = ProverInput::decode(&input)?;
    let blocks = keel_da::Frame(decoded.frame.clone()).blocks()?;
    let txs: usize = blocks.iter().map(|b| b.transactions.len()).sum();
    ensure!(txs >= 11, "batch {number} holds {txs} transactions");

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
        blocks.len()
    );

    // A tampered input (a byte of the compressed payload flipped) makes the guest fail, and
    // the backend reports the STF's reason.
    let mut tampered = decoded;
    let mut frame = tampered.frame.to_vec();
    let at = frame.len() - 3;
    frame[at] ^= 0xff;
    tampered.frame = frame.into();
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

/// 32 big-endian bytes of a decimal number.
fn word(decimal: &str) -> [u8; 32] {
    U256::from_str_radix(decimal, 10)
        .expect("a decimal constant")
        .to_be_bytes()
}

/// BN254's G1 generator, its negation and G2's generator (EIP-197), in precompile encoding.
fn bn254_points() -> ([u8; 64], [u8; 64], [u8; 128]) {
    let one = word("1");
    let g1: [u8; 64] = [one, word("2")].concat().try_into().expect("64 bytes");
    let neg_g1: [u8; 64] = [
        one,
        word("21888242871839275222246405745257275088696311157297823662689037894645226208581"),
    ]
    .concat()
    .try_into()
    .expect("64 bytes");
    // x = x_im·i + x_re, y likewise; EIP-197 writes the imaginary parts first.
    let g2: [u8; 128] = [
        word("11559732032986387107991004021392285783925812861821192530917403151452391805634"),
        word("10857046999023057135944570762232829481370756359578518086990519993285655852781"),
        word("4082367875863433681332203403145435568316851327593401208105741076214120093531"),
        word("8495653923123431417604973247489272438418190587263600148770280649306958101930"),
    ]
    .concat()
    .try_into()
    .expect("128 bytes");
    (g1, neg_g1, g2)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "slow: needs the openvm keel-prover; run with KEEL_SLOW_TESTS=1 e2e/test.sh"]
async fn the_guest_agrees_with_revm_on_bn254_precompiles() -> eyre::Result<()> {
    let node = batching_node().await?;
    let result = bn254(&node).await;
    node.finish(result)
}

/// ECADD, ECMUL and ECPAIRING calls, valid and refused, whose outcomes a probe contract
/// stores: the guest (OpenVM's BN254 intrinsics) must reach the node's (revm's native BN254)
/// state root, so every result and every refusal must agree.
async fn bn254(node: &KeelNode) -> eyre::Result<()> {
    use alloy::primitives::Bytes;
    use keel_e2e::contracts::PrecompileProbe;

    let provider = node.dev_provider();
    let probe = PrecompileProbe::deploy(provider.clone()).await?;
    let (g1, neg_g1, g2) = bn254_points();
    let p = word("21888242871839275222246405745257275088696311157297823662689037894645226208583");
    let r = word("21888242871839275222246405745257275088548364400416034343698204186575808495617");
    let mut off_curve = g1;
    off_curve[63] = 3;
    let mut not_canonical = g1;
    not_canonical[..32].copy_from_slice(&p);
    let mut off_twist = g2;
    off_twist[127] ^= 1;
    let ecadd = Address::with_last_byte(6);
    let ecmul = Address::with_last_byte(7);
    let ecpairing = Address::with_last_byte(8);
    let calls: Vec<(Address, Vec<u8>)> = vec![
        (ecadd, [g1, g1].concat()),
        (ecadd, [g1, neg_g1].concat()),
        (ecadd, [g1, [0; 64]].concat()),
        (ecadd, g1.to_vec()), // short input: padded with the point at infinity
        (ecadd, [g1, off_curve].concat()),
        (ecadd, [not_canonical, g1].concat()),
        (ecmul, [g1.as_slice(), &word("2")].concat()),
        (ecmul, [g1.as_slice(), &r].concat()),
        (ecmul, [g1.as_slice(), &[0xff; 32]].concat()),
        (ecmul, [off_curve.as_slice(), &word("5")].concat()),
        (ecpairing, Vec::new()),
        (ecpairing, [g1.as_slice(), &g2, &neg_g1, &g2].concat()),
        (ecpairing, [g1.as_slice(), &g2, &g1, &g2].concat()),
        (ecpairing, [[0u8; 64].as_slice(), &g2].concat()),
        (ecpairing, [g1.as_slice(), &off_twist].concat()),
        (ecpairing, [g1.as_slice(), &g2[..100]].concat()),
    ];
    let mut hashes = Vec::new();
    for (precompile, input) in &calls {
        hashes.push(
            *probe
                .probe(*precompile, Bytes::from(input.clone()))
                .from(DEV_ADDRESSES[0])
                .gas(2_000_000)
                .send()
                .await?
                .tx_hash(),
        );
    }
    let receipts = wait_for_receipts(&provider, &hashes, Duration::from_secs(30)).await?;
    ensure!(receipts.iter().all(|r| r.status()), "a probe call reverted");
    ensure!(probe.count().call().await? == U256::from(calls.len()));
    // The node agrees with itself: 2·G by ECADD is 2·G by ECMUL.
    ensure!(
        probe.results(U256::from(0)).call().await? == probe.results(U256::from(6)).call().await?
    );
    let block = receipts
        .iter()
        .filter_map(|r| r.block_number)
        .max()
        .unwrap_or_default();

    let (number, commitment, input) = prover_input_holding(node, block).await?;
    let prover = super::openvm_settlement::openvm_prover()?;
    let dir = tempfile::tempdir()?;
    if let Some(keep) = std::env::var_os("KEEL_OPENVM_KEEP_INPUTS") {
        std::fs::write(Path::new(&keep).join("bn254.rlp"), &input)?;
    }
    let revealed = execute(&prover, dir.path(), "bn254.rlp", &input)?
        .map_err(|error| eyre::eyre!("the guest failed on the node's batch: {error}"))?;
    ensure!(
        revealed == commitment,
        "batch {number}: the guest revealed {revealed}, the node's commitment is {commitment}"
    );
    eprintln!(
        "batch {number}: {} BN254 precompile calls, the guest revealed the node's commitment",
        calls.len()
    );
    Ok(())
}
