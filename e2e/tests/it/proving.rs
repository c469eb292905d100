//! The proving pipeline with real processes: a `keel` node seals batches, `keel-prover --backend
//! exec` processes lease and prove them over the coordinator's TCP protocol.
//!
//! - three batches are sealed, proven and stored (`keel_getBatch` shows each proof);
//! - a prover killed while it holds a batch loses it when its lease lapses, and another prover
//!   proves it;
//! - a prover announcing another program version is refused with a message that says so.

use std::{
    net::SocketAddr,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use alloy::{
    primitives::{Address, U64, U256},
    providers::{DynProvider, Provider},
};
use eyre::{WrapErr, bail, ensure};
use keel_e2e::{KeelNode, KeelNodeOptions, Prover, free_loopback_addr, wait::wait_for_receipts};
use serde_json::Value;

const LEASE_TIMEOUT: Duration = Duration::from_secs(3);
const TIMEOUT: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread")]
async fn batches_are_proven_and_a_dead_provers_batch_is_re_leased() -> eyre::Result<()> {
    let coordinator = free_loopback_addr()?;
    let node = KeelNode::spawn(
        KeelNodeOptions::new()
            .block_time("500ms")
            .env("KEEL_PROVER__LISTEN", coordinator.to_string())
            .env("KEEL_PROVER__LEASE_TIMEOUT", "3s")
            .env("KEEL_BATCHER__COMMIT_INTERVAL", "1500ms")
            .env("KEEL_BATCHER__SELF_CHECK", "true")
            .env("KEEL_ADMIN__LISTEN", free_loopback_addr()?.to_string()),
    )
    .await?;
    let result = run(&node, coordinator).await;
    node.finish(result)
}

async fn run(node: &KeelNode, coordinator: SocketAddr) -> eyre::Result<()> {
    let prover_bin = Prover::binary(node.binary())?;
    let logs = tempfile::tempdir()?;
    let provider = node.dev_provider();

    // Transactions in the first batches, so proving has something to re-execute.
    let mut pending = Vec::new();
    for i in 0..5u64 {
        let to = Address::with_last_byte(0x40 + i as u8);
        let tx = alloy::rpc::types::TransactionRequest::default()
            .to(to)
            .value(U256::from(1_000 + i));
        pending.push(*provider.send_transaction(tx).await?.tx_hash());
    }
    wait_for_receipts(&provider, &pending, Duration::from_secs(30)).await?;

    // A prover that takes a batch and sits on it: killed while it holds the lease.
    let mut slow = Prover::start(
        &prover_bin,
        logs.path(),
        coordinator,
        &["--name", "slow", "--hold-ms", "600000"],
    )?;
    let held = wait_for(
        &provider,
        "the slow prover to lease batch 1",
        |batch| batch["number"] == "0x1" && batch["lease"]["prover"] == "slow",
        1,
    )
    .await?;
    let leased_at = Instant::now();
    slow.child.kill()?;
    slow.child.wait()?;
    ensure!(
        held["proof"].is_null(),
        "batch 1 has no proof while leased: {held}"
    );

    // Another prover: batch 1 comes back to it once the dead prover's lease lapses.
    let fast = Prover::start(&prover_bin, logs.path(), coordinator, &["--name", "fast"])?;
    for number in 1..=3u64 {
        let batch = wait_for(
            &provider,
            &format!("a proof of batch {number}"),
            |batch| !batch["proof"].is_null(),
            number,
        )
        .await
        .wrap_err_with(|| format!("fast prover log:\n{}", fast.log()))?;
        ensure!(
            batch["proof"]["prover"] == "fast",
            "batch {number}: {batch}"
        );
        ensure!(
            batch["proof"]["backend"] == "exec",
            "batch {number}: {batch}"
        );
        ensure!(
            batch["commitment"].as_str().is_some_and(|c| c.len() == 66),
            "{batch}"
        );
    }
    ensure!(
        leased_at.elapsed() >= LEASE_TIMEOUT.saturating_sub(Duration::from_millis(500)),
        "batch 1 was proven before the dead prover's lease could lapse"
    );
    let first = get_batch(&provider, 1).await?;
    let second = get_batch(&provider, 2).await?;
    ensure!(
        first["lastBlockHash"] == second["parentBlockHash"]
            && first["postStateRoot"] == second["preStateRoot"],
        "batches 1 and 2 do not chain: {first} {second}"
    );
    let log = fast.log();
    ensure!(log.contains("batch proven"), "fast prover log:\n{log}");

    // Whole prover inputs are for operators: on the admin API (with its JWT), not the public
    // port, where one batch of such calls could pin hundreds of megabytes.
    let input: alloy::primitives::Bytes = serde_json::from_value(
        node.admin_call("keel_getProverInput", serde_json::json!(["0x1"]))
            .await?,
    )?;
    let input = keel_stf::ProverInput::decode(&input)?;
    ensure!(
        input.batch_number == 1,
        "prover input of batch {}",
        input.batch_number
    );
    let public: Result<serde_json::Value, _> = node
        .root_provider()
        .raw_request("keel_getProverInput".into(), ("0x1",))
        .await;
    ensure!(
        public.as_ref().is_err_and(|e| e.to_string().contains("-32601")
            || e.to_string().contains("not found")),
        "the public port served a prover input: {public:?}"
    );

    // The wrong program version: refused, with a message that names both versions, and the
    // prover exits.
    let wrong = Command::new(&prover_bin)
        .args(["--coordinator", &coordinator.to_string(), "--name", "wrong"])
        .args(["--program-version", "keel-stf/0.0.0/input-v0"])
        .stdin(Stdio::null())
        .output()?;
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    ensure!(
        !wrong.status.success(),
        "a prover with the wrong version kept running: {stderr}"
    );
    ensure!(
        stderr.contains("program version keel-stf/0.0.0/input-v0 is not accepted")
            && stderr.contains("this node accepts: exec keel-stf/"),
        "unexpected refusal: {stderr}"
    );
    drop(fast);
    Ok(())
}

/// Issue 18: a node that lists its provers (`prover.allowed_provers`) refuses a prover that
/// does not sign its `Hello` with a listed key (it exits: the refusal is final), and takes one
/// that does.
#[tokio::test(flavor = "multi_thread")]
async fn only_listed_provers_are_taken() -> eyre::Result<()> {
    let identity = alloy::signers::local::PrivateKeySigner::random();
    let coordinator = free_loopback_addr()?;
    let node = KeelNode::spawn(
        KeelNodeOptions::new()
            .block_time("500ms")
            .env("KEEL_PROVER__LISTEN", coordinator.to_string())
            .env(
                "KEEL_PROVER__ALLOWED_PROVERS",
                identity.address().to_string(),
            )
            .env("KEEL_BATCHER__COMMIT_INTERVAL", "1500ms"),
    )
    .await?;
    let result = async {
        let prover_bin = Prover::binary(node.binary())?;
        let stranger = Command::new(&prover_bin)
            .args([
                "--coordinator",
                &coordinator.to_string(),
                "--name",
                "stranger",
            ])
            .stdin(Stdio::null())
            .output()?;
        let stderr = String::from_utf8_lossy(&stranger.stderr);
        ensure!(
            !stranger.status.success() && stderr.contains("prover not allowed"),
            "an unsigned prover was not refused: {stderr}"
        );
        let key = alloy::hex::encode_prefixed(identity.to_bytes());
        let logs = tempfile::tempdir()?;
        let known = Prover::start(
            &prover_bin,
            logs.path(),
            coordinator,
            &["--name", "known", "--auth-key", &key],
        )?;
        let provider = node.dev_provider();
        let batch = wait_for(
            &provider,
            "a proof of batch 1",
            |b| !b["proof"].is_null(),
            1,
        )
        .await
        .wrap_err_with(|| format!("known prover log:\n{}", known.log()))?;
        ensure!(batch["proof"]["prover"] == "known", "{batch}");
        Ok(())
    }
    .await;
    node.finish(result)
}

async fn get_batch(provider: &DynProvider, number: u64) -> eyre::Result<Value> {
    Ok(provider
        .raw_request("keel_getBatch".into(), (U64::from(number),))
        .await?)
}

/// Polls `keel_getBatch(number)` until `done` holds for it.
async fn wait_for(
    provider: &DynProvider,
    what: &str,
    done: impl Fn(&Value) -> bool,
    number: u64,
) -> eyre::Result<Value> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let batch = get_batch(provider, number).await?;
        if !batch.is_null() && done(&batch) {
            return Ok(batch);
        }
        if Instant::now() > deadline {
            bail!("timed out waiting for {what}; batch {number} is {batch}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
