//! Keel's default ordering policy: highest effective tip at the block's base fee first, each
//! sender's nonces in order, ties by arrival. A transaction whose max fee is below the base fee
//! is left out, and with it the sender's later nonces. This is the node's native order (tips
//! above `u64::MAX` wei, 18.4 ether per gas, rank as equal).
//!
//! Settings: none.

use keel_plugin_sdk::prelude::*;

/// Highest effective tip first.
#[derive(Debug)]
pub struct PriorityFee;

impl OrderingPolicy for PriorityFee {
    fn rank(
        ctx: BlockContext,
        _settings: &Settings<'_>,
        candidates: Candidates<'_>,
    ) -> Result<Vec<u64>, String> {
        // The host breaks equal ranks by arrival.
        Ok(rank_each(candidates, |c| {
            let tip = c.effective_tip(ctx.base_fee)?;
            Some(u64::try_from(tip).unwrap_or(u64::MAX))
        }))
    }
}

keel_plugin_sdk::export_ordering!(PriorityFee);

#[cfg(test)]
mod tests {
    use super::*;
    use keel_plugin_sdk::encode_candidates;

    const GWEI: u128 = 1_000_000_000;
    const BASE_FEE: u64 = 1_000_000_000;

    fn tx(sender: u8, nonce: u64, max_fee: u128, tip: u128, arrival: u64) -> Candidate {
        Candidate {
            hash: [arrival as u8; 32],
            sender: [sender; 20],
            nonce,
            gas_limit: 21_000,
            max_fee,
            max_priority_fee: tip,
            size: 110,
            tx_type: 2,
            arrival,
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
        let ranks = PriorityFee::rank(
            ctx,
            &Settings::new(&[]),
            Candidates::parse(list.len() as u32, &bytes).expect("layout"),
        )
        .expect("ranks");
        merge_ranks(list, &ranks)
    }

    #[test]
    fn highest_tip_first_keeping_nonce_order() {
        // The mempool's own test: Alice low tip then high tip, Bob medium tip.
        let list = [
            tx(1, 0, 100 * GWEI, GWEI, 0),
            tx(1, 1, 100 * GWEI, 9 * GWEI, 1),
            tx(2, 0, 100 * GWEI, 5 * GWEI, 2),
        ];
        assert_eq!(order(BASE_FEE, &list), vec![2, 0, 1]);
    }

    #[test]
    fn effective_tip_is_capped_by_the_max_fee() {
        // Sender 1 bids a 10 gwei tip but its max fee leaves only 1 gwei above the base fee.
        let list = [
            tx(1, 0, 2 * GWEI, 10 * GWEI, 0),
            tx(2, 0, 100 * GWEI, 2 * GWEI, 1),
        ];
        assert_eq!(order(BASE_FEE, &list), vec![1, 0]);
    }

    #[test]
    fn skips_fee_caps_below_the_base_fee_and_their_successors() {
        let list = [
            tx(1, 0, GWEI / 2, GWEI / 2, 0),
            tx(1, 1, 100 * GWEI, 50 * GWEI, 1),
            tx(2, 0, GWEI, GWEI, 2), // exactly the base fee: tip 0, still included
        ];
        assert_eq!(order(BASE_FEE, &list), vec![2]);
        assert!(order(200 * BASE_FEE, &list).is_empty());
    }

    #[test]
    fn ties_by_arrival() {
        let list = [
            tx(1, 0, 100 * GWEI, GWEI, 7),
            tx(2, 0, 100 * GWEI, GWEI, 3),
            tx(3, 0, 100 * GWEI, GWEI, 5),
        ];
        assert_eq!(order(BASE_FEE, &list), vec![1, 2, 0]);
    }

    #[test]
    fn legacy_gas_price_is_both_caps() {
        let mut legacy = tx(1, 0, 3 * GWEI, 3 * GWEI, 0);
        legacy.tx_type = 0;
        let list = [legacy, tx(2, 0, 100 * GWEI, GWEI, 1)];
        // Legacy tip = 3 gwei - 1 gwei = 2 gwei > 1 gwei.
        assert_eq!(order(BASE_FEE, &list), vec![0, 1]);
    }

    #[test]
    fn result_is_a_nonce_ordered_subset_permutation() {
        // A deterministic pseudo-random pool: 40 senders, up to 6 nonces each, shuffled.
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut list = Vec::new();
        for sender in 0..40u8 {
            for nonce in 0..(next() % 7) {
                let max_fee = u128::from(next() % 3_000_000_000);
                list.push(tx(
                    sender,
                    nonce,
                    max_fee,
                    u128::from(next() % 2_000_000_000),
                    0,
                ));
            }
        }
        for i in (1..list.len()).rev() {
            list.swap(i, (next() % (i as u64 + 1)) as usize);
        }
        for (i, c) in list.iter_mut().enumerate() {
            c.arrival = i as u64;
        }
        let out = order(BASE_FEE, &list);
        let mut seen = vec![false; list.len()];
        let mut next_nonce = std::collections::HashMap::new();
        for &i in &out {
            let c = list[i as usize];
            assert!(!std::mem::replace(&mut seen[i as usize], true), "repeat");
            assert!(c.max_fee >= u128::from(BASE_FEE), "unpayable included");
            let expected = next_nonce.entry(c.sender).or_insert(0u64);
            assert_eq!(c.nonce, *expected, "nonce order");
            *expected += 1;
        }
        // Everything payable whose predecessors are payable is included.
        let includable = list
            .iter()
            .filter(|c| {
                list.iter()
                    .filter(|o| o.sender == c.sender && o.nonce <= c.nonce)
                    .all(|o| o.max_fee >= u128::from(BASE_FEE))
            })
            .count();
        assert_eq!(out.len(), includable);
    }
}
