//! Crash soak (issue 18): SIGKILL the settling node at random moments while L2 transfers, L1
//! deposits and L2 withdrawals flow, restart it each time, and check after every restart and at
//! the end what a crash must never cost:
//!
//! - no sealed block lost or changed (every block seen before a kill has the same hash after);
//! - every deposit L1 acknowledged is credited on L2 exactly once;
//! - L1 catches up by itself: every sealed batch is committed and verified, and L1's last
//!   verified block is the node's;
//! - the L1 bridge holds what was deposited minus what was claimed (nothing is claimed here).
//!
//! `KEEL_SOAK_KILLS` sets the number of kills (default 3, what the test command runs);
//! `e2e/soak.sh N` runs it with N for a long soak and prints the figures.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, B256, U256, utils::parse_ether},
    providers::Provider,
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use eyre::{WrapErr, ensure};
use keel_e2e::{
    Anvil, AnvilOptions, DEV_ADDRESSES, DEV_PRIVATE_KEYS, KeelBinary, KeelNode, free_loopback_addr,
    settlement::{deploy, eventually, exec_prover, l1_wallet, settling_node},
};
use keel_l1::{CommonBridge, Deployment, L2Bridge, OnChainProposer};
use keel_primitives::L2_BRIDGE_ADDRESS;

const TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_at_random_moments_loses_nothing_and_settlement_catches_up() -> eyre::Result<()> {
    let kills: u64 = std::env::var("KEEL_SOAK_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir()?;
    let datadir = dir.path().join("node");
    let anvil = Anvil::spawn(AnvilOptions::default(), dir.path().join("anvil.log")).await?;
    let keel = KeelBinary::locate()?;
    let deployment = deploy(&keel, &anvil, &datadir, &[])?;
    let coordinator = free_loopback_addr()?;
    let mut node =
        KeelNode::spawn(settling_node(&anvil, &datadir, coordinator, "2s").block_time("250ms"))
            .await?;
    let prover = exec_prover(&keel, dir.path(), coordinator)?;
    let result = soak(&mut node, &anvil, &deployment, kills).await;
    drop(prover);
    let result = result.wrap_err_with(|| format!("anvil log:\n{}", anvil.log_tail()));
    node.finish(result)
}

/// What flowed, as the senders saw it acknowledged.
#[derive(Debug, Default)]
struct Flows {
    /// Deposits L1 mined: recipient → amount (one deposit per fresh recipient).
    deposits: BTreeMap<Address, U256>,
}

async fn soak(
    node: &mut KeelNode,
    anvil: &Anvil,
    deployment: &Deployment,
    kills: u64,
) -> eyre::Result<()> {
    let bridge_before = anvil
        .provider()
        .get_balance(deployment.common_bridge)
        .await?;
    let flows = Arc::new(tokio::sync::Mutex::new(Flows::default()));
    let stop = Arc::new(AtomicBool::new(false));

    // L1: a deposit to a fresh recipient every ~700 ms, recorded once L1 mined it.
    let depositing = {
        let (stop, flows) = (stop.clone(), flows.clone());
        let l1 = l1_wallet(anvil, DEV_PRIVATE_KEYS[3])?;
        let bridge = deployment.common_bridge;
        tokio::spawn(async move {
            let bridge = CommonBridge::new(bridge, &l1);
            let mut made = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let recipient = PrivateKeySigner::random().address();
                let amount = parse_ether("0.01").unwrap_or_default() + U256::from(made);
                if let Ok(pending) = bridge.deposit(recipient).value(amount).send().await
                    && let Ok(receipt) = pending.get_receipt().await
                    && receipt.status()
                {
                    flows.lock().await.deposits.insert(recipient, amount);
                    made += 1;
                }
                tokio::time::sleep(Duration::from_millis(700)).await;
            }
        })
    };

    let started = Instant::now();
    let mut seen: BTreeMap<u64, B256> = BTreeMap::new();
    let mut rng_state = 0x5eed_u64 ^ u64::from(std::process::id());
    for kill in 1..=kills {
        // L2 traffic (transfers and a withdrawal each round) for a random 1.5–4.5 s, then the kill.
        let sending = spawn_l2_traffic(node, stop.clone());
        rng_state = rng_state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let wait = Duration::from_millis(1_500 + (rng_state >> 33) % 3_000);
        tokio::time::sleep(wait).await;
        let l2 = node.provider();
        let head = l2.get_block_number().await?;
        for number in seen.keys().last().map_or(1, |last| last + 1)..=head {
            if let Some(block) = l2.get_block_by_number(number.into()).await? {
                seen.insert(number, block.header.hash);
            }
        }
        node.kill9()?;
        sending.abort();
        node.restart().await?;
        // Every block seen before the kill is there, unchanged.
        let l2 = node.provider();
        for (number, hash) in &seen {
            let after = l2
                .get_block_by_number((*number).into())
                .await?
                .map(|block| block.header.hash);
            ensure!(
                after == Some(*hash),
                "kill {kill}: block {number} was {hash} before SIGKILL, {after:?} after"
            );
        }
        eprintln!(
            "kill {kill}/{kills} after {wait:?}: {} blocks checked",
            seen.len()
        );
    }
    // A while of traffic after the last restart, so batches seal (each restart reopens the
    // open batch's interval) and L1 has work to catch up on.
    let sending = spawn_l2_traffic(node, stop.clone());
    tokio::time::sleep(Duration::from_secs(8)).await;
    stop.store(true, Ordering::Relaxed);
    depositing.await?;
    sending.await?;

    // Every acknowledged deposit credited exactly once.
    let flows = flows.lock().await;
    let l2 = node.provider();
    let deposited: U256 = flows.deposits.values().copied().sum();
    for (recipient, amount) in &flows.deposits {
        let recipient = *recipient;
        let amount = *amount;
        eventually(
            &format!("the deposit to {recipient} credited"),
            TIMEOUT,
            || {
                let l2 = l2.clone();
                async move { Ok((l2.get_balance(recipient).await? == amount).then_some(())) }
            },
        )
        .await?;
    }
    // L1 catches up: every sealed batch committed and verified, ending at the node's block.
    let sealed: u64 = {
        let batch: serde_json::Value = node
            .root_provider()
            .raw_request("keel_latestBatch".into(), ())
            .await?;
        u64::from_str_radix(
            batch["number"]
                .as_str()
                .unwrap_or("0x0")
                .trim_start_matches("0x"),
            16,
        )?
    };
    let proposer = OnChainProposer::new(deployment.on_chain_proposer, anvil.provider());
    eventually(
        &format!("L1 to verify batches 1..={sealed}"),
        TIMEOUT,
        || async {
            let verified: u64 = proposer.lastVerifiedBatch().call().await?.to();
            Ok((verified >= sealed).then_some(()))
        },
    )
    .await?;
    let verified = proposer.lastVerifiedBatch().call().await?;
    let on_l1 = proposer.batches(verified).call().await?;
    let node_block = l2
        .get_block_by_number(on_l1.lastBlock.into())
        .await?
        .map(|block| block.header.hash);
    ensure!(
        node_block == Some(on_l1.lastBlockHash),
        "L1 verified block {} as {}, the node has {node_block:?}",
        on_l1.lastBlock,
        on_l1.lastBlockHash
    );
    // Nothing was claimed: the bridge holds everything deposited.
    let bridge_after = anvil
        .provider()
        .get_balance(deployment.common_bridge)
        .await?;
    ensure!(
        bridge_after == bridge_before + deposited,
        "bridge holds {bridge_after}, expected {bridge_before} + {deposited} deposited"
    );
    eprintln!(
        "soak: {kills} SIGKILLs in {:?}; {} blocks unchanged across them; {} deposits credited \
         once; L1 verified {sealed} batches",
        started.elapsed(),
        seen.len(),
        flows.deposits.len()
    );
    Ok(())
}

/// Transfers among the dev accounts and a withdrawal now and then, until aborted or `stop`.
fn spawn_l2_traffic(node: &KeelNode, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<()> {
    let l2 = node.dev_provider();
    tokio::spawn(async move {
        let mut round = 0u64;
        while !stop.load(Ordering::Relaxed) {
            for from in DEV_ADDRESSES.iter().take(4) {
                let tx = TransactionRequest::default()
                    .from(*from)
                    .to(Address::with_last_byte(0x77))
                    .value(U256::from(1));
                let _ = l2.send_transaction(tx).await;
            }
            if round % 5 == 0 {
                let withdraw = L2Bridge::withdrawCall {
                    l1Receiver: DEV_ADDRESSES[5],
                };
                let tx = TransactionRequest::default()
                    .from(DEV_ADDRESSES[5])
                    .to(L2_BRIDGE_ADDRESS)
                    .value(U256::from(1_000))
                    .with_input(alloy::sol_types::SolCall::abi_encode(&withdraw));
                let _ = l2.send_transaction(tx).await;
            }
            round += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}
