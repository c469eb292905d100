//! Keel ordering policy: first come, first served. Transactions go in arrival order, except that
//! a sender's later nonce never goes before its earlier one. A transaction whose max fee is below
//! the block's base fee is left out, and with it the sender's later nonces (the block could not
//! include them).
//!
//! Settings: none.

use keel_plugin_sdk::prelude::*;

/// Arrival order.
#[derive(Debug)]
pub struct Fifo;

impl OrderingPolicy for Fifo {
    fn rank(
        ctx: BlockContext,
        _settings: &Settings<'_>,
        candidates: Candidates<'_>,
    ) -> Result<Vec<u64>, String> {
        // One rank for all that can pay: the host breaks the tie by arrival.
        Ok(rank_each(candidates, |c| {
            c.effective_tip(ctx.base_fee)?;
            Some(0)
        }))
    }
}

keel_plugin_sdk::export_ordering!(Fifo);

#[cfg(test)]
mod tests {
    use super::*;
    use keel_plugin_sdk::encode_candidates;

    fn tx(sender: u8, nonce: u64, max_fee: u128, arrival: u64) -> Candidate {
        Candidate {
            sender: [sender; 20],
            nonce,
            max_fee,
            max_priority_fee: max_fee,
            arrival,
            ..Candidate::default()
        }
    }

    fn order(base_fee: u64, list: &[Candidate]) -> Vec<u32> {
        let bytes = encode_candidates(list);
        let ctx = BlockContext {
            number: 1,
            timestamp: 2,
            gas_limit: 30_000_000,
            base_fee,
        };
        let ranks = Fifo::rank(
            ctx,
            &Settings::new(&[]),
            Candidates::parse(list.len() as u32, &bytes).expect("layout"),
        )
        .expect("ranks");
        merge_ranks(list, &ranks)
    }

    #[test]
    fn arrival_order_regardless_of_fees() {
        let list = [tx(1, 0, 10, 30), tx(2, 0, 1_000, 10), tx(3, 0, 50, 20)];
        assert_eq!(order(1, &list), vec![1, 2, 0]);
    }

    #[test]
    fn a_later_nonce_that_arrived_first_waits_for_its_predecessor() {
        // Sender 1's nonce 1 arrived first, then sender 2, then sender 1's nonce 0.
        let list = [tx(1, 1, 10, 0), tx(2, 0, 10, 1), tx(1, 0, 10, 2)];
        assert_eq!(order(1, &list), vec![1, 2, 0]);
    }

    #[test]
    fn skips_fee_caps_below_the_base_fee_and_their_successors() {
        let list = [tx(1, 0, 5, 0), tx(1, 1, 100, 1), tx(2, 0, 10, 2)];
        assert_eq!(order(10, &list), vec![2]);
        assert_eq!(order(5, &list), vec![0, 1, 2]);
    }

    #[test]
    fn empty() {
        assert!(order(1, &[]).is_empty());
    }
}
