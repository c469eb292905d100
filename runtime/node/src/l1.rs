//! The node's L1 side: the deposit watcher and the settler, started from `[l1]`.

use std::{path::PathBuf, sync::Arc, time::Duration};

use alloy_primitives::B256;
use eyre::WrapErr;
use keel_config::L1Config;
use keel_l1::{
    DEPLOYMENT_FILE, Deployment, DepositWatcher, L1Client, L1Error, Settler, SettlerConfig,
    TxSender, WatcherConfig,
};
use keel_storage::Storage;
use tokio::{sync::watch, task::JoinHandle};
use tracing::{Instrument, error, info, info_span, warn};

/// How long start-up waits for the L1 node before going on without it (it is retried in the
/// background; L2 blocks never wait for L1).
const FIRST_CONTACT: Duration = Duration::from_secs(3);

/// How long shutdown waits for the L1 tasks.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the deployment file is: `l1.deployment`, or `<datadir>/l1-deployment.json`.
pub(crate) fn deployment_path(l1: &L1Config, datadir: &std::path::Path) -> PathBuf {
    l1.deployment
        .clone()
        .unwrap_or_else(|| datadir.join(DEPLOYMENT_FILE))
}

/// The L1 tasks of a running node.
#[derive(Debug)]
pub(crate) struct L1Tasks {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl L1Tasks {
    /// Stops the watcher and the settler (a transaction in flight is left to L1; the next
    /// start reads the outcome from the contracts). Both stop at their next await; a task
    /// still busy after [`STOP_TIMEOUT`] is aborted.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(STOP_TIMEOUT, &mut task).await.is_err() {
            warn!(target: "keel::l1", "L1 tasks did not stop within {STOP_TIMEOUT:?}; aborted");
            task.abort();
        }
    }
}

/// Loads the deployment file and checks it settles this L2 (chain id and genesis); a missing
/// file or one made for another L2 stops start-up with an error saying what to do.
pub(crate) fn load_deployment(
    l1: &L1Config,
    datadir: &std::path::Path,
    chain_id: u64,
    genesis_hash: B256,
) -> eyre::Result<(PathBuf, Deployment)> {
    let path = deployment_path(l1, datadir);
    let deployment = Deployment::load(&path)?;
    deployment.check_l2(&path, chain_id, genesis_hash)?;
    Ok((path, deployment))
}

/// Starts the watcher and the settler for `deployment` (from [`load_deployment`]). A deployment
/// made on another L1 than the node answering `l1.rpc_url` stops start-up with an error; an L1
/// node that does not answer is retried in the background.
pub(crate) async fn start(
    l1: &L1Config,
    path: PathBuf,
    deployment: Deployment,
    storage: Arc<Storage>,
) -> eyre::Result<L1Tasks> {
    let client = L1Client::new(&l1.rpc_url)?;
    match tokio::time::timeout(FIRST_CONTACT, client.chain_id()).await {
        Ok(Ok(actual)) => check_chain(&client, &path, &deployment, actual)?,
        Ok(Err(error)) => {
            warn!(target: "keel::l1", %error, "L1 node not reachable; retrying in the background (L2 blocks go on)")
        }
        Err(_) => {
            warn!(target: "keel::l1", url = %l1.rpc_url, "L1 node did not answer within {FIRST_CONTACT:?}; retrying in the background")
        }
    }
    info!(target: "keel::l1", url = %l1.rpc_url, proposer = %deployment.on_chain_proposer, bridge = %deployment.common_bridge, deployment = %path.display(), "L1 settlement enabled");

    let (stop, stopped) = watch::channel(false);
    let l1 = l1.clone();
    let task = tokio::spawn(
        async move {
            let Some(sender) = connect(&l1, &client, &path, &deployment, stopped.clone()).await
            else {
                return;
            };
            let watcher = DepositWatcher::new(
                client,
                deployment.common_bridge,
                deployment.deployed_at_block,
                storage.clone(),
                WatcherConfig {
                    confirmations: l1.confirmations,
                    poll_interval: l1.poll_interval,
                    max_scan_blocks: l1.max_scan_blocks,
                },
            );
            let settler = Settler::new(
                sender,
                &deployment,
                storage,
                SettlerConfig {
                    poll_interval: l1.poll_interval,
                    commit: l1.commit,
                    verify: l1.verify,
                },
            );
            tokio::join!(watcher.run(stopped.clone()), settler.run(stopped));
        }
        .instrument(info_span!("l1")),
    );
    Ok(L1Tasks { stop, task })
}

/// Waits for the L1 node, checks its chain, and makes the sequencer's transaction sender.
async fn connect(
    l1: &L1Config,
    client: &L1Client,
    path: &std::path::Path,
    deployment: &Deployment,
    mut stopped: watch::Receiver<bool>,
) -> Option<TxSender> {
    let mut wait = l1.poll_interval;
    loop {
        let attempt = async {
            let actual = client.chain_id().await?;
            check_chain(client, path, deployment, actual)?;
            TxSender::new(
                client.clone(),
                &l1.sequencer_key,
                l1.tx_timeout,
                l1.fee_bump_percent,
            )
            .await
        };
        match attempt.await {
            Ok(sender) => {
                if sender.address() != deployment.sequencer {
                    warn!(target: "keel::l1", key = %sender.address(), sequencer = %deployment.sequencer, "l1.sequencer_key is not the deployment's sequencer: commitBatch will be refused");
                }
                return Some(sender);
            }
            Err(error @ L1Error::WrongChain { .. }) => {
                error!(target: "keel::l1", %error, "L1 settlement disabled");
                return None;
            }
            Err(error) => {
                warn!(target: "keel::l1", %error, retry_in = ?wait, "L1 node not ready");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stopped.changed() => return None,
        }
        wait = (wait * 2).min(Duration::from_secs(30));
    }
}

fn check_chain(
    client: &L1Client,
    path: &std::path::Path,
    deployment: &Deployment,
    actual: u64,
) -> Result<(), L1Error> {
    if actual != deployment.l1_chain_id {
        return Err(L1Error::WrongChain {
            url: client.url().to_owned(),
            file: path.to_owned(),
            expected: deployment.l1_chain_id,
            actual,
        });
    }
    Ok(())
}

/// `keel deploy`: deploys the contracts for `config`'s L2 and writes the deployment file.
pub(crate) async fn deploy(
    config: &keel_config::Config,
    out: Option<PathBuf>,
    force: bool,
) -> eyre::Result<()> {
    let l1 = config.l1.as_ref().ok_or_else(|| {
        eyre::eyre!(
            "the config has no [l1] section: add one with rpc_url and sequencer_key (see \
             configs/example.toml)"
        )
    })?;
    let path = out.unwrap_or_else(|| deployment_path(l1, &config.node.datadir));
    let client = L1Client::new(&l1.rpc_url)?;
    let genesis = keel_sequencer::build_genesis(&config.genesis);
    if !force && path.exists() {
        let existing = Deployment::load(&path)?;
        let code = client
            .rpc(
                "eth_getCode",
                alloy::providers::Provider::get_code_at(
                    client.provider(),
                    existing.on_chain_proposer,
                ),
            )
            .await?;
        let same_l2 = existing
            .check_l2(&path, config.chain.chain_id, genesis.header.hash())
            .is_ok();
        if !code.is_empty() && same_l2 && existing.l1_chain_id == client.chain_id().await? {
            println!(
                "already deployed: {} (OnChainProposer {} has code on this L1); pass --force to deploy anew",
                path.display(),
                existing.on_chain_proposer
            );
            return Ok(());
        }
    }
    let sender = TxSender::new(
        client,
        &l1.sequencer_key,
        l1.tx_timeout,
        l1.fee_bump_percent,
    )
    .await
    .wrap_err("cannot reach the L1 node (l1.rpc_url)")?;
    let deployment = keel_l1::deploy(
        &sender,
        &keel_l1::DeployParams {
            l1_rpc_url: l1.rpc_url.clone(),
            l2_chain_id: config.chain.chain_id,
            genesis_hash: genesis.header.hash(),
            genesis_state_root: genesis.header.state_root,
            inclusion_period: l1.deposit_inclusion_period.as_secs(),
            dev_provers: l1.dev_provers.clone(),
            attesting: l1
                .attesting_program
                .filter(|_| !l1.attesting_provers.is_empty())
                .map(|program| keel_l1::AttestingParams {
                    program,
                    provers: l1.attesting_provers.clone(),
                }),
            openvm: l1
                .openvm_evm_verifier
                .as_deref()
                .map(keel_l1::OpenVmVerifierArtifact::read)
                .transpose()
                .wrap_err("l1.openvm_evm_verifier")?,
        },
    )
    .await?;
    deployment.save(&path)?;
    println!(
        "deployed on L1 chain {} ({}):",
        deployment.l1_chain_id, deployment.l1_rpc_url
    );
    println!("  OnChainProposer  {}", deployment.on_chain_proposer);
    println!("  CommonBridge     {}", deployment.common_bridge);
    for verifier in &deployment.verifiers {
        println!(
            "  verifier ({})    {}  provers {:?}",
            verifier.kind, verifier.address, verifier.provers
        );
        if let Some(program) = verifier.program {
            println!("    pins program   {program}");
        }
    }
    println!("  sequencer/owner  {}", deployment.sequencer);
    println!(
        "  deposit deadline {} s after each deposit",
        deployment.deposit_inclusion_period
    );
    println!("wrote {}", path.display());
    Ok(())
}
