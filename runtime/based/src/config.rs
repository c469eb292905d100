//! `[based]`: the section of the config file this crate owns.

use std::collections::BTreeMap;

use alloy_primitives::Address;
use keel_units::{Violation, ensure};
use serde::Deserialize;

/// Default [`BasedNodeConfig::turn_margin`].
pub const DEFAULT_TURN_MARGIN: u64 = 2;

/// `[based]`: run the node as one of several sequencers that take turns, as the L1
/// `SequencerRegistry` of the deployment schedules them (`keel deploy` with `[l1.based]`).
/// Between its turns the node follows L1 (as `[follower]` does); in its epochs it proposes,
/// seals and commits with `l1.sequencer_key`, which must be registered.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BasedNodeConfig {
    /// L1 blocks before the end of its epoch at which the node stops proposing, seals its open
    /// batch and leaves the rest of the turn to commit it (default 2). Blocks it built but
    /// could not commit in the turn are taken back and their transactions go to the next
    /// leader.
    pub turn_margin: u64,
    /// The other sequencers' JSON-RPC URLs, by their registered L1 address: transactions sent
    /// to this node while another leads are forwarded to that leader (one not listed, or not
    /// answering, leaves them in this node's pool for its own next turn).
    pub peers: BTreeMap<Address, String>,
    /// Where this node listens for the other sequencers' unsafe blocks (a libp2p multiaddr,
    /// e.g. `/ip4/0.0.0.0/tcp/4100`; default `None`: no gossip, blocks reach this node
    /// through L1 only).
    #[serde(deserialize_with = "keel_units::opt_string")]
    pub gossip_listen: Option<String>,
    /// The other sequencers' gossip addresses (multiaddrs), dialled and redialled.
    pub gossip_peers: Vec<String>,
}

impl Default for BasedNodeConfig {
    fn default() -> Self {
        Self {
            turn_margin: DEFAULT_TURN_MARGIN,
            peers: BTreeMap::new(),
            gossip_listen: None,
            gossip_peers: Vec::new(),
        }
    }
}

impl BasedNodeConfig {
    /// The first rule the section breaks (keys relative to `[based]`).
    pub fn validate(&self) -> Result<(), Violation> {
        ensure(self.turn_margin >= 1, "turn_margin", || {
            "must be at least 1 L1 block: the commit of the last batch needs a block of the turn"
                .to_owned()
        })?;
        for (address, url) in &self.peers {
            ensure(
                url.starts_with("http://") || url.starts_with("https://"),
                &format!("peers.{address}"),
                || format!("must be an http:// or https:// URL, got {url:?}"),
            )?;
        }
        for (key, address) in self
            .gossip_listen
            .iter()
            .map(|a| ("gossip_listen".to_owned(), a))
            .chain(
                self.gossip_peers
                    .iter()
                    .enumerate()
                    .map(|(i, a)| (format!("gossip_peers[{i}]"), a)),
            )
        {
            keel_gossip::parse_address(address)
                .map_err(|error| Violation::new(key, error.to_string()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_are_keyed_by_address_and_must_be_urls() {
        let config: BasedNodeConfig = toml::from_str(
            "turn_margin = 3\n[peers]\n\"0x00000000000000000000000000000000000000aa\" = \"http://127.0.0.1:1\"\n",
        )
        .unwrap();
        assert_eq!(config.turn_margin, 3);
        assert_eq!(
            config.peers[&Address::left_padding_from(&[0xaa])],
            "http://127.0.0.1:1"
        );
        config.validate().unwrap();
        let bad = BasedNodeConfig {
            peers: [(Address::ZERO, "127.0.0.1:1".to_owned())].into(),
            ..BasedNodeConfig::default()
        };
        assert!(bad.validate().unwrap_err().key.starts_with("peers."));
        let gossip = BasedNodeConfig {
            gossip_peers: vec!["127.0.0.1:4100".to_owned()],
            ..BasedNodeConfig::default()
        };
        assert_eq!(gossip.validate().unwrap_err().key, "gossip_peers[0]");
        let zero = BasedNodeConfig {
            turn_margin: 0,
            ..BasedNodeConfig::default()
        };
        assert!(zero.validate().is_err());
    }
}
