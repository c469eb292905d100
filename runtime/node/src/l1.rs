//! The node's L1 side: the deposit watcher and the settler, started from `[l1]`.

use std::{future::Future, path::PathBuf, sync::Arc, time::Duration};

use alloy_primitives::B256;
use eyre::WrapErr;
use keel_based::{BasedMetrics, Conductor, ConductorSettings, SequencingStatus};
use keel_config::{BasedNodeConfig, L1Config};
use keel_follower::{Follower, FollowerSettings};
use keel_gossip::{GossipHandle, Incoming};
use keel_l1::{
    BlobSource, DEPLOYMENT_FILE, Deployment, DepositWatcher, FeePolicy, L1Client, L1Error,
    RequiredVerifier, Settler, SettlerConfig, SettlerMetrics, TxSender, WatcherConfig, check_proof,
};
use keel_mempool::Mempool;
use keel_primitives::{ChainSpec, DataAvailability, L1BlobBaseFee, L1Clock};
use keel_sequencer::TurnSwitch;
use keel_storage::Storage;
use keel_tasks::{Shutdown, TaskExecutor};
use tokio::sync::mpsc;
use tracing::{info, warn};

/// How long start-up waits for the L1 node before going on without it (it is retried in the
/// background; L2 blocks never wait for L1).
const FIRST_CONTACT: Duration = Duration::from_secs(3);

/// Where the deployment file is: `l1.deployment`, or `<datadir>/l1-deployment.json`.
pub(crate) fn deployment_path(l1: &L1Config, datadir: &std::path::Path) -> PathBuf {
    l1.deployment
        .clone()
        .unwrap_or_else(|| datadir.join(DEPLOYMENT_FILE))
}

/// The L1 parts of a node, checked and ready to spawn: the deposit watcher and the settler.
#[derive(Debug)]
pub(crate) struct L1Parts {
    l1: L1Config,
    client: L1Client,
    path: PathBuf,
    deployment: Deployment,
    storage: Arc<Storage>,
    blob_base_fee: Option<L1BlobBaseFee>,
    clock: Option<L1Clock>,
    metrics: SettlerMetrics,
}

/// Asks the deployment's L1 verifiers about every proof a prover submits, before the
/// coordinator stores it (`keel_l1::check_proof`). An L1 that cannot be asked lets the proof
/// through: the settler asks again before sending it, and evicts it if refused.
#[derive(Debug)]
pub(crate) struct L1ProofCheck {
    client: L1Client,
    verifiers: Vec<RequiredVerifier>,
}

impl L1ProofCheck {
    pub(crate) fn new(l1: &L1Config, deployment: &Deployment) -> eyre::Result<Self> {
        Ok(Self {
            client: L1Client::new(&l1.rpc_url)?,
            verifiers: deployment
                .verifiers
                .iter()
                .map(|v| RequiredVerifier {
                    kind: v.kind,
                    address: v.address,
                })
                .collect(),
        })
    }
}

impl keel_coordinator::ProofCheck for L1ProofCheck {
    fn check(
        &self,
        commitment: B256,
        parts: keel_primitives::ProofParts,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            match check_proof(&self.client, &self.verifiers, commitment, &parts).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(rejected)) => Err(rejected.to_string()),
                Err(error) => {
                    warn!(target: "keel::coordinator", %error, "cannot ask the L1 verifiers about a submitted proof; storing it (the settler checks it again)");
                    Ok(())
                }
            }
        })
    }
}

/// Loads the deployment file and checks it settles this L2 (chain spec, genesis and data
/// availability); a missing file or one made for another L2 stops start-up with an error
/// saying what to do.
pub(crate) fn load_deployment(
    l1: &L1Config,
    datadir: &std::path::Path,
    spec: &keel_primitives::ChainSpec,
    genesis_hash: B256,
    data_availability: DataAvailability,
) -> eyre::Result<(PathBuf, Deployment)> {
    let path = deployment_path(l1, datadir);
    let deployment = Deployment::load(&path)?;
    deployment.check_l2(&path, spec, genesis_hash, data_availability)?;
    Ok((path, deployment))
}

/// Prepares the watcher and the settler for `deployment` (from [`load_deployment`]). A
/// deployment made on another L1 than the node answering `l1.rpc_url` stops start-up with an
/// error; an L1 node that does not answer is retried by the tasks themselves.
pub(crate) async fn prepare(
    l1: &L1Config,
    path: PathBuf,
    deployment: Deployment,
    storage: Arc<Storage>,
    blob_base_fee: Option<L1BlobBaseFee>,
    clock: Option<L1Clock>,
) -> eyre::Result<L1Parts> {
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
    Ok(L1Parts {
        l1: l1.clone(),
        client,
        path,
        deployment,
        storage,
        blob_base_fee,
        clock,
        metrics: SettlerMetrics::default(),
    })
}

impl L1Parts {
    /// The settler reports to `metrics`.
    pub(crate) fn with_metrics(mut self, metrics: SettlerMetrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Spawns the watcher and the settler as critical tasks. Each first waits for the L1 node
    /// to answer on the deployment's chain; an L1 on another chain is fatal.
    pub(crate) fn spawn(self, executor: &TaskExecutor) {
        let Self {
            l1,
            client,
            path,
            deployment,
            storage,
            blob_base_fee,
            clock,
            metrics,
        } = self;
        let (l1, path, deployment) = (Arc::new(l1), Arc::new(path), Arc::new(deployment));
        {
            let (l1, client, path, deployment, storage) = (
                l1.clone(),
                client.clone(),
                path.clone(),
                deployment.clone(),
                storage.clone(),
            );
            executor.spawn_critical(crate::parts::L1_WATCHER, move |shutdown| async move {
                let ready = until_ready(&l1, &shutdown, || {
                    on_deployment_chain(&client, &path, &deployment)
                });
                if ready.await?.is_none() {
                    return Ok(());
                }
                let watcher = DepositWatcher::new(
                    client,
                    deployment.common_bridge,
                    deployment.deployed_at_block,
                    storage,
                    WatcherConfig::from(&*l1),
                );
                let watcher = match clock {
                    Some(clock) => watcher.with_clock(clock),
                    None => watcher,
                };
                match blob_base_fee {
                    Some(feed) => watcher.with_blob_base_fee(feed),
                    None => watcher,
                }
                .run(shutdown.signalled())
                .await
            });
        }
        // With a verifier key, proofs go from a task of their own: its transactions never wait
        // behind a commit's, and the two can land in the same L1 block.
        let mut settling = SettlerConfig::from(&*l1);
        if !l1.verifier_key.is_empty() {
            let verifying = SettlerConfig {
                commit: false,
                ..settling
            };
            settling.verify = false;
            let (l1, client, path, deployment, storage, metrics) = (
                l1.clone(),
                client.clone(),
                path.clone(),
                deployment.clone(),
                storage.clone(),
                metrics.clone(),
            );
            executor.spawn_critical(crate::parts::L1_VERIFIER, move |shutdown| async move {
                let ready = until_ready(&l1, &shutdown, || async {
                    on_deployment_chain(&client, &path, &deployment).await?;
                    TxSender::new(
                        client.clone(),
                        &l1.verifier_key,
                        l1.tx_timeout,
                        FeePolicy::from(&*l1),
                    )
                    .await
                });
                let Some(sender) = ready.await? else {
                    return Ok(());
                };
                Settler::new(sender, &deployment, storage, verifying)
                    .with_metrics(metrics)
                    .run(shutdown.signalled())
                    .await
            });
        }
        executor.spawn_critical(crate::parts::L1_SETTLER, move |shutdown| async move {
            let ready = until_ready(&l1, &shutdown, || async {
                on_deployment_chain(&client, &path, &deployment).await?;
                TxSender::new(
                    client.clone(),
                    &l1.sequencer_key,
                    l1.tx_timeout,
                    FeePolicy::from(&*l1),
                )
                .await
            });
            let Some(sender) = ready.await? else {
                return Ok(());
            };
            if deployment.sequencer_registry.is_none() && sender.address() != deployment.sequencer {
                warn!(target: "keel::l1", key = %sender.address(), sequencer = %deployment.sequencer, "l1.sequencer_key is not the deployment's sequencer: commitBatch will be refused");
            }
            Settler::new(sender, &deployment, storage, settling)
                .with_metrics(metrics)
                .run(shutdown.signalled())
                .await
        });
    }
}

/// The follower, checked and ready to spawn.
#[derive(Debug)]
pub(crate) struct FollowerPart {
    on: OnL1,
    follower: Follower,
}

/// The L1 a following part waits for before it starts: the node at `l1.rpc_url`, answering on
/// the deployment's chain.
#[derive(Debug)]
struct OnL1 {
    l1: L1Config,
    client: L1Client,
    path: PathBuf,
    deployment: Deployment,
}

impl OnL1 {
    /// Spawns critical task `name`: it waits for the L1 node to answer on the deployment's
    /// chain (an L1 on another chain is fatal), then runs `run` until shutdown.
    fn spawn<Fut>(
        self,
        executor: &TaskExecutor,
        name: &'static str,
        run: impl FnOnce(Shutdown) -> Fut + Send + 'static,
    ) where
        Fut: Future<Output = Result<(), keel_follower::FollowerError>> + Send,
    {
        let Self {
            l1,
            client,
            path,
            deployment,
        } = self;
        executor.spawn_critical(name, move |shutdown| async move {
            let ready = until_ready(&l1, &shutdown, || {
                on_deployment_chain(&client, &path, &deployment)
            });
            if ready.await?.is_none() {
                return Ok(());
            }
            run(shutdown).await
        });
    }
}

/// Prepares the follower of `deployment`'s commits (a validium deployment is refused: there
/// is nothing on L1 to follow).
pub(crate) fn prepare_follower(
    l1: &L1Config,
    path: PathBuf,
    deployment: Deployment,
    storage: Arc<Storage>,
    spec: ChainSpec,
) -> eyre::Result<FollowerPart> {
    let (client, follower) = follower(l1, &path, &deployment, storage, spec)?;
    Ok(FollowerPart {
        on: OnL1 {
            l1: l1.clone(),
            client,
            path,
            deployment,
        },
        follower,
    })
}

/// The follower of `deployment`'s commits, and its L1 client.
fn follower(
    l1: &L1Config,
    path: &std::path::Path,
    deployment: &Deployment,
    storage: Arc<Storage>,
    spec: ChainSpec,
) -> eyre::Result<(L1Client, Follower)> {
    let client = L1Client::new(&l1.rpc_url)?;
    let beacon = l1
        .beacon_url
        .as_deref()
        .ok_or_else(|| eyre::eyre!("l1.beacon_url is required to follow L1"))?;
    let blobs = BlobSource::new(beacon, l1.beacon_block_id);
    let follower = Follower::new(
        client.clone(),
        blobs,
        deployment,
        storage,
        spec,
        FollowerSettings::from(l1),
    )
    .wrap_err_with(|| format!("deployment {}", path.display()))?;
    info!(target: "keel::follower", url = %l1.rpc_url, beacon = %beacon, proposer = %deployment.on_chain_proposer, deployment = %path.display(), "following L1");
    Ok((client, follower))
}

/// A based node's conductor, checked and ready to spawn.
#[derive(Debug)]
pub(crate) struct BasedPart {
    on: OnL1,
    conductor: Conductor,
}

/// What a based node's conductor drives, made by `launch`.
pub(crate) struct BasedWiring {
    pub(crate) pool: Arc<Mempool>,
    pub(crate) turns: TurnSwitch,
    pub(crate) status: SequencingStatus,
    pub(crate) metrics: BasedMetrics,
    /// `l1.sequencer_key`: the registered address, and the key gossiped blocks are signed with.
    pub(crate) key: alloy::signers::local::PrivateKeySigner,
    /// Unsafe-block gossip (`based.gossip_listen`): verdicts out, messages in.
    pub(crate) gossip: Option<(GossipHandle, mpsc::Receiver<Incoming>)>,
}

/// Prepares a based node's conductor: the deployment must have a sequencer registry, and
/// `l1.sequencer_key` is the address it schedules.
pub(crate) fn prepare_based(
    l1: &L1Config,
    based: &BasedNodeConfig,
    path: PathBuf,
    deployment: Deployment,
    storage: Arc<Storage>,
    spec: ChainSpec,
    wiring: BasedWiring,
) -> eyre::Result<BasedPart> {
    let Some(registry) = deployment.sequencer_registry else {
        eyre::bail!(
            "[based]: deployment {} has no sequencer registry; deploy with an [l1.based] \
             section (keel deploy) for sequencers to take turns",
            path.display()
        );
    };
    let me = wiring.key.address();
    let (client, follower) = follower(l1, &path, &deployment, storage.clone(), spec)?;
    // With gossip, blocks after the last batch are the leader's unsafe blocks: kept until L1
    // confirms or contradicts them.
    let follower = match &wiring.gossip {
        Some(_) => follower.keeping_unsafe_blocks(wiring.metrics.unsafe_rolled_back.clone()),
        None => follower,
    };
    let conductor = Conductor::new(
        follower,
        client.clone(),
        storage,
        wiring.pool,
        wiring.turns,
        wiring.status,
        wiring.metrics,
        ConductorSettings {
            registry,
            proposer: deployment.on_chain_proposer,
            me,
            turn_margin: based.turn_margin,
            poll_interval: l1.poll_interval,
            peers: based.peers.clone(),
            spec,
        },
    );
    let conductor = match wiring.gossip {
        Some((handle, incoming)) => conductor.with_gossip(handle, incoming),
        None => conductor,
    };
    info!(target: "keel::based", %me, %registry, turn_margin = based.turn_margin, peers = based.peers.len(), "based sequencing: taking turns as the registry schedules");
    Ok(BasedPart {
        on: OnL1 {
            l1: l1.clone(),
            client,
            path,
            deployment,
        },
        conductor,
    })
}

impl BasedPart {
    /// Spawns the conductor as a critical task; it first waits for the L1 node to answer on
    /// the deployment's chain.
    pub(crate) fn spawn(self, executor: &TaskExecutor) {
        let Self { on, conductor } = self;
        on.spawn(executor, crate::parts::SEQUENCING, |shutdown| async move {
            conductor.run(shutdown.signalled()).await
        });
    }
}

impl FollowerPart {
    /// Spawns the follower as a critical task; it first waits for the L1 node to answer on
    /// the deployment's chain.
    pub(crate) fn spawn(self, executor: &TaskExecutor) {
        let Self { on, follower } = self;
        on.spawn(executor, crate::parts::FOLLOWER, |shutdown| async move {
            follower.run(shutdown.signalled()).await
        });
    }
}

/// Retries `attempt` with a growing wait until it succeeds (`Some`), shutdown comes (`None`) or
/// it fails fatally (an L1 on another chain, a bad key).
async fn until_ready<T, Fut>(
    l1: &L1Config,
    shutdown: &Shutdown,
    mut attempt: impl FnMut() -> Fut,
) -> Result<Option<T>, L1Error>
where
    Fut: Future<Output = Result<T, L1Error>>,
{
    let mut wait = l1.poll_interval;
    let stopping = shutdown.signalled();
    tokio::pin!(stopping);
    loop {
        match attempt().await {
            Ok(ready) => return Ok(Some(ready)),
            Err(error) if error.is_fatal() => return Err(error),
            Err(error) => warn!(target: "keel::l1", %error, retry_in = ?wait, "L1 node not ready"),
        }
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = &mut stopping => return Ok(None),
        }
        wait = (wait * 2).min(Duration::from_secs(30));
    }
}

/// Whether the L1 node answering `client` is on `deployment`'s chain (an error if not).
async fn on_deployment_chain(
    client: &L1Client,
    path: &std::path::Path,
    deployment: &Deployment,
) -> Result<(), L1Error> {
    check_chain(client, path, deployment, client.chain_id().await?)
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
    allow_unbacked_genesis: bool,
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
            .check_l2(
                &path,
                &crate::launch::chain_spec(config),
                genesis.header.hash(),
                config.batcher.data_availability,
            )
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
        FeePolicy::from(l1),
    )
    .await
    .wrap_err("cannot reach the L1 node (l1.rpc_url)")?;
    let owner = l1.owner.ok_or_else(|| {
        eyre::eyre!(
            "l1.owner is not set: name the account (a multisig on a real chain) that will own \
             the contracts through the timelock; it must not be the sequencer's key"
        )
    })?;
    let dev_l1 = keel_l1::DEV_L1_CHAIN_IDS.contains(&sender.chain_id());
    let unbacked = unbacked_genesis(&config.genesis);
    if !unbacked.is_zero() {
        println!(
            "genesis gives {} wei ({} ETH) that nobody deposited on L1: the bridge cannot pay \
             it out",
            unbacked,
            alloy::primitives::utils::format_ether(unbacked)
        );
        if !dev_l1 && !allow_unbacked_genesis {
            eyre::bail!(
                "refusing to deploy a genesis with unbacked balances on L1 chain {}: remove the \
                 [genesis.alloc] balances, or pass --allow-unbacked-genesis to say you mean it",
                sender.chain_id()
            );
        }
    }
    let deployment = keel_l1::deploy(
        &sender,
        &keel_l1::DeployParams {
            l1_rpc_url: l1.rpc_url.clone(),
            l2_chain_id: config.chain.chain_id,
            chain_spec_hash: crate::launch::chain_spec(config).hash(),
            genesis_hash: genesis.header.hash(),
            genesis_state_root: genesis.header.state_root,
            inclusion_period: l1.deposit_inclusion_period.as_secs(),
            governance: keel_l1::Governance {
                owner,
                security_council: l1.security_council,
                exit_window: l1.exit_window.as_secs(),
            },
            data_availability: config.batcher.data_availability,
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
            based: l1.based.clone(),
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
    println!(
        "  chain spec       {}  (chain id, fee rules, block gas bound: pinned in every batch)",
        deployment.chain_spec_hash
    );
    for verifier in &deployment.verifiers {
        println!(
            "  verifier ({})    {}  provers {:?}",
            verifier.kind, verifier.address, verifier.provers
        );
        if let Some(program) = verifier.program {
            println!("    pins program   {program}");
        }
    }
    match (deployment.sequencer_registry, &l1.based) {
        (Some(registry), Some(based)) => println!(
            "  SequencerRegistry {registry}  based: bonded sequencers (at least {} wei) take \
             turns, one leader per {} L1 blocks, active two epochs after registering; bonds \
             locked {} s after leaving; any active sequencer commits after {} s of silence",
            based.min_bond,
            based.epoch_length,
            based.exit_delay.as_secs(),
            based.fallback_after.as_secs()
        ),
        _ => println!(
            "  sequencer        {}  (commits batches; owns nothing)",
            deployment.sequencer
        ),
    }
    println!(
        "  KeelTimelock     {}  owns every contract; delay {} s, never shorter (the exit window)",
        deployment.timelock, deployment.exit_window
    );
    println!(
        "  owner            {}  schedules changes through the timelock",
        deployment.owner
    );
    match deployment.security_council {
        Some(council) => println!(
            "  security council {council}  may pause deposits and claims once, for at most \
             {} s (the owner re-arms it), lift that pause, and cancel scheduled changes; \
             nothing else",
            deployment.exit_window
        ),
        None => println!("  security council none"),
    }
    println!(
        "  deposit deadline {} s after each deposit",
        deployment.deposit_inclusion_period
    );
    println!("wrote {}", path.display());
    Ok(())
}

/// What the genesis alloc gives accounts, in wei: ETH that no deposit on L1 backs.
fn unbacked_genesis(genesis: &keel_sequencer::config::GenesisConfig) -> alloy::primitives::U256 {
    genesis
        .alloc
        .values()
        .fold(alloy::primitives::U256::ZERO, |sum, account| {
            sum.saturating_add(account.balance)
        })
}
