//! The leader's side of unsafe-block gossip: [`GossipFeed`] signs each block the proposer
//! makes and publishes it on the chain's topic.

use std::time::{SystemTime, UNIX_EPOCH};

use alloy_signer_local::PrivateKeySigner;
use keel_gossip::GossipHandle;
use keel_sequencer::{BlockFeed, MadeBlock};
use tracing::warn;

use crate::UnsafeBlock;

/// The gossipsub topic of chain `chain_id`'s unsafe blocks (its version is the wire format's).
pub fn unsafe_blocks_topic(chain_id: u64) -> String {
    format!(
        "keel/{chain_id}/unsafe-blocks/{}",
        crate::UNSAFE_BLOCK_VERSION
    )
}

/// Signs every block the proposer makes with the node's registered key and gossips it.
#[derive(Debug)]
pub struct GossipFeed {
    signer: PrivateKeySigner,
    chain_id: u64,
    gossip: GossipHandle,
}

impl GossipFeed {
    /// A feed signing with `signer` (the node's `l1.sequencer_key`) for chain `chain_id`.
    pub fn new(signer: PrivateKeySigner, chain_id: u64, gossip: GossipHandle) -> Self {
        Self {
            signer,
            chain_id,
            gossip,
        }
    }
}

impl BlockFeed for GossipFeed {
    fn block_made(&self, made: MadeBlock<'_>) {
        let block = UnsafeBlock {
            chain_id: self.chain_id,
            number: made.number,
            parent_hash: made.parent_hash,
            hash: made.hash,
            made_at_ms: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
            block: made.payload.clone(),
        };
        match block.sign(&self.signer) {
            Ok(wire) => self.gossip.publish(wire),
            Err(error) => {
                warn!(target: "keel::based", number = made.number, %error, "cannot sign the block for gossip")
            }
        }
    }
}
