//! Every long-lived part of a node, in one place: its name under the supervisor, and how it is
//! spawned.
//!
//! | name          | what                                        | runs on          | when          |
//! |---------------|---------------------------------------------|------------------|---------------|
//! | `proposer`    | builds, seals and persists one block per slot | its own thread | a sequencer |
//! | `sealer`      | seals the batches the proposer closes: input, blobs, self-check, store | its own thread | a sequencer |
//! | `pruner`      | drops the trie of states older than `[pruning]` keeps | its own thread | `pruning.mode = "full"` |
//! | `rpc`         | public JSON-RPC (HTTP)                      | tokio            | always        |
//! | `admin-rpc`   | admin JSON-RPC behind a JWT (plugin swaps)  | tokio            | `admin.listen`|
//! | `metrics`     | Prometheus `GET /metrics`                   | tokio            | `metrics.listen` |
//! | `status`      | the status page (`GET /`, `/api/status`) and its head sampler | tokio (+ blocking) | `status.listen` |
//! | `coordinator` | leases batches to provers, takes proofs     | tokio            | `prover.listen` |
//! | `l1-watcher`  | records confirmed L1 deposits               | tokio            | `[l1]`        |
//! | `l1-settler`  | commits batches and sends proofs to L1      | tokio            | `[l1]`        |
//! | `l1-verifier` | sends proofs to L1 with its own key         | tokio            | `l1.verifier_key` |
//! | `follower`    | rebuilds the chain from L1's commits and blobs | tokio (+ blocking) | `[follower]` |
//! | `gossip`      | a based node's libp2p gossipsub: its unsafe blocks out, the leader's in | tokio | `based.gossip_listen` |
//! | `sequencing`  | a based node's turns: follows L1 between them, opens and closes the proposer | tokio (+ blocking) | `[based]` |
//!
//! A follower runs `rpc`, `metrics`, `status` and `follower` only: it produces no blocks, takes no
//! plugin swaps or proofs, and settles nothing. A based node runs every part of a sequencer
//! and `sequencing`, which drives the proposer (it builds only in the node's turns) and the
//! follower between turns.
//!
//! Each is *critical*: if it ends, fails or panics while the node runs, the node stops with its
//! name in the error and a non-zero exit. A stop (SIGINT/SIGTERM) reaches every part: servers
//! stop accepting and answer the requests in flight, the proposer finishes and commits the
//! block in progress, L1 tasks drop what they wait for (L1 is the record). The supervisor waits
//! for all of them at most [`SHUTDOWN_BOUND`].

use std::{convert::Infallible, sync::Arc, time::Duration};

use keel_coordinator::Coordinator;
use keel_gossip::Gossip;
use keel_rpc::{AdminApi, EthApi, RpcServer};
use keel_sequencer::{Proposer, Sealer};
use keel_tasks::{TaskError, TaskExecutor};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

use crate::{
    l1::{BasedPart, FollowerPart, L1Parts},
    pruner::Pruner,
};

/// The block producer.
pub(crate) const PROPOSER: &str = "proposer";
/// Seals closed batches off the proposer's thread.
pub(crate) const SEALER: &str = "sealer";
/// Prunes old state on a full node.
pub(crate) const PRUNER: &str = "pruner";
/// The public JSON-RPC server.
pub(crate) const RPC: &str = "rpc";
/// The admin JSON-RPC server.
pub(crate) const ADMIN_RPC: &str = "admin-rpc";
/// The Prometheus endpoint.
pub(crate) const METRICS: &str = "metrics";
/// The status page.
pub(crate) const STATUS: &str = "status";
/// The proof coordinator.
pub(crate) const COORDINATOR: &str = "coordinator";
/// The L1 deposit watcher.
pub(crate) const L1_WATCHER: &str = "l1-watcher";
/// The L1 settler (commits, and proofs unless `l1.verifier_key` gives them a task of their own).
pub(crate) const L1_SETTLER: &str = "l1-settler";
/// The L1 verifier: sends proofs with `l1.verifier_key`.
pub(crate) const L1_VERIFIER: &str = "l1-verifier";
/// The follower (a node rebuilding the chain from L1).
pub(crate) const FOLLOWER: &str = "follower";
/// A based node's conductor.
pub(crate) const SEQUENCING: &str = "sequencing";
/// A based node's unsafe-block gossip.
pub(crate) const GOSSIP: &str = "gossip";

/// How long a stop may take: long enough for the proposer to finish a full block and for RPC
/// calls in flight to be answered, short enough for a service manager's stop timeout.
pub(crate) const SHUTDOWN_BOUND: Duration = Duration::from_secs(10);

/// The node's parts, bound to their addresses and ready to run.
pub(crate) struct Parts {
    pub(crate) proposer: Option<Proposer>,
    pub(crate) sealer: Option<Sealer>,
    pub(crate) pruner: Option<Pruner>,
    pub(crate) rpc: RpcServer<EthApi>,
    pub(crate) admin: Option<RpcServer<AdminApi>>,
    pub(crate) metrics: Option<(TcpListener, Arc<Registry>)>,
    pub(crate) status: Option<keel_status::StatusServer>,
    pub(crate) coordinator: Option<Coordinator>,
    pub(crate) l1: Option<L1Parts>,
    pub(crate) follower: Option<FollowerPart>,
    pub(crate) based: Option<BasedPart>,
    pub(crate) gossip: Option<Gossip>,
}

impl Parts {
    /// Spawns every part through `executor`.
    pub(crate) fn spawn(self, executor: &TaskExecutor) -> Result<(), TaskError> {
        let Self {
            proposer,
            sealer,
            pruner,
            rpc,
            admin,
            metrics,
            status,
            coordinator,
            l1,
            follower,
            based,
            gossip,
        } = self;
        if let Some(proposer) = proposer {
            executor.spawn_critical_thread(PROPOSER, move |shutdown| proposer.run(&shutdown))?;
        }
        if let Some(sealer) = sealer {
            executor.spawn_critical_thread(SEALER, move |shutdown| sealer.run(&shutdown))?;
        }
        if let Some(pruner) = pruner {
            executor.spawn_critical_thread(PRUNER, move |shutdown| pruner.run(&shutdown))?;
        }
        executor.spawn_critical(RPC, |shutdown| async move {
            rpc.run(shutdown.signalled()).await;
            Ok::<_, Infallible>(())
        });
        if let Some(admin) = admin {
            executor.spawn_critical(ADMIN_RPC, |shutdown| async move {
                admin.run(shutdown.signalled()).await;
                Ok::<_, Infallible>(())
            });
        }
        if let Some((listener, registry)) = metrics {
            executor.spawn_critical(METRICS, |shutdown| async move {
                crate::metrics::run(listener, registry, shutdown.signalled()).await;
                Ok::<_, Infallible>(())
            });
        }
        if let Some(status) = status {
            executor.spawn_critical(STATUS, |shutdown| async move {
                status.run(shutdown.signalled()).await;
                Ok::<_, Infallible>(())
            });
        }
        if let Some(coordinator) = coordinator {
            executor.spawn_critical(COORDINATOR, |shutdown| async move {
                coordinator.run(shutdown.signalled()).await;
                Ok::<_, Infallible>(())
            });
        }
        if let Some(l1) = l1 {
            l1.spawn(executor);
        }
        if let Some(follower) = follower {
            follower.spawn(executor);
        }
        if let Some(based) = based {
            based.spawn(executor);
        }
        if let Some(gossip) = gossip {
            executor.spawn_critical(GOSSIP, |shutdown| async move {
                gossip.run(shutdown.signalled()).await;
                Ok::<_, Infallible>(())
            });
        }
        Ok(())
    }
}
