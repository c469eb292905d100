//! Geth traces (revm-inspectors): `debug_traceTransaction` with `callTracer` on an ERC-20
//! transfer gives the call tree anvil 1.7.1 gives for the same transaction on the same
//! contract; `debug_traceBlockByNumber` traces the block's transactions; `debug_traceCall`
//! with `prestateTracer` names the accounts a call reads; `eth_createAccessList` lists the
//! slots anvil lists.

use alloy::{
    primitives::{Address, U256, utils::parse_ether},
    providers::Provider,
};
use eyre::ensure;
use keel_e2e::{
    Anvil, AnvilOptions, DEV_ADDRESSES, DEV_PRIVATE_KEYS, KeelNode, KeelNodeOptions,
    contracts::TestToken, settlement::l1_wallet,
};
use serde_json::{Value, json};

/// The fields two call frames must agree on (everything but the gas limit given, which each
/// node's estimate chose), nested calls included.
fn call_tree(frame: &Value) -> Value {
    json!({
        "type": frame["type"],
        "from": frame["from"].as_str().map(str::to_lowercase),
        "to": frame["to"].as_str().map(str::to_lowercase),
        "input": frame["input"],
        "output": frame["output"],
        "gasUsed": frame["gasUsed"],
        "value": frame["value"],
        "error": frame["error"],
        "calls": frame["calls"].as_array().map(|calls| calls.iter().map(call_tree).collect::<Vec<_>>()),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn an_erc20_transfer_has_the_call_tree_anvil_gives() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let anvil = Anvil::spawn(AnvilOptions::automine(), dir.path().join("anvil.log")).await?;
    let node = KeelNode::spawn(KeelNodeOptions::new().block_time("200ms")).await?;
    let result = async {
        let receiver = Address::with_last_byte(0x77);
        let mut trees = Vec::new();
        let mut keel_tx = None;
        let mut access_lists = Vec::new();
        for (name, provider) in [
            ("anvil", l1_wallet(&anvil, DEV_PRIVATE_KEYS[0])?),
            ("keel", node.dev_provider()),
        ] {
            let token = TestToken::deploy(
                provider.clone(),
                "Trace".into(),
                "TRC".into(),
                parse_ether("1000")?,
            )
            .await?;
            let receipt = token
                .transfer(receiver, U256::from(12_345))
                .send()
                .await?
                .get_receipt()
                .await?;
            ensure!(receipt.status(), "{name}: the transfer reverted");
            let trace: Value = provider
                .raw_request(
                    "debug_traceTransaction".into(),
                    (receipt.transaction_hash, json!({"tracer": "callTracer"})),
                )
                .await?;
            ensure!(
                trace["from"].as_str().map(str::to_lowercase)
                    == Some(DEV_ADDRESSES[0].to_string().to_lowercase()),
                "{name}: {trace}"
            );
            // eth_createAccessList for another transfer: the token's two balance slots.
            let call = json!({
                "from": DEV_ADDRESSES[0],
                "to": token.address(),
                "data": format!("0xa9059cbb{:0>64}{:064x}", hex_address(receiver), 1),
            });
            let listed: Value = provider
                .raw_request("eth_createAccessList".into(), (call, "latest"))
                .await?;
            ensure!(
                listed["error"].is_null()
                    && listed["gasUsed"]
                        .as_str()
                        .and_then(|g| u64::from_str_radix(g.trim_start_matches("0x"), 16).ok())
                        .is_some_and(|g| g > 21_000),
                "{name} eth_createAccessList: {listed}"
            );
            let entries = listed["accessList"].as_array().cloned().unwrap_or_default();
            ensure!(entries.len() == 1, "{name} access list: {listed}");
            let mut slots: Vec<String> = entries[0]["storageKeys"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect();
            slots.sort();
            ensure!(
                entries[0]["address"].as_str().map(str::to_lowercase)
                    == Some(token.address().to_string().to_lowercase())
                    && slots.len() == 2,
                "{name} access list: {listed}"
            );
            access_lists.push(slots);
            trees.push((name, call_tree(&trace), *token.address()));
            if name == "keel" {
                keel_tx = Some((receipt, *token.address()));
            }
        }
        // The token's address follows from the deployer's nonce, which may differ: compare
        // with the keel token's address put in anvil's place.
        let (anvil_tree, anvil_token) = (&trees[0].1, trees[0].2);
        let (keel_tree, keel_token) = (&trees[1].1, trees[1].2);
        let normalized: Value = serde_json::from_str(&anvil_tree.to_string().replace(
            &anvil_token.to_string().to_lowercase(),
            &keel_token.to_string().to_lowercase(),
        ))?;
        ensure!(
            keel_tree["gasUsed"].is_string() && keel_tree["type"] == "CALL",
            "not a call frame: {keel_tree}"
        );
        println!("call tree (keel and anvil agree): {keel_tree}");
        ensure!(
            &normalized == keel_tree,
            "call trees differ:\n  anvil {anvil_tree}\n  keel  {keel_tree}"
        );

        ensure!(
            access_lists[0] == access_lists[1],
            "access lists differ: anvil {:?}, keel {:?}",
            access_lists[0],
            access_lists[1]
        );
        // The whole block, and a call's prestate.
        let (receipt, token) = keel_tx.ok_or_else(|| eyre::eyre!("no keel transfer"))?;
        let provider = node.root_provider();
        let block = receipt
            .block_number
            .ok_or_else(|| eyre::eyre!("no block number"))?;
        let block_traces: Value = provider
            .raw_request(
                "debug_traceBlockByNumber".into(),
                (
                    alloy::primitives::U64::from(block),
                    json!({"tracer": "callTracer"}),
                ),
            )
            .await?;
        ensure!(
            block_traces.as_array().is_some_and(|traces| traces
                .iter()
                .any(|t| t["txHash"] == json!(receipt.transaction_hash)
                    && call_tree(&t["result"]) == *keel_tree)),
            "debug_traceBlockByNumber: {block_traces}"
        );
        let call = json!({
            "from": DEV_ADDRESSES[0],
            "to": token,
            "data": format!("0x70a08231{:0>64}", hex_address(receiver)),
        });
        let prestate: Value = provider
            .raw_request(
                "debug_traceCall".into(),
                (call, "latest", json!({"tracer": "prestateTracer"})),
            )
            .await?;
        ensure!(
            prestate.as_object().is_some_and(|accounts| accounts
                .keys()
                .any(|a| a.eq_ignore_ascii_case(&token.to_string()))),
            "debug_traceCall prestateTracer does not name the token: {prestate}"
        );
        let refused: Result<Value, _> = provider
            .raw_request(
                "debug_traceTransaction".into(),
                (receipt.transaction_hash, json!({"tracer": "4byteTracer"})),
            )
            .await;
        ensure!(
            refused.is_err_and(|e| e.to_string().contains("callTracer")),
            "an unserved tracer must be refused, naming the served ones"
        );
        Ok(())
    }
    .await;
    node.finish(result)
}

/// `address` as 40 lowercase hex digits.
fn hex_address(address: Address) -> String {
    address.to_string().trim_start_matches("0x").to_lowercase()
}
