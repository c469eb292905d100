//! Wiring the node together from its config, and running it until a signal or a fatal error.

use std::{sync::Arc, time::Duration};

use eyre::WrapErr;
use keel_based::{BasedMetrics, GossipFeed, SequencingStatus, ToLeader};
use keel_config::Config;
use keel_coordinator::{Coordinator, CoordinatorConfig, ProgramId};
use keel_evm::Eip1559BaseFee;
use keel_gossip::{Gossip, GossipConfig};
use keel_mempool::{Mempool, PoolConfig};
use keel_plugin_host::{PluginEngine, PluginManager};
use keel_primitives::{
    BackendKind, ChainSpec, DataAvailability, L1BlobBaseFee, L1Clock, VerifierKind,
};
use keel_rpc::{AdminApi, EthApi, EthApiConfig, JwtSecret, RpcServer, RpcServerConfig};
use keel_sequencer::{
    BlockRules, InclusionWindow, PluginFailures, Proposer, ProposerConfig, SequencerMetrics,
    TurnSwitch, build_genesis,
};
use keel_storage::Storage;
use keel_tasks::TaskManager;
use prometheus_client::registry::Registry;
use tracing::{info, warn};
use tracing_subscriber::EnvFilter;

use crate::{
    parts::{Parts, SHUTDOWN_BOUND},
    pruner::Pruner,
};

/// The database file inside the datadir.
pub(crate) const DB_FILE: &str = "keel.redb";
/// The admin API's JWT secret inside the datadir, unless `admin.jwt_secret` names another file.
pub(crate) const ADMIN_JWT_FILE: &str = "admin-jwt.hex";

/// The chain spec `config` runs: what the STF checks, pinned on L1 by `keel deploy`.
pub(crate) fn chain_spec(config: &Config) -> ChainSpec {
    ChainSpec {
        chain_id: config.chain.chain_id,
        elasticity_multiplier: config.fees.elasticity_multiplier,
        base_fee_max_change_denominator: config.fees.base_fee_max_change_denominator,
        min_base_fee: config.fees.min_base_fee,
        max_base_fee: config.fees.max_base_fee,
        max_block_gas: config.genesis.gas_limit,
    }
}

/// Offers the mempool the transactions of blocks `keel revert` unwound, in their chain order,
/// so the proposer re-forms blocks from them. One that no longer applies is refused as any
/// other would be (counted, not fatal).
fn requeue_reverted(storage: &Storage, pool: &Mempool) -> eyre::Result<()> {
    let requeued = storage.take_requeued()?;
    if requeued.is_empty() {
        return Ok(());
    }
    let snapshot = storage.snapshot()?;
    let refused = requeued
        .iter()
        .filter(|raw| pool.add_raw(raw, &snapshot).is_err())
        .count();
    info!(target: "keel::node", offered = requeued.len(), refused, "transactions of reverted blocks offered to the mempool");
    Ok(())
}

/// Runs the node until SIGINT/SIGTERM or a fatal error.
pub(crate) async fn run(config: Config) -> eyre::Result<()> {
    init_tracing(&config.node.log)?;
    let spec = chain_spec(&config);

    let datadir = &config.node.datadir;
    std::fs::create_dir_all(datadir)
        .wrap_err_with(|| format!("cannot create datadir {}", datadir.display()))?;
    let db_path = datadir.join(DB_FILE);
    let storage = Arc::new(
        Storage::open(&db_path)
            .wrap_err_with(|| {
                format!(
                    "cannot open {}; is another keel using this datadir?",
                    db_path.display()
                )
            })?
            .keeping(state_history(&config.pruning)),
    );
    let genesis = build_genesis(&config.genesis);
    if storage.init_genesis(genesis.write())? {
        info!(target: "keel::node", hash = %genesis.header.hash(), state_root = %genesis.header.state_root, "genesis written");
    }
    let head = storage.snapshot()?.head()?;
    info!(target: "keel::node", number = head.number, hash = %head.hash(), state_root = %head.state_root, datadir = %datadir.display(), "chain loaded");

    let pool = Arc::new(Mempool::new(PoolConfig {
        chain_id: spec.chain_id,
        block_gas_limit: config.genesis.gas_limit,
        min_priority_fee: config.fees.min_priority_fee.into(),
        limits: config.mempool.clone(),
    }));

    if config.follower.is_none() {
        requeue_reverted(&storage, &pool)?;
    }

    let mut registry = Registry::default();
    let metrics = SequencerMetrics::default();
    metrics.register(&mut registry);
    // A based node: the conductor opens and closes the proposer, and tells the RPC who leads.
    let mut gossip_task = None;
    let based = config
        .based
        .as_ref()
        .map(|settings| -> eyre::Result<_> {
            let l1 = config
                .settlement()
                .ok_or_else(|| eyre::eyre!("[based] needs an enabled [l1] section"))?;
            let key = keel_l1::parse_key(&l1.sequencer_key).wrap_err("l1.sequencer_key")?;
            let based_metrics = BasedMetrics::default();
            based_metrics.register(&mut registry);
            let gossip = match &settings.gossip_listen {
                None => None,
                Some(listen) => {
                    let (task, handle, incoming) = Gossip::bind(GossipConfig {
                        listen: keel_gossip::parse_address(listen)?,
                        peers: settings
                            .gossip_peers
                            .iter()
                            .map(|peer| keel_gossip::parse_address(peer))
                            .collect::<Result<_, _>>()?,
                        topic: keel_based::unsafe_blocks_topic(spec.chain_id),
                        max_message_bytes: keel_based::MAX_UNSAFE_BLOCK_BYTES,
                    })
                    .wrap_err("based.gossip_listen")?;
                    gossip_task = Some(task);
                    Some((handle, incoming))
                }
            };
            Ok(crate::l1::BasedWiring {
                pool: pool.clone(),
                turns: TurnSwitch::new(),
                status: SequencingStatus::new(key.address()),
                metrics: based_metrics,
                key,
                gossip,
            })
        })
        .transpose()?;
    let settler_metrics = keel_l1::SettlerMetrics::default();
    if config.follower.is_none() && config.settlement().is_some() {
        settler_metrics.register(&mut registry);
    }
    let coordinator_metrics = keel_coordinator::CoordinatorMetrics::default();
    if config.follower.is_none() && config.prover.listen.is_some() {
        coordinator_metrics.register(&mut registry);
    }
    // Compiled plugins are cached in the datadir: a restart loads them without recompiling.
    let engine = PluginEngine::new()
        .map_err(|e| eyre::eyre!("cannot start the plugin engine: {e:#}"))?
        .with_cache_dir(datadir.join("plugin-cache"));
    let plugins = Arc::new(PluginManager::start(
        Arc::new(engine),
        &config.plugins,
        config.fees.plugin_params(),
        storage.clone(),
    )?);
    if config.plugins.bridge.is_some() && config.settlement().is_none() {
        warn!(target: "keel::plugins", "plugins.bridge is configured but there is no [l1] section: no deposits arrive, so the plugin is never called");
    }
    // A sequencer that posts blobs prices each block's data from the L1 blob base fee its
    // deposit watcher reads; without an L1 or under validium there is no data fee.
    let blob_base_fee = (config.follower.is_none()
        && config.settlement().is_some()
        && config.batcher.data_availability == DataAvailability::Blobs)
        .then(L1BlobBaseFee::default);
    // How far the deposit watcher has read L1, for a sequencer that settles.
    let l1_clock =
        (config.follower.is_none() && config.settlement().is_some()).then(L1Clock::default);
    let rules = BlockRules::new(
        plugins.engine().clone(),
        plugins.registry().clone(),
        plugins.fee_params(),
        Eip1559BaseFee::new(spec),
        PluginFailures {
            fee: metrics.fee_plugin_failures.clone(),
            ordering: metrics.ordering_plugin_failures.clone(),
            bridge: metrics.bridge_plugin_failures.clone(),
        },
    );
    let rules = Arc::new(match &blob_base_fee {
        Some(feed) => rules.with_l1_blob_base_fee(feed.clone()),
        None => rules,
    });
    metrics.head.set(head.number as i64);
    let metrics_server = match config.metrics.listen {
        None => None,
        Some(listen) => {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .wrap_err_with(|| {
                    format!("cannot listen for metrics on {listen} (metrics.listen)")
                })?;
            info!(target: "keel::node", metrics = %listener.local_addr()?, "metrics enabled");
            Some((listener, Arc::new(registry)))
        }
    };

    if config.follower.is_some() || config.batcher.data_availability == DataAvailability::Blobs {
        // The sequencer commits to every batch's blobs and a follower checks them: load the
        // trusted setup before the first batch needs it. A short one-shot, not a part.
        tokio::task::spawn_blocking(keel_da::load_trusted_setup);
    }
    let following = config.follower.as_ref();
    let api = EthApi::new(
        storage.clone(),
        pool.clone(),
        rules.clone(),
        EthApiConfig {
            spec,
            gas_cap: config.rpc.gas_cap,
            client_version: format!("keel/v{}", env!("CARGO_PKG_VERSION")),
            suggested_tip: keel_rpc::DEFAULT_SUGGESTED_TIP.max(config.fees.min_priority_fee.into()),
            max_logs_range: keel_rpc::DEFAULT_MAX_LOGS_RANGE,
            max_logs: keel_rpc::DEFAULT_MAX_LOGS,
        },
    );
    // A follower takes no transactions: it forwards them to the sequencer, or refuses. A
    // based node puts them where the current leader sees them.
    let api = Arc::new(match following {
        None => match (&based, &config.based) {
            (Some(wiring), Some(settings)) => api
                .with_transaction_sink(Arc::new(ToLeader::new(
                    wiring.status.clone(),
                    wiring.pool.clone(),
                    settings.peers.clone(),
                    tokio::runtime::Handle::current(),
                )))
                .with_sequencing(Arc::new(wiring.status.clone())),
            _ => api,
        },
        Some(follower) => api.with_transaction_sink(match &follower.sequencer_url {
            Some(url) => Arc::new(keel_follower::ForwardToSequencer::new(
                url,
                tokio::runtime::Handle::current(),
            )),
            None => Arc::new(keel_follower::RefuseTransactions),
        }),
    });
    let rpc = RpcServer::bind(api, RpcServerConfig::public(&config.rpc))
        .await
        .wrap_err_with(|| {
            format!(
                "cannot listen for JSON-RPC on {} (rpc.listen)",
                config.rpc.listen
            )
        })?;

    let status = match config.status.listen {
        None => None,
        Some(listen) => {
            let server = keel_status::StatusServer::bind(
                listen,
                storage.clone(),
                pool.clone(),
                spec.chain_id,
            )
            .await
            .wrap_err_with(|| {
                format!("cannot listen for the status page on {listen} (status.listen)")
            })?;
            info!(target: "keel::node", status_page = %format!("http://{}/", server.local_addr()?), "status page enabled");
            Some(server)
        }
    };

    // A follower produces nothing: no plugin swaps, no provers, no settlement.
    let admin = match config.admin.listen.filter(|_| following.is_none()) {
        None => None,
        Some(listen) => {
            let secret_path = config
                .admin
                .jwt_secret
                .clone()
                .unwrap_or_else(|| datadir.join(ADMIN_JWT_FILE));
            let secret = JwtSecret::load_or_create(&secret_path).wrap_err("admin.jwt_secret")?;
            let api = Arc::new(AdminApi::new(storage.clone(), plugins.clone()));
            let server = RpcServer::bind(api, RpcServerConfig::admin(&config.rpc, listen, secret))
                .await
                .wrap_err_with(|| {
                    format!("cannot listen for the admin API on {listen} (admin.listen)")
                })?;
            info!(target: "keel::node", admin = %server.local_addr()?, jwt_secret = %secret_path.display(), "admin API (keel_*) enabled");
            Some(server)
        }
    };
    let deployment = match config.settlement() {
        None => None,
        Some(l1) => Some(crate::l1::load_deployment(
            l1,
            datadir,
            &spec,
            genesis.header.hash(),
            config.batcher.data_availability,
        )?),
    };
    // Closed batches are sealed (assembled, self-checked, stored) on the sealer's thread, so
    // the check never delays the next block; the queue bounds how far the proposer runs ahead.
    let seals = keel_sequencer::SealQueue::new(keel_sequencer::SEAL_QUEUE_CAPACITY);
    let sealer = following.is_none().then(|| {
        keel_sequencer::Sealer::new(
            spec,
            config.batcher.clone(),
            storage.clone(),
            metrics.clone(),
            seals.clone(),
        )
    });
    let proposer = following.is_none().then(|| {
        let proposer = Proposer::new(
            spec,
            ProposerConfig {
                block_time: config.sequencer.block_time,
                coinbase: config.sequencer.coinbase,
                gas_limit: config.genesis.gas_limit,
                extra_data: config.genesis.extra_data.clone(),
                max_block_txs: config.sequencer.max_block_txs,
                batcher: config.batcher.clone(),
                max_deposits_per_block: config
                    .settlement()
                    .map_or(0, |l1| l1.max_deposits_per_block),
            },
            storage.clone(),
            pool,
            rules,
            metrics,
        )
        .with_sealer(seals);
        // A sequencer that settles keeps L2 time within what its L1 watcher has read.
        let proposer = match (&deployment, &l1_clock) {
            (Some((_, deployment)), Some(clock)) => proposer.with_inclusion_window(
                InclusionWindow::new(clock.clone(), deployment.deposit_inclusion_period),
            ),
            _ => proposer,
        };
        match &based {
            Some(wiring) => {
                let proposer = proposer.with_turns(wiring.turns.clone());
                // The leader's blocks go out signed as they are made.
                match &wiring.gossip {
                    Some((handle, _)) => proposer.with_block_feed(Arc::new(GossipFeed::new(
                        wiring.key.clone(),
                        spec.chain_id,
                        handle.clone(),
                    ))),
                    None => proposer,
                }
            }
            None => proposer,
        }
    });
    let coordinator = match config.prover.listen.filter(|_| following.is_none()) {
        None => None,
        Some(listen) => {
            let accepted = accepted_programs(
                deployment.as_ref().map(|(_, d)| d),
                &config.prover.openvm_programs,
            );
            let required_parts: Vec<VerifierKind> = deployment
                .as_ref()
                .map(|(_, d)| d.verifiers.iter().map(|v| v.kind).collect())
                .unwrap_or_default();
            let coordinator = Coordinator::bind(
                CoordinatorConfig {
                    listen,
                    lease_timeout: config.prover.lease_timeout,
                    chain_id: spec.chain_id,
                    accepted: accepted.clone(),
                    retry_after: Duration::from_millis(500),
                    required_parts: required_parts.clone(),
                    allowed_provers: config.prover.allowed_provers.clone(),
                },
                storage.clone(),
            )
            .await
            .wrap_err_with(|| format!("cannot listen for provers on {listen} (prover.listen)"))?
            .with_metrics(coordinator_metrics);
            // With L1 verifiers, a proof they refuse is refused at submission.
            let coordinator = match (config.settlement(), &deployment) {
                (Some(l1), Some((_, deployment))) => coordinator
                    .with_proof_check(Arc::new(crate::l1::L1ProofCheck::new(l1, deployment)?)),
                _ => coordinator,
            };
            // A based node proves other sequencers' batches too, once they wait too long.
            let coordinator = match &config.based {
                Some(_) => coordinator.with_followed_inputs(
                    Arc::new(ReplayedInputs(spec)),
                    config.prover.backup_after,
                ),
                None => coordinator,
            };
            info!(target: "keel::node", coordinator = %coordinator.local_addr()?, accepted = ?accepted.iter().map(|p| format!("{} {}", p.backend, p.version)).collect::<Vec<_>>(), required_parts = ?required_parts, "proof coordinator enabled");
            Some(coordinator)
        }
    };
    let mut conductor = None;
    let (l1, follower) = match (config.settlement(), deployment, following) {
        (Some(l1), Some((path, deployment)), None) => {
            if let (Some(wiring), Some(settings)) = (based, &config.based) {
                conductor = Some(crate::l1::prepare_based(
                    l1,
                    settings,
                    path.clone(),
                    deployment.clone(),
                    storage.clone(),
                    spec,
                    wiring,
                )?);
            }
            (
                Some(
                    crate::l1::prepare(
                        l1,
                        path,
                        deployment,
                        storage.clone(),
                        blob_base_fee,
                        l1_clock,
                    )
                    .await?
                    .with_metrics(settler_metrics),
                ),
                None,
            )
        }
        (Some(l1), Some((path, deployment)), Some(_)) => (
            None,
            Some(crate::l1::prepare_follower(
                l1,
                path,
                deployment,
                storage.clone(),
                spec,
            )?),
        ),
        _ => (None, None),
    };
    info!(target: "keel::node", rpc = %rpc.local_addr()?, chain_id = spec.chain_id, "keel is running");

    let mut tasks = TaskManager::new();
    Parts {
        proposer,
        sealer,
        pruner: Pruner::new(storage.clone(), config.settlement().is_none()),
        rpc,
        admin,
        metrics: metrics_server,
        status,
        coordinator,
        l1,
        follower,
        based: conductor,
        gossip: gossip_task,
    }
    .spawn(&tasks.executor())?;

    // Run until a signal, or until a critical part ends.
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .wrap_err("cannot install the SIGTERM handler")?;
    let failed = tokio::select! {
        _ = tokio::signal::ctrl_c() => { info!(target: "keel::node", "SIGINT: shutting down"); None }
        _ = terminate.recv() => { info!(target: "keel::node", "SIGTERM: shutting down"); None }
        exit = tasks.critical_exit() => Some(exit),
    };
    let stopped = tasks.shutdown(SHUTDOWN_BOUND).await;
    if let Err(e) = &stopped {
        warn!(target: "keel::node", error = %e, "shutdown was not clean");
    }
    match failed {
        Some(exit) => Err(exit.into()),
        None => Ok(stopped?),
    }
}

/// Prover inputs of followed batches, by re-executing their blocks from the database
/// (`keel_sequencer::followed_prover_input`).
#[derive(Debug)]
struct ReplayedInputs(ChainSpec);

impl keel_coordinator::FollowedInputs for ReplayedInputs {
    fn prover_input(
        &self,
        snapshot: &keel_storage::Snapshot,
        batch: &keel_primitives::Batch,
    ) -> Result<Vec<u8>, String> {
        keel_sequencer::followed_prover_input(&self.0, snapshot, batch).map_err(|e| e.to_string())
    }
}

/// The programs whose proofs this node takes. `exec` at this build's STF version, unless the
/// L1 deployment has no verifier that an exec proof can satisfy; `openvm` at the program each
/// attesting verifier pins (the guest built from the same source, `keel-prover --backend
/// openvm --print-program`) and at each of `prover.openvm_programs`.
fn accepted_programs(
    deployment: Option<&keel_l1::Deployment>,
    openvm_programs: &[alloy_primitives::B256],
) -> Vec<ProgramId> {
    let exec = ProgramId::new(BackendKind::Exec, keel_stf::PROGRAM_VERSION);
    let mut accepted: Vec<ProgramId> = openvm_programs
        .iter()
        .map(|program| ProgramId::new(BackendKind::OpenVm, program.to_string()))
        .collect();
    let Some(deployment) = deployment else {
        accepted.insert(0, exec);
        return accepted;
    };
    for verifier in &deployment.verifiers {
        match (verifier.kind, verifier.program) {
            (VerifierKind::Dev, _) if !accepted.contains(&exec) => accepted.push(exec.clone()),
            (VerifierKind::Attesting | VerifierKind::OpenVm, Some(program)) => {
                let openvm = ProgramId::new(BackendKind::OpenVm, program.to_string());
                if !accepted.contains(&openvm) {
                    accepted.push(openvm);
                }
            }
            _ => {}
        }
    }
    accepted
}

/// Logging for `keel node` and `keel deploy`: `node.log`'s filter (or `RUST_LOG`) to stderr,
/// long operations as progress lines on a terminal (`keel_logging`).
pub(crate) fn init_tracing(filter: &str) -> eyre::Result<()> {
    // RUST_LOG, if set, wins over `node.log`.
    let filter = match std::env::var("RUST_LOG") {
        Ok(env) if !env.is_empty() => EnvFilter::try_new(env).wrap_err("invalid RUST_LOG")?,
        _ => EnvFilter::try_new(filter)
            .wrap_err_with(|| format!("invalid log filter {filter:?} (node.log)"))?,
    };
    keel_logging::init(filter);
    Ok(())
}

/// What `[pruning]` asks the database to keep.
fn state_history(pruning: &keel_config::PruningConfig) -> keel_storage::StateHistory {
    match pruning.mode {
        keel_config::PruningMode::Archive => keel_storage::StateHistory::Archive,
        keel_config::PruningMode::Full => keel_storage::StateHistory::Full {
            blocks: pruning.state_history,
        },
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, B256};
    use keel_l1::{Deployment, VerifierDeployment};

    use super::*;

    fn deployment(verifiers: &[(VerifierKind, Option<B256>)]) -> Deployment {
        Deployment {
            l1_rpc_url: String::new(),
            l1_chain_id: 31337,
            l2_chain_id: 1,
            chain_spec_hash: B256::ZERO,
            l2_genesis_hash: B256::ZERO,
            l2_genesis_state_root: B256::ZERO,
            owner: Address::ZERO,
            timelock: Address::ZERO,
            exit_window: 30,
            security_council: None,
            sequencer: Address::ZERO,
            sequencer_registry: None,
            on_chain_proposer: Address::ZERO,
            common_bridge: Address::ZERO,
            verifiers: verifiers
                .iter()
                .map(|&(kind, program)| VerifierDeployment {
                    kind,
                    address: Address::ZERO,
                    provers: vec![],
                    program,
                })
                .collect(),
            deployed_at_block: 0,
            deposit_inclusion_period: 1,
            data_availability: keel_primitives::DataAvailability::Blobs,
        }
    }

    #[test]
    fn accepted_programs_follow_the_verifiers() {
        let exec = ProgramId::new(BackendKind::Exec, keel_stf::PROGRAM_VERSION);
        let pinned = B256::repeat_byte(1);
        let extra = B256::repeat_byte(2);
        let openvm = |id: B256| ProgramId::new(BackendKind::OpenVm, id.to_string());
        assert_eq!(accepted_programs(None, &[]), std::slice::from_ref(&exec));
        assert_eq!(
            accepted_programs(None, &[extra]),
            [exec.clone(), openvm(extra)]
        );
        let dev = deployment(&[(VerifierKind::Dev, None)]);
        assert_eq!(
            accepted_programs(Some(&dev), &[]),
            std::slice::from_ref(&exec)
        );
        // Only an attesting verifier: exec proofs could never verify, so exec is refused.
        let attesting = deployment(&[(VerifierKind::Attesting, Some(pinned))]);
        assert_eq!(accepted_programs(Some(&attesting), &[]), [openvm(pinned)]);
        assert_eq!(
            accepted_programs(Some(&attesting), &[pinned, extra]),
            [openvm(pinned), openvm(extra)]
        );
        // Both OpenVM verifiers pin one program: it is named once.
        let both = deployment(&[
            (VerifierKind::Attesting, Some(pinned)),
            (VerifierKind::OpenVm, Some(pinned)),
        ]);
        assert_eq!(accepted_programs(Some(&both), &[]), [openvm(pinned)]);
    }
}
