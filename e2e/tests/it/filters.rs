//! Polling filters against a real node, as ethers' `contract.on` and viem's event filters use
//! them: a block filter sees each new block once, a log filter the ERC-20 `Transfer`s it
//! selects (and only those), a pending-transaction filter the pool's arrivals;
//! `eth_getFilterLogs` answers the whole range; an uninstalled or unknown id is `filter not
//! found`.

use std::time::Duration;

use alloy::{
    primitives::{Address, B256, U256, utils::parse_ether},
    providers::Provider,
    rpc::types::{Filter, Log},
    sol_types::SolEvent,
};
use eyre::ensure;
use keel_e2e::{KeelNode, KeelNodeOptions, contracts::TestToken};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn filters_report_new_blocks_logs_and_pending_transactions_once() -> eyre::Result<()> {
    let node = KeelNode::spawn(KeelNodeOptions::new().block_time("200ms")).await?;
    let result = async {
        let l2 = node.dev_provider();
        let raw = node.root_provider();
        let token = TestToken::deploy(
            l2.clone(),
            "Filter".into(),
            "FLT".into(),
            parse_ether("1000")?,
        )
        .await?;

        let blocks: U256 = raw.raw_request("eth_newBlockFilter".into(), ()).await?;
        let pending: U256 = raw
            .raw_request("eth_newPendingTransactionFilter".into(), ())
            .await?;
        let to = Address::with_last_byte(0x77);
        // From block 0: `eth_getFilterLogs` answers the filter's range, which without a
        // `fromBlock` is the latest block only (as geth answers).
        let selected = Filter::new()
            .from_block(0)
            .address(*token.address())
            .event_signature(TestToken::Transfer::SIGNATURE_HASH)
            .topic2(to.into_word());
        let logs_id: U256 = raw
            .raw_request("eth_newFilter".into(), (&selected,))
            .await?;
        let other_id: U256 = raw
            .raw_request(
                "eth_newFilter".into(),
                (Filter::new().address(Address::with_last_byte(0x99)),),
            )
            .await?;

        // Two transfers to the selected receiver, one elsewhere.
        let mut sent = Vec::new();
        for (receiver, amount) in [(to, 1u64), (Address::with_last_byte(0x78), 2), (to, 3)] {
            let receipt = token
                .transfer(receiver, U256::from(amount))
                .send()
                .await?
                .get_receipt()
                .await?;
            ensure!(receipt.status(), "transfer reverted");
            sent.push(receipt);
        }
        let pending_seen: Vec<B256> = raw
            .raw_request("eth_getFilterChanges".into(), (pending,))
            .await?;
        for receipt in &sent {
            ensure!(
                pending_seen.contains(&receipt.transaction_hash),
                "the pending filter missed {}",
                receipt.transaction_hash
            );
        }

        let logs: Vec<Log> = raw
            .raw_request("eth_getFilterChanges".into(), (logs_id,))
            .await?;
        let amounts: Vec<U256> = logs
            .iter()
            .map(|log| U256::from_be_slice(&log.data().data))
            .collect();
        ensure!(
            amounts == [U256::from(1), U256::from(3)],
            "log filter changes: {amounts:?}"
        );
        let again: Vec<Log> = raw
            .raw_request("eth_getFilterChanges".into(), (logs_id,))
            .await?;
        ensure!(again.is_empty(), "changes reported twice: {again:?}");
        let all: Vec<Log> = raw
            .raw_request("eth_getFilterLogs".into(), (logs_id,))
            .await?;
        ensure!(all.len() == 2, "eth_getFilterLogs: {all:?}");
        let none: Vec<Log> = raw
            .raw_request("eth_getFilterChanges".into(), (other_id,))
            .await?;
        ensure!(none.is_empty(), "a filter on another address saw {none:?}");

        // Every block hash once, in order, ending at the head.
        let last = sent.last().and_then(|r| r.block_number).unwrap_or_default();
        let last_hash = raw
            .get_block_by_number(last.into())
            .await?
            .map(|b| b.header.hash)
            .ok_or_else(|| eyre::eyre!("no block {last}"))?;
        let mut hashes: Vec<B256> = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !hashes.contains(&last_hash) {
            ensure!(
                std::time::Instant::now() < deadline,
                "the block filter never reported block {last}: {hashes:?}"
            );
            let more: Vec<B256> = raw
                .raw_request("eth_getFilterChanges".into(), (blocks,))
                .await?;
            hashes.extend(more);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let unique: std::collections::HashSet<_> = hashes.iter().collect();
        ensure!(unique.len() == hashes.len(), "a block hash came twice");

        let removed: bool = raw
            .raw_request("eth_uninstallFilter".into(), (logs_id,))
            .await?;
        ensure!(removed, "uninstall answered false");
        let gone: Result<Value, _> = raw
            .raw_request("eth_getFilterChanges".into(), (logs_id,))
            .await;
        ensure!(
            gone.as_ref()
                .is_err_and(|e| e.to_string().contains("filter not found")),
            "an uninstalled filter answered {gone:?}"
        );
        Ok(())
    }
    .await;
    node.finish(result)
}
