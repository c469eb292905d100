//! `eth_getProof` (EIP-1186) against a real node, checked the way a light client would: the
//! account proof verifies against the block's state root with the balance, nonce and code hash
//! the node serves, a storage proof against the account's storage root with the slot's value,
//! and an absent account's proof shows its absence. Verified with alloy-trie, not with Keel's
//! own trie code.

use std::time::Duration;

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, B256, U256, keccak256, utils::parse_ether},
    providers::Provider,
    rpc::types::{EIP1186AccountProofResponse, TransactionRequest},
};
use alloy_trie::{Nibbles, TrieAccount, proof::verify_proof};
use eyre::ensure;
use keel_e2e::{
    DEV_ADDRESSES, KeelNode, KeelNodeOptions, contracts::TestToken, settlement::eventually,
};

#[tokio::test(flavor = "multi_thread")]
async fn account_and_storage_proofs_verify_against_the_state_root() -> eyre::Result<()> {
    let node = KeelNode::spawn(KeelNodeOptions::new().block_time("200ms")).await?;
    let result = async {
        let l2 = node.dev_provider();
        let raw = node.root_provider();
        let token =
            TestToken::deploy(l2.clone(), "Proof".into(), "PRF".into(), parse_ether("5")?).await?;
        let head = raw.get_block_number().await?;
        let block = raw
            .get_block_by_number(head.into())
            .await?
            .ok_or_else(|| eyre::eyre!("no block {head}"))?;
        let state_root = block.header.state_root;
        let tag = format!("{head:#x}");

        // An account: what the proof carries is what the node serves, and it verifies.
        let who = DEV_ADDRESSES[0];
        let proof: EIP1186AccountProofResponse = raw
            .raw_request("eth_getProof".into(), (who, Vec::<B256>::new(), &tag))
            .await?;
        ensure!(
            proof.balance == raw.get_balance(who).number(head).await?,
            "balance"
        );
        ensure!(
            proof.nonce == raw.get_transaction_count(who).number(head).await?,
            "nonce"
        );
        verify_account(state_root, &proof)?;

        // Every storage slot the token wrote in its first slots: the value and its proof.
        let keys: Vec<B256> = (0..8u64).map(|slot| B256::from(U256::from(slot))).collect();
        let proof: EIP1186AccountProofResponse = raw
            .raw_request("eth_getProof".into(), (*token.address(), &keys, &tag))
            .await?;
        verify_account(state_root, &proof)?;
        let mut written = 0;
        for slot in &proof.storage_proof {
            let key = slot.key.as_b256();
            let served = raw
                .get_storage_at(*token.address(), U256::from_be_bytes(key.0))
                .number(head)
                .await?;
            ensure!(
                slot.value == served,
                "slot {key}: proof {} vs {served}",
                slot.value
            );
            let expected = (!slot.value.is_zero()).then(|| alloy_rlp::encode(slot.value));
            written += usize::from(expected.is_some());
            verify_proof(
                proof.storage_hash,
                Nibbles::unpack(keccak256(key)),
                expected,
                &slot.proof,
            )
            .map_err(|e| eyre::eyre!("storage proof of slot {key}: {e}"))?;
        }
        ensure!(written > 0, "the token wrote none of its first slots");

        // An account that does not exist: the proof shows it is absent.
        let nobody = Address::with_last_byte(0xab);
        let proof: EIP1186AccountProofResponse = raw
            .raw_request("eth_getProof".into(), (nobody, Vec::<B256>::new(), &tag))
            .await?;
        ensure!(proof.balance.is_zero() && proof.code_hash == B256::ZERO);
        verify_proof(
            state_root,
            Nibbles::unpack(keccak256(nobody)),
            None,
            &proof.account_proof,
        )
        .map_err(|e| eyre::eyre!("exclusion proof of {nobody}: {e}"))?;
        Ok(())
    }
    .await;
    node.finish(result)
}

/// A full node (the default, here keeping 4 blocks of history) answers state queries and
/// proofs at its recent blocks while its pruner drops older states, and refuses an older block
/// with an error that says its state was pruned and how to keep it; an archive node answers
/// the same query. Transfers change the state every few blocks, so there is history to prune.
#[tokio::test(flavor = "multi_thread")]
async fn a_full_node_serves_recent_states_and_names_pruned_ones() -> eyre::Result<()> {
    let options = || KeelNodeOptions::new().block_time("100ms");
    let full = KeelNode::spawn(options().env("KEEL_PRUNING__STATE_HISTORY", "4")).await?;
    let archive = KeelNode::spawn(options().env("KEEL_PRUNING__MODE", "archive")).await?;
    let result = async {
        let recipient = Address::with_last_byte(0x77);
        for node in [&full, &archive] {
            let l2 = node.dev_provider();
            for _ in 0..3 {
                let tx = TransactionRequest::default()
                    .with_to(recipient)
                    .with_value(U256::from(1));
                l2.send_transaction(tx).await?.get_receipt().await?;
            }
        }
        let raw = full.root_provider();
        let refused = eventually(
            "block 1's state pruned",
            Duration::from_secs(60),
            || async {
                match raw.get_balance(recipient).number(1).await {
                    Ok(_) => Ok(None),
                    Err(error) => Ok(Some(error.to_string())),
                }
            },
        )
        .await?;
        ensure!(
            refused.contains("state of block 1 was pruned") && refused.contains("archive"),
            "the refusal says why: {refused}"
        );

        // The recent states are whole: values and proofs at the head's parent.
        let head = raw.get_block_number().await?;
        let at = head - 1;
        let balance = raw.get_balance(recipient).number(at).await?;
        ensure!(balance == U256::from(3), "balance at block {at}: {balance}");
        let block = raw
            .get_block_by_number(at.into())
            .await?
            .ok_or_else(|| eyre::eyre!("no block {at}"))?;
        let proof: EIP1186AccountProofResponse = raw
            .raw_request(
                "eth_getProof".into(),
                (recipient, Vec::<B256>::new(), format!("{at:#x}")),
            )
            .await?;
        verify_account(block.header.state_root, &proof)?;

        // The archive node has every state.
        let old = archive
            .root_provider()
            .get_balance(DEV_ADDRESSES[0])
            .number(1)
            .await?;
        ensure!(!old.is_zero(), "the archive node answers for block 1");
        Ok(())
    }
    .await;
    let result = archive.finish(result);
    full.finish(result)
}

/// The account proof of `proof` verifies against `state_root` with the account it describes.
fn verify_account(state_root: B256, proof: &EIP1186AccountProofResponse) -> eyre::Result<()> {
    let account = TrieAccount {
        nonce: proof.nonce,
        balance: proof.balance,
        storage_root: proof.storage_hash,
        code_hash: proof.code_hash,
    };
    verify_proof(
        state_root,
        Nibbles::unpack(keccak256(proof.address)),
        Some(alloy_rlp::encode(account)),
        &proof.account_proof,
    )
    .map_err(|e| eyre::eyre!("account proof of {}: {e}", proof.address))
}
