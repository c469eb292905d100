//! Transactions the node must refuse at `eth_sendRawTransaction`, with geth's error wording, and
//! malformed input that must get an error answer (not a hang).

use std::time::Duration;

use alloy::{
    primitives::{Bytes, TxHash, U256, keccak256},
    providers::{DynProvider, Provider},
    signers::local::PrivateKeySigner,
};
use eyre::{WrapErr, bail, eyre};
use keel_e2e::{
    CHAIN_ID, DEV_ADDRESSES, KeelNode, KeelNodeOptions, derived_address, dev_accounts,
    rpc_error::{error_object, expect_error_containing},
    tx::{encode, sign, suggest_fees, transfer_1559, transfer_legacy},
    wait::wait_for_receipt,
};

const BLOCK_TIME: &str = "200ms";
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(60);
/// A malformed request must be answered within this time.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

const NONCE_TOO_LOW: &str = "nonce too low";
const INVALID_CHAIN_ID: &str = "invalid chain id";
const INSUFFICIENT_FUNDS: &str = "insufficient funds for gas * price + value";

#[tokio::test(flavor = "multi_thread")]
async fn rejected_transactions() -> eyre::Result<()> {
    let node = KeelNode::spawn(KeelNodeOptions::new().block_time(BLOCK_TIME)).await?;
    let result = rejections(&node).await;
    node.finish(result)
}

/// `eth_sendRawTransaction`, answering the transaction hash.
async fn send_raw(
    provider: &DynProvider,
    raw: &Bytes,
) -> Result<TxHash, alloy::transports::TransportError> {
    provider
        .send_raw_transaction(raw)
        .await
        .map(|pending| *pending.tx_hash())
}

async fn rejections(node: &KeelNode) -> eyre::Result<()> {
    let provider = node.provider();
    let accounts = dev_accounts();
    let signer = &accounts[0];
    let sender = DEV_ADDRESSES[0];
    let to = derived_address("tx-errors", 0);
    let fees = suggest_fees(&provider).await?;
    let one = U256::from(1u64);

    // Mine nonce 0 so that it is in the past.
    let first = sign(signer, transfer_1559(CHAIN_ID, 0, to, one, fees))?;
    let hash = send_raw(&provider, &encode(&first)).await?;
    let receipt = wait_for_receipt(&provider, hash, RECEIPT_TIMEOUT).await?;
    assert!(receipt.status(), "first transfer failed: {receipt:?}");
    let balance = provider.get_balance(sender).await?;

    // Nonce too low: a different transaction (other value) reusing the mined nonce 0.
    for raw in [
        encode(&sign(
            signer,
            transfer_1559(CHAIN_ID, 0, to, U256::from(2u64), fees),
        )?),
        encode(&sign(
            signer,
            transfer_legacy(CHAIN_ID, 0, to, U256::from(3u64), fees.gas_price()),
        )?),
    ] {
        expect_error_containing(send_raw(&provider, &raw).await, NONCE_TOO_LOW).wrap_err_with(
            || format!("eth_sendRawTransaction({raw}) with nonce 0 after nonce 0 was mined"),
        )?;
    }

    // Wrong chain id, typed and legacy (EIP-155).
    for raw in [
        encode(&sign(
            signer,
            transfer_1559(CHAIN_ID + 1, 1, to, one, fees),
        )?),
        encode(&sign(
            signer,
            transfer_legacy(1, 1, to, one, fees.gas_price()),
        )?),
    ] {
        expect_error_containing(send_raw(&provider, &raw).await, INVALID_CHAIN_ID)
            .wrap_err_with(|| format!("eth_sendRawTransaction({raw}) signed for another chain"))?;
    }

    // Insufficient funds: an empty account paying for gas, and a dev account sending more than it has.
    let broke = PrivateKeySigner::from_bytes(&keccak256("keel-e2e/tx-errors/broke"))?;
    assert_eq!(provider.get_balance(broke.address()).await?, U256::ZERO);
    for raw in [
        encode(&sign(
            &broke,
            transfer_1559(CHAIN_ID, 0, to, U256::ZERO, fees),
        )?),
        encode(&sign(
            signer,
            transfer_1559(CHAIN_ID, 1, to, balance, fees),
        )?),
        encode(&sign(
            signer,
            transfer_legacy(CHAIN_ID, 1, to, balance, fees.gas_price()),
        )?),
    ] {
        expect_error_containing(send_raw(&provider, &raw).await, INSUFFICIENT_FUNDS)
            .wrap_err_with(|| format!("eth_sendRawTransaction({raw}) without the funds for it"))?;
    }

    // Malformed raw transactions get a JSON-RPC error, promptly.
    let valid = encode(&sign(signer, transfer_1559(CHAIN_ID, 1, to, one, fees))?);
    let truncated = Bytes::copy_from_slice(&valid[..valid.len() - 1]);
    let trailing = Bytes::from([valid.as_ref(), &[0u8]].concat());
    let malformed: Vec<serde_json::Value> = [
        Bytes::new(),
        Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef]),
        Bytes::from_static(&[0xc0]),
        Bytes::from_static(&[0x02]),
        truncated,
        trailing,
    ]
    .iter()
    .map(|b| serde_json::Value::String(b.to_string()))
    .chain([
        serde_json::json!("0xzz"),
        serde_json::json!("deadbeef"),
        serde_json::json!(42),
    ])
    .collect();
    for param in malformed {
        let answer = tokio::time::timeout(
            ANSWER_TIMEOUT,
            provider.raw_request::<_, TxHash>("eth_sendRawTransaction".into(), (param.clone(),)),
        )
        .await
        .map_err(|_| {
            eyre!("eth_sendRawTransaction({param}) got no answer within {ANSWER_TIMEOUT:?}")
        })?;
        match answer {
            Ok(hash) => bail!("eth_sendRawTransaction({param}) was accepted as {hash}"),
            Err(err) => {
                error_object(&err).wrap_err_with(|| format!("eth_sendRawTransaction({param})"))?;
            }
        }
    }

    // None of it touched the account, and the node still takes the valid nonce-1 transaction.
    assert_eq!(
        provider.get_transaction_count(sender).latest().await?,
        1,
        "latest nonce after rejections"
    );
    assert_eq!(
        provider.get_transaction_count(sender).pending().await?,
        1,
        "pending nonce after rejections"
    );
    assert_eq!(
        provider.get_balance(sender).await?,
        balance,
        "balance after rejections"
    );
    let hash = send_raw(&provider, &valid).await?;
    let receipt = wait_for_receipt(&provider, hash, RECEIPT_TIMEOUT).await?;
    assert!(
        receipt.status(),
        "the valid nonce-1 transfer failed: {receipt:?}"
    );
    assert_eq!(provider.get_transaction_count(sender).await?, 2);
    Ok(())
}
