//! `txpool_status` and `txpool_content` answer as anvil 1.7.1 does: the same two transfers (one
//! executable now, one after a nonce gap), each signed for its chain, are reported the same
//! way by both — counts, the `pending`/`queued` split, senders, nonces as decimal keys, hashes.

use alloy::{
    primitives::{Address, B256, U256},
    providers::{Provider, RootProvider},
    signers::local::PrivateKeySigner,
};
use eyre::ensure;
use keel_e2e::{
    Anvil, AnvilOptions, DEV_PRIVATE_KEYS, KeelNode, KeelNodeOptions,
    tx::{Fees, encode, sign, transfer_1559},
};
use serde_json::Value;

/// Sends nonces 0 and 2 from dev account 1 and returns what `provider`'s pool reports.
async fn pool_view(
    provider: &RootProvider,
    chain_id: u64,
) -> eyre::Result<(Value, Value, [B256; 2], Address)> {
    let signer: PrivateKeySigner = DEV_PRIVATE_KEYS[1].parse()?;
    let fees = Fees::for_base_fee(10_000_000_000, 2, 1_000_000_000);
    let mut hashes = [B256::ZERO; 2];
    for (i, nonce) in [0u64, 2].into_iter().enumerate() {
        let tx = sign(
            &signer,
            transfer_1559(
                chain_id,
                nonce,
                Address::with_last_byte(0x42),
                U256::from(1),
                fees,
            ),
        )?;
        hashes[i] = *provider.send_raw_transaction(&encode(&tx)).await?.tx_hash();
    }
    let status = provider.raw_request("txpool_status".into(), ()).await?;
    let content = provider.raw_request("txpool_content".into(), ()).await?;
    Ok((status, content, hashes, signer.address()))
}

/// The transaction at `part` (`pending` or `queued`), `sender`, nonce `nonce`, whatever case
/// the node writes the address in.
fn entry<'a>(content: &'a Value, part: &str, sender: Address, nonce: &str) -> Option<&'a Value> {
    content[part]
        .as_object()?
        .iter()
        .find(|(address, _)| address.eq_ignore_ascii_case(&sender.to_string()))?
        .1
        .get(nonce)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pool_is_reported_as_anvil_reports_it() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    // Neither mines during the test: what is sent stays in the pools.
    let anvil = Anvil::spawn(
        AnvilOptions {
            block_time: Some(3600.0),
            ..AnvilOptions::default()
        },
        dir.path().join("anvil.log"),
    )
    .await?;
    let node = KeelNode::spawn(KeelNodeOptions::new().block_time("60s")).await?;
    let result = async {
        let anvil_chain = anvil.provider().get_chain_id().await?;
        let keel_chain = node.root_provider().get_chain_id().await?;
        let views = [
            ("anvil", pool_view(&anvil.provider(), anvil_chain).await?),
            ("keel", pool_view(&node.root_provider(), keel_chain).await?),
        ];
        for (name, (status, content, hashes, sender)) in &views {
            ensure!(
                status["pending"] == "0x1" && status["queued"] == "0x1",
                "{name} txpool_status: {status}"
            );
            for (part, nonce, hash) in [("pending", "0", hashes[0]), ("queued", "2", hashes[1])] {
                let tx = entry(content, part, *sender, nonce).ok_or_else(|| {
                    eyre::eyre!("{name} txpool_content has no {part} nonce {nonce}: {content}")
                })?;
                ensure!(
                    tx["hash"] == serde_json::json!(hash) && tx["blockHash"].is_null(),
                    "{name} {part} entry: {tx}"
                );
            }
        }
        // The same fields in every entry.
        let fields = |view: &Value| -> Vec<String> {
            let mut keys: Vec<String> = entry(view, "pending", views[0].1.3, "0")
                .and_then(Value::as_object)
                .map(|tx| tx.keys().cloned().collect())
                .unwrap_or_default();
            keys.sort();
            keys
        };
        let (anvil_fields, keel_fields) = (fields(&views[0].1.1), fields(&views[1].1.1));
        let missing: Vec<&String> = anvil_fields
            .iter()
            .filter(|key| !keel_fields.contains(key))
            .collect();
        ensure!(
            missing.is_empty(),
            "keel's pooled transactions lack {missing:?} (anvil {anvil_fields:?}, keel {keel_fields:?})"
        );
        Ok(())
    }
    .await;
    node.finish(result)
}
