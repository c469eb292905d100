//! Ordering by priority while keeping every sender's nonces in order: a queue per sender and a
//! heap over the senders' heads.

use std::collections::BinaryHeap;

use core::cmp::Reverse;

use keel_plugin_abi::Lanes;

use crate::{CANDIDATE_SIZE, Candidate, Candidates};

/// Orders `candidates` highest `priority` first, each sender's transactions in nonce order.
///
/// Each sender's queue starts at its lowest candidate nonce (as the host's check does) and runs
/// while nonces are consecutive. `priority` is asked once for each transaction that reaches the
/// head of its sender's queue; `None` means "not in this block" and ends that sender's queue
/// (its later nonces could not execute either). A gap in a sender's nonces ends its queue too;
/// a repeated nonce keeps the candidate listed first. Equal priorities go in host order (lower
/// index first), so the result depends only on the input.
///
/// Returns the indices to hand back from `order`.
pub fn order_by_priority<K: Ord>(
    candidates: Candidates<'_>,
    mut priority: impl FnMut(&Candidate) -> Option<K>,
) -> Vec<u32> {
    // Only senders and nonces are read up front (what the grouping reads); a candidate is
    // decoded whole when it reaches the head of its queue, for `priority`. Decoding all 10,000
    // up front cost more than the whole merge: a 1.3 MB allocation written once.
    let records: Vec<&[u8; CANDIDATE_SIZE]> = (0..candidates.len())
        .filter_map(|index| candidates.record(index))
        .collect();
    let senders: Vec<[u8; 20]> = records.iter().map(|r| Candidate::sender_of(r)).collect();
    let nonces: Vec<u64> = records.iter().map(|r| Candidate::nonce_of(r)).collect();
    let Lanes { queue, starts } = Lanes::group(&senders, &nonces);
    let mut lanes: Vec<Lane> = starts
        .windows(2)
        .map(|run| Lane {
            end: run[1] as usize,
            next: run[0] as usize,
            expected: u128::from(nonces[queue[run[0] as usize] as usize]),
        })
        .collect();

    let merge = Merge {
        records: &records,
        nonces: &nonces,
        queue: &queue,
    };
    let mut heap = BinaryHeap::with_capacity(lanes.len());
    for lane in 0..lanes.len() {
        if let Some(entry) = merge.head(&mut lanes, lane, &mut priority) {
            heap.push(entry);
        }
    }
    let mut out = Vec::with_capacity(records.len());
    while let Some((_, Reverse(index), lane)) = heap.pop() {
        out.push(index);
        let state = &mut lanes[lane];
        state.next += 1;
        state.expected = u128::from(nonces[index as usize]) + 1;
        if let Some(entry) = merge.head(&mut lanes, lane, &mut priority) {
            heap.push(entry);
        }
    }
    out
}

/// One sender's queue: `queue[next..end]` is what is left of it, in nonce order.
struct Lane {
    end: usize,
    /// Position of the next entry to look at.
    next: usize,
    /// The nonce that entry must have (u128: the nonce after `u64::MAX` matches nothing).
    expected: u128,
}

/// What the merge reads: the candidates' records and nonces, and the sender-grouped queue.
struct Merge<'a> {
    records: &'a [&'a [u8; CANDIDATE_SIZE]],
    nonces: &'a [u64],
    queue: &'a [u32],
}

impl Merge<'_> {
    /// The heap entry for `lane`'s next transaction, if it has one that can go next.
    fn head<K>(
        &self,
        lanes: &mut [Lane],
        lane: usize,
        priority: &mut impl FnMut(&Candidate) -> Option<K>,
    ) -> Option<(K, Reverse<u32>, usize)> {
        let Lane {
            end,
            next,
            expected,
            ..
        } = &mut lanes[lane];
        let nonce = |pos: usize| u128::from(self.nonces[self.queue[pos] as usize]);
        // Skip repeats of a nonce already placed.
        while *next < *end && nonce(*next) < *expected {
            *next += 1;
        }
        if *next >= *end || nonce(*next) != *expected {
            return None;
        }
        let index = self.queue[*next];
        let key = priority(&Candidate::decode(self.records[index as usize]))?;
        Some((key, Reverse(index), lane))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode_candidates;

    fn tx(sender: u8, nonce: u64, arrival: u64) -> Candidate {
        Candidate {
            sender: [sender; 20],
            nonce,
            arrival,
            ..Candidate::default()
        }
    }

    fn run<K: Ord>(list: &[Candidate], priority: impl FnMut(&Candidate) -> Option<K>) -> Vec<u32> {
        let bytes = encode_candidates(list);
        order_by_priority(
            Candidates::parse(list.len() as u32, &bytes).expect("layout"),
            priority,
        )
    }

    #[test]
    fn keeps_nonce_order_under_any_priority() {
        // Sender 1's nonce 1 arrived before its nonce 0.
        let list = [tx(1, 1, 0), tx(2, 0, 1), tx(1, 0, 2)];
        // Earliest arrival first: sender 1's nonce 1 must still wait for its nonce 0.
        assert_eq!(run(&list, |c| Some(u64::MAX - c.arrival)), vec![1, 2, 0]);
    }

    #[test]
    fn none_ends_the_senders_queue() {
        let list = [tx(1, 0, 0), tx(1, 1, 1), tx(1, 2, 2), tx(2, 0, 3)];
        assert_eq!(
            run(&list, |c| (c.nonce != 1).then_some(1)),
            vec![0, 3],
            "nonce 2 cannot run without nonce 1"
        );
    }

    #[test]
    fn gaps_end_and_repeats_are_skipped() {
        let list = [
            tx(1, 5, 0),
            tx(1, 7, 1),
            tx(2, 0, 2),
            tx(2, 0, 3),
            tx(2, 1, 4),
        ];
        assert_eq!(run(&list, |_| Some(0)), vec![0, 2, 4]);
    }

    #[test]
    fn ties_go_in_host_order() {
        let list = [tx(3, 0, 9), tx(1, 0, 9), tx(2, 0, 9)];
        assert_eq!(run(&list, |_| Some(7)), vec![0, 1, 2]);
    }

    #[test]
    fn empty_and_max_nonce() {
        assert!(run(&[], |_| Some(0)).is_empty());
        let list = [tx(1, u64::MAX, 0), tx(1, u64::MAX, 1)];
        assert_eq!(run(&list, |_| Some(0)), vec![0]);
    }

    #[test]
    fn a_ranking_merges_as_ordering_by_rank_then_arrival() {
        // The host's merge of a 0.4.0 ranking and this 0.1.0 merge with (rank, earlier arrival)
        // as the priority are one order: pools of 40 senders, shuffled, gaps and repeats. Each
        // candidate carries its rank in its gas limit, so the priority can read it.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |bound: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % bound
        };
        for count in [0usize, 1, 5, 60, 400, 3_000] {
            let list: Vec<Candidate> = (0..count)
                .map(|_| Candidate {
                    gas_limit: next(6),
                    ..tx(next(40) as u8, next(8), next(50))
                })
                .collect();
            let ranks: Vec<u64> = list.iter().map(|c| c.gas_limit).collect();
            let by_priority = run(&list, |c| {
                (c.gas_limit != keel_plugin_abi::LEAVE_OUT)
                    .then_some((c.gas_limit, Reverse(c.arrival)))
            });
            assert_eq!(
                keel_plugin_abi::merge_ranks(&list, &ranks),
                by_priority,
                "{count}"
            );
        }
    }
}
