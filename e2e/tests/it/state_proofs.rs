//! `eth_getProof` (EIP-1186) against a real node, checked the way a light client would: the
//! account proof verifies against the block's state root with the balance, nonce and code hash
//! the node serves, a storage proof against the account's storage root with the slot's value,
//! and an absent account's proof shows its absence. Verified with alloy-trie, not with Keel's
//! own trie code.

use alloy::{
    primitives::{Address, B256, U256, keccak256, utils::parse_ether},
    providers::Provider,
    rpc::types::EIP1186AccountProofResponse,
};
use alloy_trie::{Nibbles, TrieAccount, proof::verify_proof};
use eyre::ensure;
use keel_e2e::{DEV_ADDRESSES, KeelNode, KeelNodeOptions, contracts::TestToken};

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
