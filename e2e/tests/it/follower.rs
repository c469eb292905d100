//! The follower with real processes: anvil (the L1, which also serves the blobs), a sequencing
//! `keel` node with an exec prover, and a second `keel` node with `configs/follower.toml` that
//! sees only L1.
//!
//! - every transaction paid its L1 data fee (receipt `l1Fee`, the block's price in the
//!   `L1FeeOracle`), the `L1FeeVault` holds exactly their sum and withdraws it to the genesis
//!   recipient on L1;
//! - started from genesis after the sequencer committed batches of transfers, an ERC-20,
//!   a deposit and a withdrawal, it has every committed block with the same hash and state root
//!   and answers balances, logs and receipts as the sequencer does; a transaction sent to it is
//!   forwarded to the sequencer;
//! - with the sequencer stopped and its datadir deleted it still serves the chain, and a
//!   withdrawal of a verified batch is claimed on L1 through it;
//! - killed mid-sync it resumes and reaches the same roots;
//! - an L1 reorganisation that takes a commit it applied away is unwound, and the batch is
//!   followed again when it is re-committed;
//! - the security council reverts committed, unverified batches: the sequencer stops naming
//!   `keel revert`, which re-forms its chain (the reverted blocks' transactions and deposit
//!   included again, once); the follower unwinds and follows the new batches to the same
//!   blocks, and they are verified.

use std::{path::Path, time::Duration};

use alloy::{
    primitives::{Address, B256, U64, U256, utils::parse_ether},
    providers::{Provider, RootProvider},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use eyre::{WrapErr, ensure};
use keel_e2e::{
    Anvil, AnvilOptions, DEV_ADDRESSES, DEV_PRIVATE_KEYS, KeelBinary, KeelNode, Prover,
    contracts::{L1FeeOracle, L1FeeVault, TestToken},
    free_loopback_addr,
    settlement::{
        COUNCIL_KEY, claim_withdrawal_ok, deploy, deposit_eth, eventually, exec_prover,
        following_node, keel_command, l1_wallet, settling_node, settling_sequencer,
    },
};
use keel_l1::{Deployment, L2Bridge, OnChainProposer};
use keel_primitives::{L1_FEE_ORACLE_ADDRESS, L1_FEE_VAULT_ADDRESS, L2_BRIDGE_ADDRESS};
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(90);

/// The last L2 block of the last batch L1 committed.
async fn committed_block(anvil: &Anvil, deployment: &Deployment) -> eyre::Result<u64> {
    let proposer = OnChainProposer::new(deployment.on_chain_proposer, anvil.provider());
    let committed = proposer.lastCommittedBatch().call().await?;
    Ok(proposer.batches(committed).call().await?.lastBlock)
}

/// Waits until L1 has committed a batch reaching block `block`; returns that batch's last
/// block.
async fn committed_through(
    anvil: &Anvil,
    deployment: &Deployment,
    block: u64,
) -> eyre::Result<u64> {
    eventually(
        &format!("L1 to commit a batch through L2 block {block}"),
        TIMEOUT,
        || async {
            let last = committed_block(anvil, deployment).await?;
            Ok((last >= block).then_some(last))
        },
    )
    .await
}

/// Waits until `node`'s head reaches `block`.
async fn reaches(node: &KeelNode, block: u64) -> eyre::Result<()> {
    eventually(
        &format!("the follower to rebuild block {block}"),
        TIMEOUT,
        || async { Ok((node.provider().get_block_number().await? >= block).then_some(())) },
    )
    .await
}

async fn raw(provider: &RootProvider, method: &'static str, params: Value) -> eyre::Result<Value> {
    Ok(provider.raw_request(method.into(), params).await?)
}

/// What a node answers about blocks `1..=last`: every block (hashes, state roots, bodies),
/// the balances of `accounts` at each, every log, and the receipts of `txs`.
async fn chain_view(
    node: &KeelNode,
    last: u64,
    accounts: &[Address],
    txs: &[B256],
) -> eyre::Result<Vec<Value>> {
    let provider = node.root_provider();
    let mut view = Vec::new();
    for number in 1..=last {
        let tag = U64::from(number);
        view.push(
            raw(
                &provider,
                "eth_getBlockByNumber",
                serde_json::json!([tag, true]),
            )
            .await?,
        );
        for account in accounts {
            view.push(
                raw(
                    &provider,
                    "eth_getBalance",
                    serde_json::json!([account, tag]),
                )
                .await?,
            );
        }
    }
    view.push(
        raw(
            &provider,
            "eth_getLogs",
            serde_json::json!([{ "fromBlock": "0x1", "toBlock": U64::from(last) }]),
        )
        .await?,
    );
    for tx in txs {
        view.push(
            raw(
                &provider,
                "eth_getTransactionReceipt",
                serde_json::json!([tx]),
            )
            .await?,
        );
    }
    Ok(view)
}

/// The L1 recipient `configs/devnet.toml` names for the data fees (anvil's account 9).
const L1_FEE_RECIPIENT: Address =
    alloy::primitives::address!("a0Ee7A142d267C1f36714E4a8F75612F20a79720");

/// Checks the L1 data fee of every signed transaction so far: its receipt's `l1Fee` is its
/// signed bytes at the block's price, that price follows the L1 blob base fee the node read
/// (the native rule), the `L1FeeOracle` held it during the block, and the vault holds exactly
/// the sum. Then withdraws the vault to L1 (adding that transaction to `txs`) and returns the
/// block it is in.
async fn data_fees_reach_the_vault_and_l1(
    sequencer: &KeelNode,
    txs: &mut Vec<B256>,
) -> eyre::Result<u64> {
    let provider = sequencer.root_provider();
    let head = sequencer.provider().get_block_number().await?;
    let (mut total, mut charged, mut priced) = (U256::ZERO, 0, 0);
    for number in 1..=head {
        let receipts = raw(
            &provider,
            "eth_getBlockReceipts",
            serde_json::json!([U64::from(number)]),
        )
        .await?;
        for receipt in receipts.as_array().into_iter().flatten() {
            if receipt["type"] == "0x7e" {
                ensure!(receipt.get("l1Fee").is_none(), "a deposit pays no data fee");
                continue;
            }
            let field = |name: &str| -> eyre::Result<U256> {
                let value = receipt[name]
                    .as_str()
                    .ok_or_else(|| eyre::eyre!("receipt without {name}: {receipt}"))?;
                Ok(value.parse()?)
            };
            let (fee, blob_base_fee, price) = (
                field("l1Fee")?,
                field("l1BlobBaseFee")?,
                field("l1DataPrice")?,
            );
            // The native rule: full blobs (131,072 blob gas buy 126,976 bytes), 80 % compressed.
            let native =
                (blob_base_fee * U256::from(131_072u64 * 800)).div_ceil(U256::from(126_976u64));
            ensure!(
                price == native,
                "block {number}: price {price} at blob base fee {blob_base_fee}"
            );
            let hash: B256 = receipt["transactionHash"]
                .as_str()
                .unwrap_or_default()
                .parse()?;
            let tx = sequencer
                .provider()
                .get_transaction_by_hash(hash)
                .await?
                .ok_or_else(|| eyre::eyre!("{hash} not found"))?;
            let len = alloy::eips::Encodable2718::encode_2718_len(tx.inner.inner());
            ensure!(
                fee == (U256::from(len) * price).div_ceil(U256::from(1_000)),
                "{hash}: l1Fee {fee} for {len} bytes at {price} per 1,000"
            );
            let oracle = L1FeeOracle::new(L1_FEE_ORACLE_ADDRESS, sequencer.provider());
            let at = alloy::eips::BlockId::number(number);
            ensure!(
                oracle.dataPrice().block(at).call().await? == price
                    && oracle.blobBaseFee().block(at).call().await? == blob_base_fee,
                "block {number}: the L1FeeOracle does not hold the block's data fee"
            );
            total += fee;
            charged += 1;
            priced += usize::from(!price.is_zero());
        }
    }
    ensure!(
        priced > 0,
        "no transaction was priced: the node never read the L1 blob base fee ({charged} charged)"
    );
    let vault = sequencer
        .provider()
        .get_balance(L1_FEE_VAULT_ADDRESS)
        .await?;
    ensure!(
        vault == total,
        "the vault holds {vault}, the receipts say {total}"
    );

    let vault_contract = L1FeeVault::new(L1_FEE_VAULT_ADDRESS, sequencer.dev_provider());
    ensure!(vault_contract.recipient().call().await? == L1_FEE_RECIPIENT);
    let receipt = vault_contract
        .withdraw()
        .from(DEV_ADDRESSES[4])
        .send()
        .await?
        .get_receipt()
        .await?;
    ensure!(receipt.status(), "the vault's withdrawal reverted");
    let initiated = receipt
        .decoded_log::<L2Bridge::WithdrawalInitiated>()
        .ok_or_else(|| eyre::eyre!("the vault's withdrawal emitted no WithdrawalInitiated"))?;
    // The withdraw transaction's own data fee arrives after it ran: the vault keeps that one.
    ensure!(
        (initiated.l2Sender, initiated.l1Receiver, initiated.amount)
            == (L1_FEE_VAULT_ADDRESS, L1_FEE_RECIPIENT, total),
        "withdrew {initiated:?}, expected {total} to {L1_FEE_RECIPIENT}"
    );
    println!(
        "data fee: {charged} transactions paid {total} wei in all (the vault withdrew it to L1)"
    );
    txs.push(receipt.transaction_hash);
    Ok(receipt.block_number.unwrap_or_default())
}

/// Compares two chain views, naming the first answer that differs.
fn same_view(sequencer: &[Value], follower: &[Value]) -> eyre::Result<()> {
    ensure!(
        sequencer.len() == follower.len(),
        "views of different sizes"
    );
    for (i, (a, b)) in sequencer.iter().zip(follower).enumerate() {
        ensure!(
            a == b,
            "answer {i} differs:\n  sequencer {a}\n  follower  {b}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_follower_rebuilds_the_chain_from_l1_alone_and_outlives_the_sequencer() -> eyre::Result<()>
{
    let dir = tempfile::tempdir()?;
    let datadir = dir.path().join("sequencer");
    let anvil = Anvil::spawn(AnvilOptions::default(), dir.path().join("anvil.log")).await?;
    let keel = KeelBinary::locate()?;
    let (mut sequencer, prover, deployment) =
        settling_sequencer(&keel, &anvil, &datadir, dir.path(), "2s").await?;
    let result = rebuild_and_outlive(&keel, &mut sequencer, &anvil, &deployment, dir.path()).await;
    let result = result.wrap_err_with(|| {
        format!(
            "prover log:\n{}\nanvil log:\n{}",
            prover.log(),
            anvil.log_tail()
        )
    });
    sequencer.finish(result)
}

async fn rebuild_and_outlive(
    keel: &KeelBinary,
    sequencer: &mut KeelNode,
    anvil: &Anvil,
    deployment: &Deployment,
    dir: &Path,
) -> eyre::Result<()> {
    let l2 = sequencer.dev_provider();
    let mut txs = Vec::new();

    // A deposit from L1.
    let alice = PrivateKeySigner::random();
    let one = parse_ether("1")?;
    let depositor = l1_wallet(anvil, DEV_PRIVATE_KEYS[0])?;
    deposit_eth(&depositor, deployment, alice.address(), one).await?;
    eventually("the deposit to be credited on L2", TIMEOUT, || async {
        Ok((sequencer.provider().get_balance(alice.address()).await? == one).then_some(()))
    })
    .await?;

    // ETH transfers.
    let receivers: Vec<Address> = (0..4)
        .map(|_| PrivateKeySigner::random().address())
        .collect();
    for (i, to) in receivers.iter().enumerate() {
        let tx = TransactionRequest::default()
            .from(DEV_ADDRESSES[1 + i % 2])
            .to(*to)
            .value(U256::from(1_000_000_000u64 * (i as u64 + 1)));
        let receipt = l2.send_transaction(tx).await?.get_receipt().await?;
        ensure!(receipt.status(), "transfer reverted");
        txs.push(receipt.transaction_hash);
    }

    // An ERC-20 and its transfers.
    let token = TestToken::deploy(
        l2.clone(),
        "Follow Token".into(),
        "FLW".into(),
        parse_ether("1000000")?,
    )
    .await?;
    for to in &receivers {
        let receipt = token
            .transfer(*to, parse_ether("12.5")?)
            .send()
            .await?
            .get_receipt()
            .await?;
        ensure!(receipt.status(), "token transfer reverted");
        txs.push(receipt.transaction_hash);
    }

    // A withdrawal to L1.
    let l1_receiver = PrivateKeySigner::random().address();
    let amount = parse_ether("0.4")?;
    let withdrawal = L2Bridge::new(L2_BRIDGE_ADDRESS, sequencer.wallet_provider(alice.clone()))
        .withdraw(l1_receiver)
        .value(amount)
        .send()
        .await?
        .get_receipt()
        .await?;
    ensure!(withdrawal.status(), "withdrawal reverted");
    txs.push(withdrawal.transaction_hash);

    // Every transaction paid its L1 data fee into the vault, which sends it to L1.
    let fees_withdrawn = data_fees_reach_the_vault_and_l1(sequencer, &mut txs).await?;
    let workload_end = fees_withdrawn;
    committed_through(anvil, deployment, workload_end).await?;

    // A follower from genesis, with only L1 (and the deployment file).
    let follower_dir = dir.join("follower");
    std::fs::create_dir_all(&follower_dir)?;
    let deployment_file = follower_dir.join(keel_l1::DEPLOYMENT_FILE);
    std::fs::copy(
        sequencer.datadir().join(keel_l1::DEPLOYMENT_FILE),
        &deployment_file,
    )?;
    let follower = KeelNode::spawn(following_node(
        anvil,
        &follower_dir,
        &deployment_file,
        &sequencer.rpc_url(),
    ))
    .await?;
    let result = async {
        // A transaction sent to the follower reaches the sequencer.
        let forwarded = follower
            .dev_provider()
            .send_transaction(
                TransactionRequest::default()
                    .from(DEV_ADDRESSES[3])
                    .to(receivers[0])
                    .value(U256::from(7)),
            )
            .await?
            .tx_hash()
            .to_owned();
        let receipt = eventually("the forwarded transaction to be mined", TIMEOUT, || async {
            Ok(sequencer
                .provider()
                .get_transaction_receipt(forwarded)
                .await?)
        })
        .await?;
        ensure!(receipt.status(), "the forwarded transaction reverted");
        txs.push(forwarded);
        let last =
            committed_through(anvil, deployment, receipt.block_number.unwrap_or_default()).await?;
        reaches(&follower, last).await?;

        let mut accounts = receivers.clone();
        accounts.extend([
            alice.address(),
            DEV_ADDRESSES[0],
            DEV_ADDRESSES[1],
            L2_BRIDGE_ADDRESS,
        ]);
        let expected = chain_view(sequencer, last, &accounts, &txs).await?;
        same_view(
            &expected,
            &chain_view(&follower, last, &accounts, &txs).await?,
        )?;
        let holder = receivers[1];
        let balance = |node: &KeelNode| {
            let token = TestToken::new(*token.address(), node.provider());
            async move { Ok::<_, eyre::Report>(token.balanceOf(holder).call().await?) }
        };
        ensure!(balance(sequencer).await? == balance(&follower).await?);

        // The withdrawal's batch verified on L1, the follower knows it is claimable.
        eventually(
            "the follower to see the withdrawal's batch verified",
            TIMEOUT,
            || async {
                let proof: Value = follower
                    .root_provider()
                    .raw_request(
                        "keel_getWithdrawalProof".into(),
                        (withdrawal.transaction_hash,),
                    )
                    .await?;
                Ok((proof["claimable"] == true).then_some(()))
            },
        )
        .await?;

        // The sequencer goes, with its data: the follower still serves every committed block.
        sequencer.kill9()?;
        std::fs::remove_dir_all(sequencer.datadir())?;
        same_view(
            &expected,
            &chain_view(&follower, last, &accounts, &txs).await?,
        )?;

        // The withdrawal is claimed on L1 through the follower.
        claim_withdrawal_ok(
            keel,
            anvil,
            &follower,
            withdrawal.transaction_hash,
            DEV_PRIVATE_KEYS[2],
        )?;
        let paid = anvil.provider().get_balance(l1_receiver).await?;
        ensure!(paid == amount, "the receiver got {paid} wei on L1");

        // With the sequencer gone, a sent transaction gets an error saying so.
        let refused = follower
            .dev_provider()
            .send_transaction(
                TransactionRequest::default()
                    .from(DEV_ADDRESSES[3])
                    .to(receivers[0])
                    .value(U256::from(7)),
            )
            .await;
        let message = format!("{:?}", refused.err());
        ensure!(
            message.contains("could not reach the sequencer"),
            "sending to a follower without its sequencer: {message}"
        );
        Ok(())
    }
    .await;
    follower.finish(result)
}

/// A sequencer with settlement and an exec prover, sealing a batch every `commit_interval`,
/// and `blocks` blocks of ETH transfers streamed into it; returns it with the last L2 block L1
/// committed once the stream is in.
async fn busy_chain(
    dir: &Path,
    anvil: &Anvil,
    keel: &KeelBinary,
    commit_interval: &str,
    transfers: usize,
) -> eyre::Result<(KeelNode, Prover, Deployment, u64)> {
    let datadir = dir.join("sequencer");
    let (sequencer, prover, deployment) =
        settling_sequencer(keel, anvil, &datadir, dir, commit_interval).await?;
    let l2 = sequencer.dev_provider();
    let mut last = 0;
    for i in 0..transfers {
        let tx = TransactionRequest::default()
            .from(DEV_ADDRESSES[i % 4])
            .to(Address::with_last_byte(0x80 + i as u8))
            .value(U256::from(1 + i as u64));
        let receipt = l2.send_transaction(tx).await?.get_receipt().await?;
        ensure!(receipt.status(), "transfer reverted");
        last = receipt.block_number.unwrap_or_default();
    }
    let committed = committed_through(anvil, &deployment, last).await?;
    Ok((sequencer, prover, deployment, committed))
}

/// Starts a follower of `sequencer`'s chain in `dir/follower`.
async fn start_follower(dir: &Path, anvil: &Anvil, sequencer: &KeelNode) -> eyre::Result<KeelNode> {
    let follower_dir = dir.join("follower");
    std::fs::create_dir_all(&follower_dir)?;
    let deployment_file = follower_dir.join(keel_l1::DEPLOYMENT_FILE);
    std::fs::copy(
        sequencer.datadir().join(keel_l1::DEPLOYMENT_FILE),
        &deployment_file,
    )?;
    KeelNode::spawn(following_node(
        anvil,
        &follower_dir,
        &deployment_file,
        &sequencer.rpc_url(),
    ))
    .await
}

/// Every block `1..=last` of both nodes: the same hash and state root.
async fn same_blocks(sequencer: &KeelNode, follower: &KeelNode, last: u64) -> eyre::Result<()> {
    let (a, b) = (sequencer.provider(), follower.provider());
    for number in 1..=last {
        let tag = alloy::eips::BlockNumberOrTag::Number(number);
        let ours = a.get_block_by_number(tag).await?.map(|b| b.header);
        let theirs = b.get_block_by_number(tag).await?.map(|b| b.header);
        ensure!(
            ours.as_ref().map(|h| (h.hash, h.state_root))
                == theirs.as_ref().map(|h| (h.hash, h.state_root)),
            "block {number}: sequencer {ours:?}, follower {theirs:?}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_follower_killed_mid_sync_resumes_to_the_same_roots() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let anvil = Anvil::spawn(AnvilOptions::default(), dir.path().join("anvil.log")).await?;
    let keel = KeelBinary::locate()?;
    let (sequencer, _prover, _deployment, committed) =
        busy_chain(dir.path(), &anvil, &keel, "1s", 24).await?;
    let result = async {
        let mut follower = start_follower(dir.path(), &anvil, &sequencer).await?;
        let result = async {
            // SIGKILL as soon as the first batch is in, with more to come.
            eventually("the follower's first batch", TIMEOUT, || async {
                Ok((follower.provider().get_block_number().await? > 0).then_some(()))
            })
            .await?;
            follower.kill9()?;
            follower.restart().await?;
            reaches(&follower, committed).await?;
            same_blocks(&sequencer, &follower, committed).await
        }
        .await;
        follower.finish(result)
    }
    .await;
    sequencer.finish(result)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_l1_reorg_of_a_followed_commit_is_unwound_and_followed_again() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    // A block per transaction: no interval miner races the reorganisation.
    let anvil = Anvil::spawn(AnvilOptions::automine(), dir.path().join("anvil.log")).await?;
    let keel = KeelBinary::locate()?;
    let (sequencer, _prover, deployment, committed) =
        busy_chain(dir.path(), &anvil, &keel, "2s", 8).await?;
    let result = async {
        let follower = start_follower(dir.path(), &anvil, &sequencer).await?;
        let result = async {
            reaches(&follower, committed).await?;
            // L1 drops the blocks from the commit of the last batch the follower applied.
            let provider = anvil.provider();
            let proposer = OnChainProposer::new(deployment.on_chain_proposer, &provider);
            let latest: Value = follower
                .root_provider()
                .raw_request("keel_latestBatch".into(), ())
                .await?;
            let batch: U256 = serde_json::from_value(latest["number"].clone())?;
            let logs = provider
                .get_logs(
                    &alloy::rpc::types::Filter::new()
                        .address(deployment.on_chain_proposer)
                        .event_signature(
                            <OnChainProposer::BatchCommitted as alloy::sol_types::SolEvent>::SIGNATURE_HASH,
                        )
                        .topic1(B256::from(batch))
                        .from_block(0),
                )
                .await?;
            let commit_block = logs
                .first()
                .and_then(|log| log.block_number)
                .ok_or_else(|| eyre::eyre!("no commit of batch {batch}"))?;
            let tip = provider.get_block_number().await?;
            // Replaced by as many empty blocks: the commits in them are gone.
            let _: Value = provider
                .raw_request(
                    "anvil_reorg".into(),
                    (tip - commit_block + 1, Vec::<Value>::new()),
                )
                .await?;
            ensure!(
                proposer.lastCommittedBatch().call().await? < batch,
                "the rollback left batch {batch} committed"
            );
            // The follower unwinds, and follows the batch again once the sequencer re-commits.
            follower
                .wait_for_log("L1 no longer holds the commits", TIMEOUT)
                .await?;
            let recommitted = committed_through(&anvil, &deployment, committed).await?;
            reaches(&follower, recommitted).await?;
            same_blocks(&sequencer, &follower, recommitted).await
        }
        .await;
        follower.finish(result)
    }
    .await;
    sequencer.finish(result)
}

/// L1's `(lastCommittedBatch, lastVerifiedBatch)`.
async fn l1_progress(anvil: &Anvil, deployment: &Deployment) -> eyre::Result<(u64, u64)> {
    let proposer = OnChainProposer::new(deployment.on_chain_proposer, anvil.provider());
    let progress = proposer.progress().call().await?;
    Ok((progress.committed.to(), progress.verified.to()))
}

#[tokio::test(flavor = "multi_thread")]
async fn reverted_batches_are_re_formed_by_the_sequencer_and_followed() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let anvil = Anvil::spawn(AnvilOptions::default(), dir.path().join("anvil.log")).await?;
    let keel = KeelBinary::locate()?;
    let datadir = dir.path().join("sequencer");
    let deployment = deploy(&keel, &anvil, &datadir, &[])?;
    let coordinator = free_loopback_addr()?;
    let mut sequencer = KeelNode::spawn(settling_node(&anvil, &datadir, coordinator, "2s")).await?;
    let result = async {
        let l2 = sequencer.dev_provider();
        // Transfer `i`, mined and successful.
        let transfer = |i: u64| {
            let l2 = &l2;
            async move {
                let tx = TransactionRequest::default()
                    .from(DEV_ADDRESSES[1])
                    .to(Address::with_last_byte(0x90 + i as u8))
                    .value(U256::from(1_000 + i));
                let receipt = l2.send_transaction(tx).await?.get_receipt().await?;
                ensure!(receipt.status(), "transfer {i} reverted");
                eyre::Ok(receipt)
            }
        };
        // Proven and verified: batches up to V are final.
        let prover = exec_prover(&keel, dir.path(), coordinator)?;
        for i in 0..3 {
            transfer(i).await?;
        }
        eventually("a verified batch", TIMEOUT, || async {
            Ok((l1_progress(&anvil, &deployment).await?.1 > 0).then_some(()))
        })
        .await?;
        drop(prover);

        // Committed but never proven: a deposit and transfers land after V.
        let alice = PrivateKeySigner::random();
        let one = parse_ether("1")?;
        let depositor = l1_wallet(&anvil, DEV_PRIVATE_KEYS[0])?;
        deposit_eth(&depositor, &deployment, alice.address(), one).await?;
        let mut late = Vec::new();
        let mut last = 0;
        for i in 3..9 {
            let receipt = transfer(i).await?;
            late.push(receipt.transaction_hash);
            last = receipt.block_number.unwrap_or_default();
        }

        eventually("the deposit to be credited on L2", TIMEOUT, || async {
            Ok((sequencer.provider().get_balance(alice.address()).await? == one).then_some(()))
        })
        .await?;
        committed_through(&anvil, &deployment, last).await?;
        let follower = start_follower(dir.path(), &anvil, &sequencer).await?;
        let result = async {
            reaches(&follower, last).await?;

            // The council reverts everything after the last verified batch, at once.
            let council = l1_wallet(&anvil, COUNCIL_KEY)?;
            let council_proposer = OnChainProposer::new(deployment.on_chain_proposer, &council);
            let (committed, kept) = eventually("the council's revert", TIMEOUT, || async {
                let (committed, verified) = l1_progress(&anvil, &deployment).await?;
                let receipt = council_proposer
                    .revertBatches(U256::from(verified))
                    .send()
                    .await?
                    .get_receipt()
                    .await?;
                Ok(receipt.status().then_some((committed, verified)))
            })
            .await?;
            ensure!(committed > kept, "nothing unverified to revert");
            let kept_arg = kept.to_string();
            let kept_last = OnChainProposer::new(deployment.on_chain_proposer, anvil.provider())
                .batches(U256::from(kept))
                .call()
                .await?
                .lastBlock;

            // The sequencer refuses to commit the reverted batches again: it stops, naming the
            // command that re-forms its chain.
            let status = sequencer.wait_exit(TIMEOUT).await?;
            ensure!(
                !status.success(),
                "the sequencer exited cleanly after L1's revert"
            );
            ensure!(
                sequencer.log_contains(&format!("keel revert --config <file> --to-batch {kept}")),
                "the sequencer's stop does not name `keel revert`"
            );

            let config = keel_e2e::default_config_path();
            let revert = |to: &str| {
                keel_command(
                    &keel,
                    &anvil,
                    &[
                        "revert",
                        "--config",
                        &config.to_string_lossy(),
                        "--datadir",
                        &datadir.to_string_lossy(),
                        "--to-batch",
                        to,
                    ],
                    &[],
                )
            };
            let refused = revert(&(kept - 1).to_string())?;
            ensure!(
                !refused.status.success()
                    && String::from_utf8_lossy(&refused.stderr).contains("final"),
                "keel revert below a verified batch was not refused: {}",
                String::from_utf8_lossy(&refused.stderr)
            );
            let output = revert(&kept_arg)?;
            let printed = String::from_utf8_lossy(&output.stdout);
            ensure!(
                output.status.success() && printed.contains("1 L1 message(s) are pending again"),
                "keel revert failed ({}):\n{printed}{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );

            // Started again, the sequencer re-forms the blocks from the requeued transactions
            // and the returned deposit; a prover proves the new batches and L1 verifies them.
            sequencer.restart().await?;
            let _prover = exec_prover(&keel, dir.path(), coordinator)?;
            let l2 = sequencer.provider();
            let mut relast = 0;
            for tx in &late {
                let block = eventually(
                    "a reverted transaction to be mined again",
                    TIMEOUT,
                    || async {
                        Ok(l2
                            .get_transaction_receipt(*tx)
                            .await?
                            .and_then(|r| r.block_number))
                    },
                )
                .await?;
                ensure!(
                    block > kept_last,
                    "{tx} is in block {block}, in a kept batch"
                );
                relast = relast.max(block);
            }
            ensure!(
                l2.get_balance(alice.address()).await? == one,
                "the returned deposit is not credited exactly once"
            );
            let recommitted = committed_through(&anvil, &deployment, relast).await?;
            eventually("L1 to verify the re-formed batches", TIMEOUT, || async {
                let (committed, verified) = l1_progress(&anvil, &deployment).await?;
                Ok((verified == committed && committed > kept).then_some(()))
            })
            .await?;

            // The follower dropped the reverted batches and follows the new ones.
            ensure!(
                follower.log_contains("L1 no longer holds the commits"),
                "the follower did not unwind the reverted batches"
            );
            eventually(
                "the follower to hold the re-formed blocks",
                TIMEOUT,
                || async {
                    Ok(same_blocks(&sequencer, &follower, recommitted)
                        .await
                        .is_ok()
                        .then_some(()))
                },
            )
            .await?;
            ensure!(
                follower.provider().get_balance(alice.address()).await? == one,
                "the follower credits the deposit otherwise"
            );
            Ok(())
        }
        .await;
        follower.finish(result)
    }
    .await;
    sequencer.finish(result)
}
