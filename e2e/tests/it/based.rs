//! Based sequencing on a real L1 (issue 19, first step): `keel deploy` with `[l1.based]`
//! deploys a `SequencerRegistry` and makes `OnChainProposer` take commits only from the
//! leader of the current epoch. A sequencer that has not registered never has a turn, so its
//! settler waits (`keel_based_may_commit 0`, `keel_based_next_turn -1`); once it registers with
//! its bond and its first epoch comes, it leads every epoch (it is the only one) and its
//! batches are committed and verified.

use std::time::Duration;

use alloy::{
    primitives::{Address, U256, utils::parse_ether},
    providers::{Provider, RootProvider},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use eyre::{WrapErr, ensure};
use keel_e2e::{
    Anvil, AnvilOptions, DEV_ADDRESSES, DEV_PRIVATE_KEYS, KeelBinary, KeelNode, free_loopback_addr,
    settlement::{
        SEQUENCER_KEY, deposit_eth, devnet_config_with, eventually, exec_prover, keel_command,
        l1_wallet, settling_node,
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
        register(&anvil, registry_address, SEQUENCER_KEY).await?;
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

/// Epochs of this many L1 blocks (anvil mines one a second) in the three-node test.
const EPOCH: u64 = 8;

/// Three based nodes on one anvil, each with its own registered key (and coinbase, so blocks
/// say who made them) and exec prover, sharing one deployment.
struct BasedNet {
    dir: tempfile::TempDir,
    anvil: Anvil,
    deployment: Deployment,
    keys: Vec<&'static str>,
    addresses: Vec<Address>,
    /// Each node's gossip multiaddr.
    gossip: Vec<String>,
    nodes: Vec<KeelNode>,
    /// Each node's exec prover (`None` once stopped).
    provers: Vec<Option<keel_e2e::Prover>>,
}

impl BasedNet {
    /// Deploys with `[l1.based]`, registers the three keys and starts the three nodes (they
    /// forward to each other through `based.peers`).
    async fn start() -> eyre::Result<Self> {
        let dir = tempfile::tempdir()?;
        let anvil = Anvil::spawn(AnvilOptions::default(), dir.path().join("anvil.log")).await?;
        let keel = KeelBinary::locate()?;
        let keys = [SEQUENCER_KEY, DEV_PRIVATE_KEYS[3], DEV_PRIVATE_KEYS[4]];
        let addresses: Vec<Address> = keys
            .iter()
            .map(|key| Ok(key.parse::<PrivateKeySigner>()?.address()))
            .collect::<eyre::Result<_>>()?;
        let rpc: Vec<std::net::SocketAddr> = (0..3)
            .map(|_| free_loopback_addr())
            .collect::<Result<_, _>>()?;
        let peers: String = addresses
            .iter()
            .zip(&rpc)
            .map(|(address, addr)| format!("\"{address}\" = \"http://{addr}\"\n"))
            .collect();
        // Each node listens for gossip on its own port and dials the other two.
        let gossip: Vec<String> = (0..3)
            .map(|_| {
                Ok(format!(
                    "/ip4/127.0.0.1/tcp/{}",
                    free_loopback_addr()?.port()
                ))
            })
            .collect::<eyre::Result<_>>()?;
        let configs: Vec<std::path::PathBuf> = (0..3)
            .map(|i| {
                let others: Vec<String> = (0..3)
                    .filter(|&j| j != i)
                    .map(|j| format!("{:?}", gossip[j]))
                    .collect();
                let config = dir.path().join(format!("based{i}.toml"));
                devnet_config_with(
                    &config,
                    &format!(
                        "[l1.based]\nmin_bond = \"1 ether\"\nexit_delay = \"20s\"\n\
                         epoch_length = {EPOCH}\nfallback_after = \"1h\"\n[based]\n\
                         turn_margin = 2\ngossip_listen = {:?}\ngossip_peers = [{}]\n\
                         [based.peers]\n{peers}",
                        gossip[i],
                        others.join(", ")
                    ),
                )?;
                Ok(config)
            })
            .collect::<eyre::Result<_>>()?;
        let config = &configs[0];
        let deployment_path = dir.path().join("l1-deployment.json");
        let output = keel_command(
            &keel,
            &anvil,
            &[
                "deploy",
                "--config",
                &config.to_string_lossy(),
                "--out",
                &deployment_path.to_string_lossy(),
            ],
            &[("KEEL_L1__BEACON_URL", &anvil.rpc_url())],
        )?;
        ensure!(
            output.status.success(),
            "keel deploy failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let deployment = Deployment::load(&deployment_path)?;
        let registry = deployment
            .sequencer_registry
            .ok_or_else(|| eyre::eyre!("the deployment names no sequencer registry"))?;
        for key in keys {
            register(&anvil, registry, key).await?;
        }
        let mut nodes = Vec::new();
        let mut provers = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let coordinator = free_loopback_addr()?;
            let options = settling_node(
                &anvil,
                &dir.path().join(format!("node{i}")),
                coordinator,
                "2s",
            )
            .config(&configs[i])
            .rpc_addr(rpc[i])
            .env("KEEL_L1__SEQUENCER_KEY", key)
            .env("KEEL_L1__DEPLOYMENT", deployment_path.as_os_str())
            .env("KEEL_L1__BEACON_URL", anvil.rpc_url())
            .env("KEEL_L1__BEACON_BLOCK_ID", "number")
            .env("KEEL_SEQUENCER__COINBASE", addresses[i].to_string())
            // Another sequencer's batch unverified this long is proven here too.
            .env("KEEL_PROVER__BACKUP_AFTER", "5s");
            nodes.push(KeelNode::spawn(options).await?);
            let logs = dir.path().join(format!("prover{i}"));
            std::fs::create_dir_all(&logs)?;
            provers.push(exec_prover(&keel, &logs, coordinator)?);
        }
        let net = Self {
            dir,
            anvil,
            deployment,
            keys: keys.to_vec(),
            addresses,
            gossip,
            nodes,
            provers: provers.into_iter().map(Some).collect(),
        };
        Ok(net)
    }

    fn registry(&self) -> SequencerRegistry::SequencerRegistryInstance<RootProvider> {
        let address = self.deployment.sequencer_registry.unwrap_or_default();
        SequencerRegistry::new(address, self.anvil.provider())
    }

    fn proposer(&self) -> OnChainProposer::OnChainProposerInstance<RootProvider> {
        OnChainProposer::new(self.deployment.on_chain_proposer, self.anvil.provider())
    }

    /// Waits until the registry schedules all three.
    async fn all_active(&self) -> eyre::Result<()> {
        let registry = self.registry();
        eventually("all three sequencers to be active", TIMEOUT, || async {
            let epoch = registry.currentEpoch().call().await?;
            Ok((registry.activeSequencers(epoch).call().await?.len() == 3).then_some(()))
        })
        .await
    }

    /// Sends a 1-wei transfer from `sender` with `nonce` to `recipient` through node `i`.
    async fn transfer(
        &self,
        i: usize,
        sender: &PrivateKeySigner,
        nonce: u64,
        recipient: Address,
    ) -> eyre::Result<()> {
        let tx = TransactionRequest::default()
            .from(sender.address())
            .to(recipient)
            .value(U256::from(1))
            .nonce(nonce)
            .gas_limit(21_000)
            .max_fee_per_gas(20_000_000_000)
            .max_priority_fee_per_gas(1_000_000_000);
        let _pending = self.nodes[i]
            .wallet_provider(sender.clone())
            .send_transaction(tx)
            .await
            .wrap_err_with(|| format!("transfer {nonce} to node {i}"))?;
        Ok(())
    }

    /// Waits until L1 has committed a batch after which `recipient` holds `wei` (as node
    /// `reader` sees it); returns that batch's last block.
    async fn committed_balance(
        &self,
        reader: usize,
        recipient: Address,
        wei: u64,
    ) -> eyre::Result<u64> {
        let proposer = self.proposer();
        eventually(
            &format!("L1 to commit a batch after which {recipient} holds {wei} wei"),
            Duration::from_secs(180),
            || async {
                let committed = proposer.lastCommittedBatch().call().await?;
                let last = proposer.batches(committed).call().await?.lastBlock;
                let balance = self.nodes[reader]
                    .provider()
                    .get_balance(recipient)
                    .block_id(last.into())
                    .await
                    .unwrap_or_default();
                Ok((balance == U256::from(wei)).then_some(last))
            },
        )
        .await
    }

    /// Every L1 commit came from its epoch's leader; returns the committers.
    async fn committers(&self) -> eyre::Result<std::collections::BTreeSet<Address>> {
        let provider = self.anvil.provider();
        let registry = self.registry();
        let commits = provider
            .get_logs(
                &alloy::rpc::types::Filter::new()
                    .address(self.deployment.on_chain_proposer)
                    .event_signature(
                        <OnChainProposer::BatchCommitted as alloy::sol_types::SolEvent>::SIGNATURE_HASH,
                    )
                    .from_block(0),
            )
            .await?;
        let mut committers = std::collections::BTreeSet::new();
        for log in &commits {
            let tx = log
                .transaction_hash
                .ok_or_else(|| eyre::eyre!("log without tx"))?;
            let from = provider
                .get_transaction_by_hash(tx)
                .await?
                .ok_or_else(|| eyre::eyre!("commit {tx} not found"))?
                .inner
                .signer();
            let block = log
                .block_number
                .ok_or_else(|| eyre::eyre!("log without block"))?;
            let epoch = registry.epochOf(U256::from(block)).call().await?;
            let leader = registry.leaderOf(epoch).call().await?;
            ensure!(
                from == leader,
                "commit in L1 block {block} (epoch {epoch}) came from {from}, not the leader {leader}"
            );
            committers.insert(from);
        }
        Ok(committers)
    }

    /// Checks that the running nodes hold blocks `1..=last` identically (hash and state
    /// root); returns the gaps in seconds at each change of block maker.
    async fn same_chain(&mut self, last: u64) -> eyre::Result<Vec<u64>> {
        let running: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].is_running())
            .collect();
        for &i in &running {
            let node = &self.nodes[i];
            eventually(
                "each node to reach the last committed block",
                TIMEOUT,
                || async { Ok((node.provider().get_block_number().await? >= last).then_some(())) },
            )
            .await?;
        }
        let mut gaps = Vec::new();
        let mut previous: Option<(u64, Address)> = None;
        for number in 1..=last {
            let mut headers = Vec::new();
            for &i in &running {
                let block = self.nodes[i]
                    .provider()
                    .get_block_by_number(number.into())
                    .await?
                    .ok_or_else(|| eyre::eyre!("node {i} has no block {number}"))?;
                headers.push(block.header);
            }
            for other in &headers[1..] {
                ensure!(
                    other.hash == headers[0].hash && other.state_root == headers[0].state_root,
                    "block {number} differs between nodes"
                );
            }
            let (time, maker) = (headers[0].timestamp, headers[0].beneficiary);
            if let Some((before, leader)) = previous
                && leader != maker
            {
                gaps.push(time - before);
            }
            previous = Some((time, maker));
        }
        Ok(gaps)
    }

    /// `keel_sequencing` on node `i`.
    async fn sequencing(&self, i: usize) -> eyre::Result<serde_json::Value> {
        Ok(self.nodes[i]
            .root_provider()
            .raw_request("keel_sequencing".into(), ())
            .await?)
    }

    fn finish<T>(self, result: eyre::Result<T>) -> eyre::Result<T> {
        let mut result = result;
        for node in self.nodes {
            result = node.finish(result);
        }
        if result.is_err() {
            eprintln!("keel-e2e: kept {}", self.dir.keep().display());
        }
        result
    }
}

/// L2 transfers go round robin to all three nodes; the nodes take turns in L1's order, each
/// committing its own batches in its epochs, and all end on the same blocks. Prints the
/// handover gaps (seconds between the last block of one leader and the first of the next).
#[tokio::test(flavor = "multi_thread")]
async fn three_based_nodes_take_turns_and_keep_one_chain() -> eyre::Result<()> {
    let mut net = BasedNet::start().await?;
    let result = async {
        net.all_active().await?;
        // Node 2's prover is gone from the start: its batches are proven by the others'
        // provers once they wait unverified (`prover.backup_after`), so L1 verifies them all.
        drop(net.provers[2].take());
        // Transfers from one sender with consecutive nonces, round robin over the nodes: each
        // reaches whoever leads (or waits in a pool that hands it over).
        let sender: PrivateKeySigner = DEV_PRIVATE_KEYS[1].parse()?;
        let recipient = PrivateKeySigner::random().address();
        let transfers = 60u64;
        for nonce in 0..transfers {
            net.transfer(nonce as usize % 3, &sender, nonce, recipient)
                .await?;
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
        let last = net.committed_balance(0, recipient, transfers).await?;
        let committers = net.committers().await?;
        ensure!(committers.len() == 3, "only {committers:?} committed");
        let gaps = net.same_chain(last).await?;
        println!(
            "based handover: {last} blocks, {} handovers, gaps (s) {gaps:?}",
            gaps.len()
        );
        ensure!(gaps.len() >= 2, "fewer than two handovers: {gaps:?}");
        let proposer = net.proposer();
        let committed = proposer.lastCommittedBatch().call().await?;
        eventually(
            "L1 to verify every committed batch, node 2's too (its prover is gone)",
            Duration::from_secs(120),
            || async {
                Ok((proposer.lastVerifiedBatch().call().await? >= committed).then_some(()))
            },
        )
        .await?;
        ensure!(
            net.nodes
                .iter()
                .any(|node| node.log_contains("proving a batch another sequencer committed")),
            "no node proved another sequencer's batch"
        );
        // Blocks reached the other nodes by gossip before L1: how long from the leader's store
        // to theirs.
        let (mut delay_sum, mut accepted) = (0.0, 0.0);
        for node in &net.nodes {
            let count = metric_f64(node, "keel_based_unsafe_block_delay_seconds_count").await?;
            ensure!(count.is_some_and(|c| c > 0.0), "a node accepted no gossiped block");
            accepted += count.unwrap_or(0.0);
            delay_sum += metric_f64(node, "keel_based_unsafe_block_delay_seconds_sum")
                .await?
                .unwrap_or(0.0);
        }
        println!(
            "based gossip: {accepted} unsafe blocks accepted, {:.1} ms on average from the leader's store to another node's",
            delay_sum / accepted * 1e3
        );
        // The operators' dashboard (configs/grafana-dashboard.json) draws only metrics a based
        // node (sequencer, settler, coordinator and turns together) exports.
        let exported = reqwest::get(format!("http://{}/metrics", net.nodes[0].metrics_addr()))
            .await?
            .text()
            .await?;
        let missing: Vec<String> = dashboard_metrics()?
            .into_iter()
            .filter(|name| !exported.contains(name.as_str()))
            .collect();
        ensure!(
            missing.is_empty(),
            "the Grafana dashboard draws metrics no node exports: {missing:?}"
        );
        out_of_turn_commits_revert(&net).await?;
        leaving_takes_the_delay(&net).await?;
        let report = net.sequencing(0).await?;
        ensure!(
            report["me"] == serde_json::json!(net.addresses[0])
                && ["following", "leading", "closing"]
                    .contains(&report["role"].as_str().unwrap_or("")),
            "keel_sequencing answered {report}"
        );
        Ok(())
    }
    .await;
    net.finish(result)
}

/// A registered sequencer that does not lead, and an account that never registered: L1
/// refuses their commits (`NotSequencer`).
async fn out_of_turn_commits_revert(net: &BasedNet) -> eyre::Result<()> {
    let registry = net.registry();
    let epoch = registry.currentEpoch().call().await?;
    let now = registry.leaderOf(epoch).call().await?;
    let next = registry.leaderOf(epoch + U256::from(1)).call().await?;
    let idle = (0..3)
        .find(|&i| net.addresses[i] != now && net.addresses[i] != next)
        .ok_or_else(|| eyre::eyre!("every sequencer leads now or next"))?;
    let committed = net.proposer().lastCommittedBatch().call().await?;
    for key in [net.keys[idle], DEV_PRIVATE_KEYS[5]] {
        let wallet = l1_wallet(&net.anvil, key)?;
        let header = OnChainProposer::BatchHeader {
            lastBlock: U256::from(u64::MAX),
            newStateRoot: Default::default(),
            lastBlockHash: Default::default(),
            lastBlockTimestamp: U256::ZERO,
            withdrawalsRoot: Default::default(),
            depositsRollingHash: Default::default(),
            depositCount: U256::ZERO,
        };
        let error = OnChainProposer::new(net.deployment.on_chain_proposer, &wallet)
            .commitBatch(committed + U256::from(1), header, vec![])
            .call()
            .await
            .err()
            .ok_or_else(|| eyre::eyre!("an out-of-turn commit did not revert"))?;
        let data = error.as_revert_data().unwrap_or_default();
        ensure!(
            data.starts_with(
                &<OnChainProposer::NotSequencer as alloy::sol_types::SolError>::SELECTOR
            ),
            "an out-of-turn commit reverted with {error}, not NotSequencer"
        );
    }
    Ok(())
}

/// Node 2 asks to leave: its bond stays locked (`BondLocked`) until both the exit delay has
/// passed and the schedule has dropped it (two epochs after the request); from then on no
/// epoch is its, and the bond comes back.
async fn leaving_takes_the_delay(net: &BasedNet) -> eyre::Result<()> {
    let leaver = l1_wallet(&net.anvil, net.keys[2])?;
    let registry = SequencerRegistry::new(net.registry().address().to_owned(), &leaver);
    let receipt = registry.requestExit().send().await?.get_receipt().await?;
    ensure!(receipt.status(), "requestExit reverted");
    let info = registry.sequencerInfo(net.addresses[2]).call().await?;
    let locked = registry.withdrawBond().call().await.err();
    ensure!(
        locked
            .as_ref()
            .and_then(|e| e.as_revert_data())
            .is_some_and(|data| data.starts_with(
                &<SequencerRegistry::BondLocked as alloy::sol_types::SolError>::SELECTOR
            )),
        "withdrawBond right after requestExit: {locked:?}"
    );
    eventually("the schedule to drop the leaver", TIMEOUT, || async {
        let epoch = registry.currentEpoch().call().await?;
        let active = registry.activeSequencers(epoch).call().await?;
        Ok((epoch >= info.activeUntil && !active.contains(&net.addresses[2])).then_some(()))
    })
    .await?;
    let next = registry.nextTurn(net.addresses[2]).call().await?;
    ensure!(
        next == U256::MAX,
        "the leaver still has a turn: epoch {next}"
    );
    let before = net.anvil.provider().get_balance(net.addresses[2]).await?;
    eventually(
        "the bond to come back after the exit delay",
        TIMEOUT,
        || async {
            if registry.withdrawBond().call().await.is_err() {
                return Ok(None);
            }
            let receipt = registry.withdrawBond().send().await?.get_receipt().await?;
            Ok(receipt.status().then_some(()))
        },
    )
    .await?;
    let after = net.anvil.provider().get_balance(net.addresses[2]).await?;
    ensure!(
        after > before + parse_ether("0.99")?,
        "the bond did not come back: {before} → {after}"
    );
    ensure!(!registry.isRegistered(net.addresses[2]).call().await?);
    Ok(())
}

/// The leader is killed in the middle of its turn: the chain resumes at the next epoch with
/// the next leader, nothing committed is lost, a deposit made during the gap is included,
/// and the killed node, restarted, takes back what it had not committed and follows the
/// others to the same blocks.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_leader_costs_one_turn() -> eyre::Result<()> {
    let mut net = BasedNet::start().await?;
    let result = async {
        net.all_active().await?;
        let sender: PrivateKeySigner = DEV_PRIVATE_KEYS[1].parse()?;
        let recipient = PrivateKeySigner::random().address();
        let mut nonce = 0u64;
        // Traffic until a node starts a turn (seen leading where it was not a poll before),
        // then a second more.
        let mut was_leading = [true; 3];
        let victim = loop {
            net.transfer(nonce as usize % 3, &sender, nonce, recipient)
                .await?;
            nonce += 1;
            tokio::time::sleep(Duration::from_millis(300)).await;
            let mut started = None;
            for (i, was) in was_leading.iter_mut().enumerate() {
                let leading = net.sequencing(i).await?["role"] == "leading";
                if leading && !*was && nonce > 10 {
                    started = Some(i);
                }
                *was = leading;
            }
            if let Some(i) = started {
                // Until both other nodes hold one of its gossiped blocks (more unsafe blocks
                // accepted than before its turn).
                let others: Vec<usize> = (0..3).filter(|&j| j != i).collect();
                let mut before = Vec::new();
                for &j in &others {
                    before.push(unsafe_accepted(&net.nodes[j]).await?);
                }
                eventually(
                    "the others to accept the new leader's blocks",
                    TIMEOUT,
                    || async {
                        for (k, &j) in others.iter().enumerate() {
                            if unsafe_accepted(&net.nodes[j]).await? <= before[k] {
                                return Ok(None);
                            }
                        }
                        Ok(Some(()))
                    },
                )
                .await?;
                break i;
            }
            ensure!(nonce < 300, "no node ever started a turn");
        };
        let killed_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs();
        net.nodes[victim].kill9()?;
        let alive: Vec<usize> = (0..3).filter(|&i| i != victim).collect();
        // A deposit during the gap.
        let depositor = l1_wallet(&net.anvil, DEV_PRIVATE_KEYS[2])?;
        let deposited = PrivateKeySigner::random().address();
        deposit_eth(&depositor, &net.deployment, deposited, U256::from(12_345)).await?;
        // Transfers the victim held only in its pool are gone with it: resend every one L2
        // has not mined (as a wallet would; one a living pool still holds is refused as known)
        // through the living nodes, then ten more.
        // What L1 holds (`safe`): the killed leader's gossiped blocks are not, and go.
        let mined = net.nodes[alive[0]]
            .provider()
            .get_transaction_count(sender.address())
            .block_id(alloy::eips::BlockId::safe())
            .await?;
        let total = nonce + 10;
        for n in mined..total {
            let _ = net
                .transfer(alive[n as usize % 2], &sender, n, recipient)
                .await;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let last = net.committed_balance(alive[0], recipient, total).await?;
        eventually("the deposit to be credited", TIMEOUT, || async {
            let balance = net.nodes[alive[0]]
                .provider()
                .get_balance(deposited)
                .await?;
            Ok((balance == U256::from(12_345)).then_some(()))
        })
        .await?;
        // The first block after the kill came from another sequencer.
        let reader = net.nodes[alive[0]].provider();
        // No block from the killed node after the kill (a second's slack: timestamps are in
        // seconds).
        for number in 1..=last {
            let header = reader
                .get_block_by_number(number.into())
                .await?
                .ok_or_else(|| eyre::eyre!("no block {number}"))?
                .header;
            ensure!(
                header.timestamp <= killed_at + 1 || header.beneficiary != net.addresses[victim],
                "block {number}, after the kill, was made by the killed node"
            );
        }
        // The victim had gossiped blocks it never committed: the node that did not lead next
        // held them as unsafe blocks and rolled them back to L1's once the next leader's
        // batch reached L1 (the next leader itself took them back at the start of its turn).
        eventually(
            "a node to roll the killed leader's unsafe blocks back to L1's",
            TIMEOUT,
            || async {
                let mut rolled_back = 0.0;
                for &i in &alive {
                    rolled_back +=
                        metric_f64(&net.nodes[i], "keel_based_unsafe_blocks_rolled_back_total")
                            .await?
                            .unwrap_or(0.0);
                }
                Ok((rolled_back > 0.0).then_some(()))
            },
        )
        .await?;
        // Restarted, the killed node follows the others to the same blocks.
        net.nodes[victim].restart().await?;
        let last = net.committed_balance(victim, recipient, total).await?;
        let gaps = net.same_chain(last).await?;
        println!(
            "based: leader killed; gaps at each change of block maker (s) {gaps:?}, largest {}",
            gaps.iter().max().copied().unwrap_or_default()
        );
        Ok(())
    }
    .await;
    net.finish(result)
}

/// A stranger joins the gossip and publishes blocks signed by a key the registry never
/// scheduled: every node refuses them and logs the stranger's peer id; the chain goes on.
#[tokio::test(flavor = "multi_thread")]
async fn a_block_gossiped_by_a_stranger_is_refused_and_logged_with_its_peer() -> eyre::Result<()> {
    let mut net = BasedNet::start().await?;
    let result = async {
        net.all_active().await?;
        let peers = net
            .gossip
            .iter()
            .map(|address| keel_gossip::parse_address(address))
            .collect::<Result<Vec<_>, _>>()?;
        let (task, handle, _incoming) = keel_gossip::Gossip::bind(keel_gossip::GossipConfig {
            listen: keel_gossip::parse_address("/ip4/127.0.0.1/tcp/0")?,
            peers,
            topic: keel_based::unsafe_blocks_topic(65_536_999),
            max_message_bytes: keel_based::MAX_UNSAFE_BLOCK_BYTES,
        })?;
        let gossip = tokio::spawn(task.run(std::future::pending()));
        let stranger = PrivateKeySigner::random();
        let head = net.nodes[0]
            .provider()
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await?
            .ok_or_else(|| eyre::eyre!("no head"))?
            .header;
        let forged = keel_based::UnsafeBlock {
            chain_id: 65_536_999,
            number: head.number + 1,
            parent_hash: head.hash,
            hash: alloy::primitives::B256::repeat_byte(0xbb),
            made_at_ms: 0,
            block: keel_da::PayloadBlock {
                timestamp: head.timestamp,
                coinbase: stranger.address(),
                gas_limit: head.gas_limit,
                base_fee: head.base_fee_per_gas.unwrap_or_default(),
                data_fee: Default::default(),
                extra_data: head.extra_data.clone(),
                transactions: vec![],
            },
        };
        let wire = forged.sign(&stranger)?;
        let line = format!("peer={}", handle.peer_id());
        eventually("a node to refuse the stranger's block", TIMEOUT, || async {
            handle.publish(wire.clone());
            tokio::time::sleep(Duration::from_millis(500)).await;
            Ok(net
                .nodes
                .iter()
                .any(|node| {
                    node.log_contains("gossiped block refused: not signed by the leader")
                        && node.log_contains(&line)
                })
                .then_some(()))
        })
        .await?;
        gossip.abort();
        let refused = metric_f64(&net.nodes[0], "keel_based_unsafe_blocks_refused_total")
            .await?
            .unwrap_or(0.0)
            + metric_f64(&net.nodes[1], "keel_based_unsafe_blocks_refused_total")
                .await?
                .unwrap_or(0.0)
            + metric_f64(&net.nodes[2], "keel_based_unsafe_blocks_refused_total")
                .await?
                .unwrap_or(0.0);
        ensure!(refused > 0.0, "no refusal counted");
        // The chain goes on: a transfer is committed.
        let sender: PrivateKeySigner = DEV_PRIVATE_KEYS[1].parse()?;
        let recipient = PrivateKeySigner::random().address();
        net.transfer(1, &sender, 0, recipient).await?;
        let last = net.committed_balance(2, recipient, 1).await?;
        net.same_chain(last).await?;
        Ok(())
    }
    .await;
    net.finish(result)
}

/// Registers the sequencer of `key` in `registry` with a 1 ETH bond.
async fn register(anvil: &Anvil, registry: Address, key: &str) -> eyre::Result<()> {
    let wallet = l1_wallet(anvil, key)?;
    let receipt = SequencerRegistry::new(registry, &wallet)
        .register()
        .value(parse_ether("1")?)
        .send()
        .await?
        .get_receipt()
        .await?;
    ensure!(receipt.status(), "register reverted");
    Ok(())
}

/// Every `keel_*` metric name the shipped Grafana dashboard's queries use.
fn dashboard_metrics() -> eyre::Result<std::collections::BTreeSet<String>> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/grafana-dashboard.json");
    let dashboard: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    let mut names = std::collections::BTreeSet::new();
    for panel in dashboard["panels"].as_array().into_iter().flatten() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap_or_default();
            names.extend(
                expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .filter(|token| token.starts_with("keel_"))
                    .map(str::to_owned),
            );
        }
    }
    ensure!(names.len() > 10, "the dashboard names only {names:?}");
    Ok(names)
}

/// How many gossiped unsafe blocks `node` has accepted.
async fn unsafe_accepted(node: &KeelNode) -> eyre::Result<f64> {
    Ok(metric_f64(node, "keel_based_unsafe_blocks_accepted_total")
        .await?
        .unwrap_or_default())
}

/// The value of metric `name` on `node`'s metrics endpoint, if it is there.
async fn metric_f64(node: &KeelNode, name: &str) -> eyre::Result<Option<f64>> {
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

/// The value of gauge `name` on `node`'s metrics endpoint, if it is there.
async fn metric(node: &KeelNode, name: &str) -> eyre::Result<Option<i64>> {
    Ok(metric_f64(node, name).await?.map(|value| value as i64))
}
