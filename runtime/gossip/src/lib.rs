//! One gossipsub topic between configured peers, over libp2p (TCP, Noise, Yamux): what Keel's
//! based sequencers use to spread the leader's unsafe blocks as they are made.
//!
//! Why libp2p gossipsub (the OP Stack's choice for the same job) rather than a push over
//! JSON-RPC: every message is relayed through the mesh, so a node that one peer cannot reach
//! still hears it from another; duplicates are dropped by message id; and the application
//! judges every message before it is relayed ([`Verdict`]), so a bad message stops at the
//! first honest node. Keel adds nothing to the protocol: what a message means and whether it
//! is valid (the leader's signature, re-execution) is the caller's business.
//!
//! ```text
//!  GossipHandle::publish(bytes) ─▶ Gossip task ─ gossipsub ─▶ peers
//!  peers ─ gossipsub ─▶ Gossip task ─▶ Incoming { peer, id, data } ─▶ caller
//!  caller ─ GossipHandle::judge(id, peer, Verdict) ─▶ relayed (Accept), dropped (Ignore),
//!                                                      or dropped and counted against the
//!                                                      peer (Reject)
//! ```
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

use std::{future::Future, time::Duration};

use futures_util::StreamExt;
use libp2p::{
    Multiaddr, PeerId, Swarm, SwarmBuilder,
    gossipsub::{self, IdentTopic, MessageAcceptance, MessageAuthenticity, MessageId},
    noise,
    swarm::SwarmEvent,
    tcp, yamux,
};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

/// How often peers that are not connected are dialled again.
const REDIAL_EVERY: Duration = Duration::from_secs(2);
/// Messages waiting for the caller before new ones are dropped.
const INCOMING_QUEUE: usize = 1_024;

/// Why the gossip could not start.
#[derive(Debug, thiserror::Error)]
pub enum GossipError {
    /// An address that is not a multiaddr.
    #[error("{address:?} is not a libp2p multiaddr (e.g. /ip4/127.0.0.1/tcp/4100): {reason}")]
    Address {
        /// What was given.
        address: String,
        /// Why it does not parse.
        reason: String,
    },
    /// The transport or the protocol could not be set up.
    #[error("cannot set up libp2p: {0}")]
    Setup(String),
    /// The listen address could not be bound.
    #[error("cannot listen for gossip on {address}: {reason}")]
    Listen {
        /// The address.
        address: Multiaddr,
        /// Why.
        reason: String,
    },
}

/// Parses a multiaddr, with an error that says what one looks like.
pub fn parse_address(address: &str) -> Result<Multiaddr, GossipError> {
    address
        .parse()
        .map_err(|error: libp2p::multiaddr::Error| GossipError::Address {
            address: address.to_owned(),
            reason: error.to_string(),
        })
}

/// Where to listen, whom to dial, and on which topic.
#[derive(Debug, Clone)]
pub struct GossipConfig {
    /// The address to listen on (port 0: any free port).
    pub listen: Multiaddr,
    /// Peers to dial (and to dial again while not connected).
    pub peers: Vec<Multiaddr>,
    /// The topic (one per chain: `keel/<chain id>/unsafe-blocks/1`).
    pub topic: String,
    /// The largest message accepted or sent.
    pub max_message_bytes: usize,
}

/// What the caller thinks of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Valid: relay it to the mesh.
    Accept,
    /// Not useful here (stale, a gap): drop it, blame nobody.
    Ignore,
    /// Invalid (a bad signature, a block that does not execute): drop it and count it against
    /// the peer that sent it.
    Reject,
}

/// A message from the topic, waiting for the caller's [`Verdict`].
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The peer that relayed it here.
    pub peer: PeerId,
    /// Its id (a hash of its bytes).
    pub id: MessageId,
    /// Its bytes.
    pub data: Vec<u8>,
}

enum Command {
    Publish(Vec<u8>),
    Judge(MessageId, PeerId, Verdict),
}

/// The caller's side: publish and judge. Cheap to clone; usable from any thread.
#[derive(Debug, Clone)]
pub struct GossipHandle {
    commands: mpsc::UnboundedSender<Command>,
    peer_id: PeerId,
}

impl core::fmt::Debug for Command {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Publish(data) => write!(f, "Publish({} bytes)", data.len()),
            Self::Judge(id, peer, verdict) => write!(f, "Judge({id}, {peer}, {verdict:?})"),
        }
    }
}

impl GossipHandle {
    /// Publishes `data` on the topic (dropped with a log line if no peer is connected).
    pub fn publish(&self, data: Vec<u8>) {
        let _ = self.commands.send(Command::Publish(data));
    }

    /// Gives the verdict on message `id` from `peer` (each message once).
    pub fn judge(&self, id: MessageId, peer: PeerId, verdict: Verdict) {
        let _ = self.commands.send(Command::Judge(id, peer, verdict));
    }

    /// This node's peer id (a fresh identity each start).
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }
}

/// The gossip task: owns the libp2p swarm.
pub struct Gossip {
    swarm: Swarm<gossipsub::Behaviour>,
    topic: IdentTopic,
    peers: Vec<Multiaddr>,
    commands: mpsc::UnboundedReceiver<Command>,
    incoming: mpsc::Sender<Incoming>,
}

impl core::fmt::Debug for Gossip {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Gossip")
            .field("topic", &self.topic.to_string())
            .field("peers", &self.peers)
            .finish_non_exhaustive()
    }
}

impl Gossip {
    /// Binds `config.listen` and subscribes to the topic; returns the task (to [`Gossip::run`]),
    /// the caller's handle, and the stream of incoming messages.
    pub fn bind(
        config: GossipConfig,
    ) -> Result<(Self, GossipHandle, mpsc::Receiver<Incoming>), GossipError> {
        let setup = |e: &dyn std::fmt::Display| GossipError::Setup(e.to_string());
        let behaviour_config = gossipsub::ConfigBuilder::default()
            .heartbeat_interval(Duration::from_millis(500))
            // Small meshes: a handful of sequencers.
            .mesh_n_low(1)
            .mesh_n(3)
            .mesh_n_high(6)
            .mesh_outbound_min(0)
            .max_transmit_size(config.max_message_bytes)
            // Nothing is relayed until the caller has judged it.
            .validate_messages()
            .validation_mode(gossipsub::ValidationMode::Strict)
            // The same bytes are the same message, whoever relays them.
            .message_id_fn(|message| {
                MessageId::from(alloy_primitives::keccak256(&message.data).to_vec())
            })
            .build()
            .map_err(|e| setup(&e))?;
        let mut swarm = SwarmBuilder::with_new_identity()
            .with_tokio()
            .with_tcp(
                tcp::Config::default().nodelay(true),
                noise::Config::new,
                yamux::Config::default,
            )
            .map_err(|e| setup(&e))?
            .with_behaviour(|key| {
                gossipsub::Behaviour::new(
                    MessageAuthenticity::Signed(key.clone()),
                    behaviour_config,
                )
                .map_err(Box::<dyn std::error::Error + Send + Sync>::from)
            })
            .map_err(|e| setup(&e))?
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
            .build();
        let topic = IdentTopic::new(config.topic);
        swarm
            .behaviour_mut()
            .subscribe(&topic)
            .map_err(|e| setup(&e))?;
        swarm
            .listen_on(config.listen.clone())
            .map_err(|e| GossipError::Listen {
                address: config.listen.clone(),
                reason: e.to_string(),
            })?;
        let (commands_tx, commands) = mpsc::unbounded_channel();
        let (incoming, incoming_rx) = mpsc::channel(INCOMING_QUEUE);
        let handle = GossipHandle {
            commands: commands_tx,
            peer_id: *swarm.local_peer_id(),
        };
        Ok((
            Self {
                swarm,
                topic,
                peers: config.peers,
                commands,
                incoming,
            },
            handle,
            incoming_rx,
        ))
    }

    /// Runs until `shutdown` completes (or every handle is gone).
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut redial = tokio::time::interval(REDIAL_EVERY);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                _ = redial.tick() => self.dial_missing(),
                command = self.commands.recv() => match command {
                    Some(command) => self.command(command),
                    None => return,
                },
                event = self.swarm.select_next_some() => self.event(event),
            }
        }
    }

    fn dial_missing(&mut self) {
        let connected = self.swarm.connected_peers().count();
        if connected >= self.peers.len() {
            return;
        }
        for peer in self.peers.clone() {
            if let Err(error) = self.swarm.dial(peer.clone()) {
                debug!(target: "keel::gossip", %peer, %error, "cannot dial");
            }
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Publish(data) => {
                let bytes = data.len();
                if let Err(error) = self.swarm.behaviour_mut().publish(self.topic.clone(), data) {
                    debug!(target: "keel::gossip", %error, bytes, "not published");
                }
            }
            Command::Judge(id, peer, verdict) => {
                let acceptance = match verdict {
                    Verdict::Accept => MessageAcceptance::Accept,
                    Verdict::Ignore => MessageAcceptance::Ignore,
                    Verdict::Reject => MessageAcceptance::Reject,
                };
                self.swarm
                    .behaviour_mut()
                    .report_message_validation_result(&id, &peer, acceptance);
            }
        }
    }

    fn event(&mut self, event: SwarmEvent<gossipsub::Event>) {
        match event {
            SwarmEvent::Behaviour(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            }) => {
                let incoming = Incoming {
                    peer: propagation_source,
                    id: message_id.clone(),
                    data: message.data,
                };
                if self.incoming.try_send(incoming).is_err() {
                    warn!(target: "keel::gossip", peer = %propagation_source, "incoming queue full; message dropped");
                    self.swarm.behaviour_mut().report_message_validation_result(
                        &message_id,
                        &propagation_source,
                        MessageAcceptance::Ignore,
                    );
                }
            }
            SwarmEvent::NewListenAddr { address, .. } => {
                info!(target: "keel::gossip", %address, peer_id = %self.swarm.local_peer_id(), topic = %self.topic, "gossip listening");
            }
            SwarmEvent::ConnectionEstablished {
                peer_id, endpoint, ..
            } => {
                debug!(target: "keel::gossip", peer = %peer_id, address = %endpoint.get_remote_address(), "peer connected");
            }
            SwarmEvent::ConnectionClosed { peer_id, cause, .. } => {
                debug!(target: "keel::gossip", peer = %peer_id, cause = ?cause, "peer disconnected");
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(peers: Vec<Multiaddr>, port: u16) -> (Gossip, GossipHandle, mpsc::Receiver<Incoming>) {
        Gossip::bind(GossipConfig {
            listen: parse_address(&format!("/ip4/127.0.0.1/tcp/{port}")).unwrap(),
            peers,
            topic: "keel/test".to_owned(),
            max_message_bytes: 1 << 20,
        })
        .unwrap()
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    /// Three nodes in a line (a — b — c): what a publishes reaches c only through b, and only
    /// once b accepts it; what b rejects goes no further.
    #[tokio::test(flavor = "multi_thread")]
    async fn messages_are_relayed_only_once_judged_valid() {
        let (pa, pb, pc) = (free_port(), free_port(), free_port());
        let addr = |p: u16| parse_address(&format!("/ip4/127.0.0.1/tcp/{p}")).unwrap();
        let (a, a_handle, _a_rx) = node(vec![addr(pb)], pa);
        let (b, b_handle, mut b_rx) = node(vec![addr(pa), addr(pc)], pb);
        let (c, _c_handle, mut c_rx) = node(vec![addr(pb)], pc);
        for task in [a, b, c] {
            tokio::spawn(task.run(std::future::pending()));
        }
        // Until the mesh forms, publishing finds no peer: retry.
        let received = loop {
            a_handle.publish(b"valid".to_vec());
            if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(500), b_rx.recv()).await
            {
                break m;
            }
        };
        assert_eq!(received.data, b"valid");
        assert!(
            tokio::time::timeout(Duration::from_millis(1500), c_rx.recv())
                .await
                .is_err(),
            "c heard the message before b judged it"
        );
        b_handle.judge(received.id, received.peer, Verdict::Accept);
        let relayed = tokio::time::timeout(Duration::from_secs(10), c_rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(relayed.data, b"valid");
        assert_eq!(relayed.peer, b_handle.peer_id());

        a_handle.publish(b"invalid".to_vec());
        let bad = loop {
            let m = b_rx.recv().await.unwrap();
            if m.data == b"invalid" {
                break m;
            }
        };
        b_handle.judge(bad.id, bad.peer, Verdict::Reject);
        assert!(
            tokio::time::timeout(Duration::from_secs(2), c_rx.recv())
                .await
                .is_err(),
            "a rejected message was relayed"
        );
    }
}
