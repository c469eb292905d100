//! A third-party ordering plugin, written the way an outside author would: `keel plugin new` in a
//! directory outside the repository, a policy of its own (reverse arrival order), `keel plugin
//! build`, and loaded by the node's config. The block it orders comes out as it says.

use std::time::Duration;

use alloy::{
    primitives::{Address, TxHash, U256},
    providers::Provider,
};
use eyre::{WrapErr, ensure, eyre};
use keel_e2e::{
    CHAIN_ID, KeelBinary, KeelNode, KeelNodeOptions, default_config_path, dev_accounts,
    tx::{GWEI, encode, sign, suggest_fees, transfer_1559},
    wait::{wait_for_block, wait_for_receipts},
};

/// The whole policy an author writes: latest arrival first. (Senders are distinct in this test;
/// the host's merge of the ranks keeps each sender's nonces in order anyway.)
const REVERSE_ARRIVAL: &str = r#"
use keel_plugin_sdk::prelude::*;

pub struct ReverseArrival;

impl OrderingPolicy for ReverseArrival {
    fn rank(
        _ctx: BlockContext,
        _settings: &Settings<'_>,
        candidates: Candidates<'_>,
    ) -> Result<Vec<u64>, String> {
        Ok(rank_each(candidates, |c| Some(c.arrival)))
    }
}

keel_plugin_sdk::export_ordering!(ReverseArrival);
"#;

const SENDERS: usize = 5;
const TIMEOUT: Duration = Duration::from_secs(60);

/// The target directory the plugin is built in: the shared one of the tests when set (as
/// `e2e/test.sh` does), else the workspace's own, so wit-bindgen is compiled once across runs and
/// not in every fresh temporary directory. Absolute: `keel plugin build` runs cargo elsewhere.
fn shared_target_dir() -> std::path::PathBuf {
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    match std::env::var_os("CARGO_TARGET_DIR").filter(|dir| !dir.is_empty()) {
        // A relative one is taken from the workspace root, where `cargo test` usually runs.
        Some(dir) => workspace.join(dir),
        None => workspace.join("target"),
    }
}

fn keel(binary: &KeelBinary, args: &[&str], dir: &std::path::Path) -> eyre::Result<String> {
    let output = std::process::Command::new(binary.path())
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", shared_target_dir())
        .output()
        .wrap_err("cannot run keel")?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    ensure!(
        output.status.success(),
        "keel {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(stdout)
}

#[tokio::test(flavor = "multi_thread")]
async fn plugin_from_keel_plugin_new_orders_a_block() -> eyre::Result<()> {
    // Outside the repository: a crate of its own, as a third party would have it.
    let outside = tempfile::Builder::new()
        .prefix("keel-plugin-author-")
        .tempdir()?;
    let binary = KeelBinary::locate()?;
    let work = outside.path().to_owned();
    let built = tokio::task::spawn_blocking({
        let binary = binary.clone();
        move || -> eyre::Result<std::path::PathBuf> {
            keel(
                &binary,
                &[
                    "plugin",
                    "new",
                    "reverse-arrival",
                    "--world",
                    "ordering-policy",
                ],
                &work,
            )?;
            let crate_dir = work.join("reverse-arrival");
            std::fs::write(crate_dir.join("src/lib.rs"), REVERSE_ARRIVAL)?;
            keel(&binary, &["plugin", "build", "reverse-arrival"], &work)?;
            Ok(crate_dir.join("out/reverse-arrival.wasm"))
        }
    })
    .await??;
    for file in [built.clone(), built.with_extension("toml")] {
        ensure!(
            file.is_file(),
            "keel plugin build wrote no {}",
            file.display()
        );
    }

    let config = outside.path().join("keel.toml");
    let devnet = std::fs::read_to_string(default_config_path())?;
    std::fs::write(
        &config,
        format!(
            "{devnet}\n[plugins.ordering]\npath = {:?}\n",
            built.display().to_string()
        ),
    )?;
    // Long blocks, so that the transfers sent right after one block all wait for the next.
    let node = KeelNode::spawn(KeelNodeOptions::new().config(&config).block_time("3s")).await?;
    let result = reverse_order(&node).await;
    node.finish(result)
}

async fn reverse_order(node: &KeelNode) -> eyre::Result<()> {
    let provider = node.provider();
    let fees = suggest_fees(&provider).await?;
    let head = provider.get_block_number().await?;
    wait_for_block(&provider, head + 1, TIMEOUT).await?;
    // One transfer from each of five senders, in this order, right after a block was sealed.
    let mut sent: Vec<TxHash> = Vec::new();
    for signer in dev_accounts().into_iter().skip(1).take(SENDERS) {
        let tx = sign(
            &signer,
            transfer_1559(
                CHAIN_ID,
                0,
                Address::repeat_byte(0x77),
                U256::from(GWEI),
                fees,
            ),
        )?;
        sent.push(*provider.send_raw_transaction(&encode(&tx)).await?.tx_hash());
    }
    let receipts = wait_for_receipts(&provider, &sent, TIMEOUT).await?;
    let block = receipts[0]
        .block_number
        .ok_or_else(|| eyre!("receipt without a block number"))?;
    ensure!(
        receipts.iter().all(|r| r.block_number == Some(block)),
        "the transfers did not land in one block: {:?}",
        receipts.iter().map(|r| r.block_number).collect::<Vec<_>>()
    );
    let block = provider
        .get_block_by_number(block.into())
        .await?
        .ok_or_else(|| eyre!("block {block} is missing"))?;
    let mined: Vec<TxHash> = block.transactions.hashes().collect();
    let expected: Vec<TxHash> = sent.iter().rev().copied().collect();
    ensure!(
        mined == expected,
        "block {} is not in reverse arrival order:\n  mined    {mined:?}\n  expected {expected:?}",
        block.header.number
    );
    let plugins: serde_json::Value = provider
        .raw_request(
            "keel_getBlockPlugins".into(),
            (alloy::primitives::U64::from(block.header.number),),
        )
        .await?;
    ensure!(
        plugins["plugins"][0]["name"] == "reverse-arrival"
            && plugins["plugins"][0]["fellBack"] == false,
        "block {} was not ordered by reverse-arrival: {plugins}",
        block.header.number
    );
    Ok(())
}
