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

/// Issue 18: forty cheap accounts each sending nonces state+1 … state+10 (never executable,
/// each affordable alone) used to fill the pool for good, and every honest transaction got
/// `txpool is full`. Gapped transactions are now capped per sender and in total, far below the
/// pool's size: the flood is refused past the caps and an honest transfer is mined at once.
#[tokio::test(flavor = "multi_thread")]
async fn an_honest_transfer_is_mined_during_a_gapped_nonce_flood() -> eyre::Result<()> {
    let node = KeelNode::spawn(
        KeelNodeOptions::new()
            .block_time(BLOCK_TIME)
            .env("KEEL_MEMPOOL__MAX_TXS", "300")
            .env("KEEL_MEMPOOL__MAX_QUEUED", "60")
            .env("KEEL_MEMPOOL__MAX_QUEUED_PER_SENDER", "5"),
    )
    .await?;
    let result = gapped_flood(&node).await;
    node.finish(result)
}

async fn gapped_flood(node: &KeelNode) -> eyre::Result<()> {
    let provider = node.provider();
    let funder = &dev_accounts()[2];
    let fees = suggest_fees(&provider).await?;
    let start = provider.get_transaction_count(DEV_ADDRESSES[2]).await?;
    // Forty accounts, funded for a few transfers each.
    let attackers: Vec<PrivateKeySigner> = (0..40).map(|_| PrivateKeySigner::random()).collect();
    let mut funding = Vec::new();
    for (i, attacker) in attackers.iter().enumerate() {
        let tx = transfer_1559(
            CHAIN_ID,
            start + i as u64,
            attacker.address(),
            U256::from(10u128.pow(17)),
            fees,
        );
        funding.push(send_raw(&provider, &encode(&sign(funder, tx)?)).await?);
    }
    keel_e2e::wait::wait_for_receipts(&provider, &funding, RECEIPT_TIMEOUT).await?;

    // The flood: nonces 1..=10 of every attacker (nonce 0 never comes), paying a high tip.
    let rich = keel_e2e::tx::Fees {
        max_fee_per_gas: fees.max_fee_per_gas * 4,
        max_priority_fee_per_gas: fees.max_fee_per_gas * 2,
    };
    let (mut taken, mut refused) = (0, Vec::new());
    for attacker in &attackers {
        for nonce in 1..=10 {
            let tx = transfer_1559(CHAIN_ID, nonce, DEV_ADDRESSES[3], U256::from(1), rich);
            match send_raw(&provider, &encode(&sign(attacker, tx)?)).await {
                Ok(_) => taken += 1,
                Err(error) => refused.push(error.to_string()),
            }
        }
    }
    eyre::ensure!(
        taken <= 60,
        "the pool took {taken} gapped transactions, over mempool.max_queued"
    );
    eyre::ensure!(
        refused
            .iter()
            .all(|e| e.contains("txpool is full") || e.contains("account limit exceeded")),
        "refused for other reasons: {:?}",
        refused.iter().take(3).collect::<Vec<_>>()
    );

    // An honest transfer, paying an ordinary tip, is mined during the flood.
    let honest = &dev_accounts()[4];
    let nonce = provider.get_transaction_count(DEV_ADDRESSES[4]).await?;
    let tx = transfer_1559(CHAIN_ID, nonce, DEV_ADDRESSES[5], U256::from(1), fees);
    let hash = send_raw(&provider, &encode(&sign(honest, tx)?))
        .await
        .wrap_err("the honest transfer was refused during the flood")?;
    let receipt = wait_for_receipt(&provider, hash, RECEIPT_TIMEOUT).await?;
    eyre::ensure!(receipt.status(), "the honest transfer failed: {receipt:?}");
    eprintln!(
        "gapped flood: {taken} taken, {} refused (caps 5 per sender, 60 in all); honest transfer \
         mined in block {:?}",
        refused.len(),
        receipt.block_number
    );
    Ok(())
}
