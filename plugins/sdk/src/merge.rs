//! Ordering by priority while keeping every sender's nonces in order: a queue per sender and a
//! heap over the senders' heads.

use std::collections::{BTreeMap, BinaryHeap};

use core::cmp::Reverse;

use crate::{Candidate, Candidates};

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
    // One queue of (nonce, index) per sender.
    let mut lane_of: BTreeMap<[u8; 20], usize> = BTreeMap::new();
    let mut lanes: Vec<Vec<(u64, u32)>> = Vec::new();
    let mut decoded: Vec<Candidate> = Vec::with_capacity(candidates.len());
    for (index, c) in candidates.iter().enumerate() {
        let lane = *lane_of.entry(c.sender).or_insert_with(|| {
            lanes.push(Vec::new());
            lanes.len() - 1
        });
        // The layout cannot hold more than u32::MAX candidates (`count` is a u32).
        lanes[lane].push((c.nonce, index as u32));
        decoded.push(c);
    }
    drop(lane_of);
    for lane in &mut lanes {
        lane.sort_unstable();
    }

    // Per lane: position of the next entry to look at and the nonce it must have.
    // (u128 so that the nonce after u64::MAX exists and matches nothing.)
    let mut cursor: Vec<(usize, u128)> = lanes
        .iter()
        .map(|lane| (0, lane.first().map_or(0, |&(nonce, _)| u128::from(nonce))))
        .collect();
    let mut heap = BinaryHeap::with_capacity(lanes.len());
    for lane in 0..lanes.len() {
        if let Some(entry) = head(&lanes, &mut cursor, lane, &decoded, &mut priority) {
            heap.push(entry);
        }
    }

    let mut out = Vec::with_capacity(decoded.len());
    while let Some((_, Reverse(index), lane)) = heap.pop() {
        out.push(index);
        let (pos, next_nonce) = &mut cursor[lane];
        *pos += 1;
        *next_nonce = u128::from(decoded[index as usize].nonce) + 1;
        if let Some(entry) = head(&lanes, &mut cursor, lane, &decoded, &mut priority) {
            heap.push(entry);
        }
    }
    out
}

/// The heap entry for `lane`'s next transaction, if it has one that can go next.
fn head<K>(
    lanes: &[Vec<(u64, u32)>],
    cursor: &mut [(usize, u128)],
    lane: usize,
    decoded: &[Candidate],
    priority: &mut impl FnMut(&Candidate) -> Option<K>,
) -> Option<(K, Reverse<u32>, usize)> {
    let (pos, expected) = &mut cursor[lane];
    let queue = &lanes[lane];
    // Skip repeats of a nonce already placed.
    while queue
        .get(*pos)
        .is_some_and(|&(nonce, _)| u128::from(nonce) < *expected)
    {
        *pos += 1;
    }
    let &(nonce, index) = queue.get(*pos)?;
    if u128::from(nonce) != *expected {
        return None;
    }
    let key = priority(&decoded[index as usize])?;
    Some((key, Reverse(index), lane))
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

    fn run(list: &[Candidate], priority: impl FnMut(&Candidate) -> Option<u64>) -> Vec<u32> {
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
}
