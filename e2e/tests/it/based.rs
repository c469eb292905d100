//! Based sequencing on a real L1 (issue 19, first step): `keel deploy` with `[l1.based]`
//! deploys a `SequencerRegistry` and makes `OnChainProposer` take commits only from the
//! leader of the current epoch. A sequencer that has not registered never has a turn, so its
//! settler waits (`keel_based_may_commit 0`, `keel_based_next_turn -1`); once it registers with
//! its bond and its first epoch comes, it leads every epoch (it is the only one) and its
//! batches are committed and verified.

use std::time::Duration;

use alloy::{
    primitives::{U256, utils::parse_ether},
    providers::Provider,
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use eyre::ensure;
use keel_e2e::{
    Anvil, AnvilOptions, DEV_ADDRESSES, KeelBinary, KeelNode, free_loopback_addr,
    settlement::{
        SEQUENCER_KEY, devnet_config_with, eventually, exec_prover, keel_command, l1_wallet,
        settling_node,
    },
};
use keel_l1::{Deployment, OnChainProposer, SequencerRegistry};

const TIMEOUT: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread")]
async fn a_based_deployment_takes_commits_only_from_its_registered_leader() -> eyre::Result<()> {
    let dir = tempfile::tempdir()?;
    let anvil = Anvil::spawn(AnvilOptions::default(), dir.path().join("anvil.log")).await?;
    let keel = KeelBinary::locate()?;
    let config = dir.path().join("based.toml");
    devnet_config_with(
        &config,
        "[l1.based]\nmin_bond = \"1 ether\"\nexit_delay = \"60s\"\nepoch_length = 4\nfallback_after = \"1h\"",
    )?;
    let datadir = dir.path().join("node");
    let output = keel_command(
        &keel,
        &anvil,
        &[
            "deploy",
            "--config",
            &config.to_string_lossy(),
            "--datadir",
            &datadir.to_string_lossy(),
        ],
        &[],
    )?;
    let printed = String::from_utf8_lossy(&output.stdout);
    ensure!(
        output.status.success() && printed.contains("SequencerRegistry"),
        "keel deploy failed ({}):\n{printed}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let deployment = Deployment::load(&datadir.join(keel_l1::DEPLOYMENT_FILE))?;
    let registry_address = deployment
        .sequencer_registry
        .ok_or_else(|| eyre::eyre!("the deployment names no sequencer registry"))?;
    let provider = anvil.provider();
    let proposer = OnChainProposer::new(deployment.on_chain_proposer, &provider);
    ensure!(proposer.sequencerRegistry().call().await? == registry_address);
    let registry = SequencerRegistry::new(registry_address, &provider);
    ensure!(registry.epochLength().call().await? == U256::from(4));

    let coordinator = free_loopback_addr()?;
    let node =
        KeelNode::spawn(settling_node(&anvil, &datadir, coordinator, "2s").config(&config)).await?;
    let _prover = exec_prover(&keel, dir.path(), coordinator)?;
    let result = async {
        let l2 = node.dev_provider();
        let transfer = TransactionRequest::default()
            .from(DEV_ADDRESSES[1])
            .to(PrivateKeySigner::random().address())
            .value(U256::from(7));
        let receipt = l2.send_transaction(transfer).await?.get_receipt().await?;
        ensure!(receipt.status(), "transfer reverted");

        // Not registered: never its turn, so the settler waits (a commit would be refused).
        eventually("the node to report it has no turn", TIMEOUT, || async {
            let next = metric(&node, "keel_based_next_turn").await?;
            let may = metric(&node, "keel_based_may_commit").await?;
            Ok((next == Some(-1) && may == Some(0)).then_some(()))
        })
        .await?;
        ensure!(proposer.lastCommittedBatch().call().await? == U256::ZERO);

        // Registered with its bond: it leads from two epochs on, and settles.
        let sequencer = l1_wallet(&anvil, SEQUENCER_KEY)?;
        let registered = SequencerRegistry::new(registry_address, &sequencer)
            .register()
            .value(parse_ether("1")?)
            .send()
            .await?
            .get_receipt()
            .await?;
        ensure!(registered.status(), "register reverted");
        let from_epoch = registry
            .sequencerInfo(deployment.sequencer)
            .call()
            .await?
            .activeFrom;
        eventually("L1 to verify a batch committed by the leader", TIMEOUT, || async {
            Ok((proposer.lastVerifiedBatch().call().await? >= U256::from(1)).then_some(()))
        })
        .await?;
        ensure!(
            registry.currentLeader().call().await? == deployment.sequencer,
            "the only registered sequencer does not lead"
        );
        ensure!(metric(&node, "keel_based_may_commit").await? == Some(1));
        let first_commit = provider
            .get_logs(
                &alloy::rpc::types::Filter::new()
                    .address(deployment.on_chain_proposer)
                    .event_signature(
                        <OnChainProposer::BatchCommitted as alloy::sol_types::SolEvent>::SIGNATURE_HASH,
                    )
                    .from_block(0),
            )
            .await?
            .first()
            .and_then(|log| log.block_number)
            .ok_or_else(|| eyre::eyre!("no commit on L1"))?;
        let committed_epoch = registry.epochOf(U256::from(first_commit)).call().await?;
        ensure!(
            committed_epoch >= from_epoch,
            "a batch was committed in epoch {committed_epoch}, before the sequencer's first ({from_epoch})"
        );
        Ok(())
    }
    .await;
    node.finish(result)
}

/// The value of gauge `name` on `node`'s metrics endpoint, if it is there.
async fn metric(node: &KeelNode, name: &str) -> eyre::Result<Option<i64>> {
    let text = reqwest::get(format!("http://{}/metrics", node.metrics_addr()))
        .await?
        .text()
        .await?;
    Ok(text.lines().find_map(|line| {
        line.strip_prefix(name)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    }))
}
