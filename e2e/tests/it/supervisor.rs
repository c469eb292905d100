//! The node's supervisor from the outside: a critical part that dies stops the whole node with
//! its name and a non-zero exit (a panic injected into each part in turn, with the debug-build
//! hook `KEEL_TEST_FAULT`), so a node never keeps answering RPC while it no longer builds
//! blocks, proves or settles.

use std::{process::ExitStatus, time::Duration};

use eyre::{WrapErr, ensure};
use keel_e2e::{
    Anvil, AnvilOptions, KeelBinary, KeelNode, KeelNodeOptions, free_loopback_addr,
    settlement::{deploy, settling_node},
};

/// The node stops a part's fault after this long (the injected panic fires 3 s after the part started).
const EXIT_TIMEOUT: Duration = Duration::from_secs(20);

/// Starts a node with a panic injected into `part` and checks that the node exits non-zero and
/// names the part.
async fn dies_with(part: &str, options: KeelNodeOptions) -> eyre::Result<()> {
    let mut node = KeelNode::spawn(options.env("KEEL_TEST_FAULT", format!("{part}@3000")))
        .await
        .wrap_err_with(|| format!("starting a node whose {part} will panic"))?;
    let result = async {
        let status: ExitStatus = node.wait_exit(EXIT_TIMEOUT).await?;
        ensure!(
            !status.success(),
            "the node exited with {status} after its {part} panicked"
        );
        let log = std::fs::read_to_string(node.log_path())?;
        let expected = format!("error: critical task `{part}` panicked: fault injected");
        ensure!(
            log.contains(&expected),
            "the node's last words do not name the part: expected {expected:?}"
        );
        Ok(())
    }
    .await;
    node.finish(result)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_critical_part_that_dies_stops_the_node() -> eyre::Result<()> {
    let parts = [
        "proposer",
        "sealer",
        "rpc",
        "metrics",
        "status",
        "admin-rpc",
        "coordinator",
    ];
    let mut runs = Vec::new();
    for part in parts {
        let options = KeelNodeOptions::new()
            .block_time("200ms")
            .env("KEEL_ADMIN__LISTEN", free_loopback_addr()?.to_string())
            .env("KEEL_STATUS__LISTEN", free_loopback_addr()?.to_string())
            .env("KEEL_PROVER__LISTEN", free_loopback_addr()?.to_string());
        runs.push(tokio::spawn(dies_with(part, options)));
    }
    for (part, run) in parts.iter().zip(runs) {
        run.await?.wrap_err_with(|| format!("part {part}"))?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_l1_parts_are_critical_too() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let datadir = dir.path().join("node");
    let anvil = Anvil::spawn(AnvilOptions::default(), dir.path().join("anvil.log")).await?;
    deploy(&KeelBinary::locate()?, &anvil, &datadir, &[])?;
    for part in ["l1-watcher", "l1-settler"] {
        let options = settling_node(&anvil, &datadir, free_loopback_addr()?, "2s");
        dies_with(part, options)
            .await
            .wrap_err_with(|| format!("part {part}"))?;
    }
    Ok(())
}
