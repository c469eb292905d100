//! [`Schedule`]: what the `SequencerRegistry` says about turns, read at one L1 block.

use alloy::{
    eips::BlockId,
    primitives::{Address, U256},
    providers::Provider,
};

use crate::{L1Client, L1Result, SequencerRegistry};

/// The sequencer schedule as it stands for the next L1 block (the one a transaction sent now
/// lands in), every view read at the same L1 block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// The L1 block the schedule is for: the tip's child.
    pub l1_block: u64,
    /// Its epoch.
    pub epoch: u64,
    /// The leader of that epoch (zero: nobody is active).
    pub leader: Address,
    /// The first L1 block of the next epoch: the turn ends before it.
    pub epoch_end: u64,
    /// The leader of the next epoch (zero: nobody).
    pub next_leader: Address,
    /// The next epoch `me` leads, counted from the tip's epoch (the one before
    /// [`Schedule::epoch`] when the tip ends an epoch); `None`: never, as registered now.
    pub next_turn: Option<u64>,
}

impl Schedule {
    /// Reads `registry`'s schedule for the child of L1's tip, as it concerns `me`.
    pub async fn read(client: &L1Client, registry: Address, me: Address) -> L1Result<Self> {
        let tip = client
            .rpc("eth_blockNumber", client.provider().get_block_number())
            .await?;
        let at = BlockId::number(tip);
        let schedule = SequencerRegistry::new(registry, client.provider());
        let l1_block = tip + 1;
        let epoch = client
            .view(
                "epochOf",
                schedule.epochOf(U256::from(l1_block)).block(at).call(),
            )
            .await?;
        let leader = client
            .view("leaderOf", schedule.leaderOf(epoch).block(at).call())
            .await?;
        let next_epoch = epoch.saturating_add(U256::from(1));
        let next_leader = client
            .view("leaderOf", schedule.leaderOf(next_epoch).block(at).call())
            .await?;
        let epoch_end = client
            .view(
                "epochStartBlock",
                schedule.epochStartBlock(next_epoch).block(at).call(),
            )
            .await?;
        let next_turn = client
            .view("nextTurn", schedule.nextTurn(me).block(at).call())
            .await?;
        let next_turn = u64::try_from(next_turn)
            .ok()
            .filter(|&turn| turn != u64::MAX);
        Ok(Self {
            l1_block,
            epoch: epoch.saturating_to(),
            leader,
            epoch_end: epoch_end.saturating_to(),
            next_leader,
            next_turn,
        })
    }

    /// Whether `me` leads the epoch of [`Schedule::l1_block`].
    pub fn leads(&self, me: Address) -> bool {
        !me.is_zero() && self.leader == me
    }

    /// L1 blocks left in the epoch after [`Schedule::l1_block`] (0 in its last block).
    pub fn blocks_left(&self) -> u64 {
        self.epoch_end.saturating_sub(self.l1_block + 1)
    }
}
