//! Polling helpers built only on standard JSON-RPC (no filters or subscriptions).

use std::time::Duration;

use alloy::{primitives::TxHash, providers::Provider, rpc::types::TransactionReceipt};
use eyre::bail;
use tokio::time::Instant;

/// How often the helpers poll.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Waits until `eth_getTransactionReceipt(hash)` returns a receipt.
pub async fn wait_for_receipt(
    provider: &impl Provider,
    hash: TxHash,
    timeout: Duration,
) -> eyre::Result<TransactionReceipt> {
    let mut receipts = wait_for_receipts(provider, &[hash], timeout).await?;
    Ok(receipts.remove(0))
}

/// Waits until every hash has a receipt; returns them in the order of `hashes`.
pub async fn wait_for_receipts(
    provider: &impl Provider,
    hashes: &[TxHash],
    timeout: Duration,
) -> eyre::Result<Vec<TransactionReceipt>> {
    let deadline = Instant::now() + timeout;
    let mut receipts: Vec<Option<TransactionReceipt>> = vec![None; hashes.len()];
    loop {
        for (slot, hash) in receipts.iter_mut().zip(hashes) {
            if slot.is_none() {
                *slot = provider.get_transaction_receipt(*hash).await?;
            }
        }
        let missing: Vec<&TxHash> = receipts
            .iter()
            .zip(hashes)
            .filter(|(r, _)| r.is_none())
            .map(|(_, h)| h)
            .collect();
        if missing.is_empty() {
            return Ok(receipts.into_iter().flatten().collect());
        }
        if Instant::now() >= deadline {
            let head = provider
                .get_block_number()
                .await
                .map_or_else(|e| format!("unknown ({e})"), |n| n.to_string());
            bail!(
                "{} of {} transactions have no receipt after {timeout:?} (head block {head}); first missing: {:?}",
                missing.len(),
                hashes.len(),
                &missing[..missing.len().min(5)]
            );
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// Waits until `eth_blockNumber` is at least `number`; returns the block number seen.
pub async fn wait_for_block(
    provider: &impl Provider,
    number: u64,
    timeout: Duration,
) -> eyre::Result<u64> {
    let deadline = Instant::now() + timeout;
    loop {
        let head = provider.get_block_number().await?;
        if head >= number {
            return Ok(head);
        }
        if Instant::now() >= deadline {
            bail!("the chain did not reach block {number} within {timeout:?} (head is {head})");
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}
