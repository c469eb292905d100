//! viem 2 and ethers 6 against a real node: `e2e/js/dapp.mjs` (installed by `e2e/setup.sh`)
//! runs what dApps call through those libraries — fee estimation, send and wait, deploy, a
//! simulated revert's reason, `getContractEvents`, an event filter polled with
//! `getFilterChanges`, ethers' `contract.on`, `watchBlockNumber`, `getProof` checked against
//! the state root, and `newHeads`/`logs` over WebSocket — and fails on any check that fails.

use std::{path::Path, process::Stdio, time::Duration};

use eyre::{WrapErr, ensure, eyre};
use keel_e2e::{DEV_PRIVATE_KEYS, KeelNode, KeelNodeOptions};

#[tokio::test(flavor = "multi_thread")]
async fn viem_and_ethers_work_against_the_node() -> eyre::Result<()> {
    let js = Path::new(env!("CARGO_MANIFEST_DIR")).join("js");
    ensure!(
        js.join("node_modules/viem").is_dir() && js.join("node_modules/ethers").is_dir(),
        "viem and ethers are not installed in {}: run e2e/setup.sh",
        js.display()
    );
    let node = KeelNode::spawn(KeelNodeOptions::new().block_time("500ms")).await?;
    let result = async {
        let run = tokio::process::Command::new("node")
            .arg("dapp.mjs")
            .arg(node.rpc_url())
            .arg(DEV_PRIVATE_KEYS[0])
            .current_dir(&js)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(Duration::from_secs(300), run)
            .await
            .map_err(|_| eyre!("dapp.mjs ran past 300 s"))?
            .wrap_err("cannot run node (Node.js): run e2e/setup.sh")?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        eprintln!("{stdout}");
        ensure!(
            output.status.success(),
            "dapp.mjs failed ({}):\n{stdout}\n{stderr}",
            output.status
        );
        ensure!(
            !stdout.contains("FAIL") && stdout.contains("checks passed"),
            "dapp.mjs exited 0 but reports:\n{stdout}"
        );
        Ok(())
    }
    .await;
    node.finish(result)
}
