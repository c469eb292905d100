//! The order a 0.4.0 ranking stands for (`wit/v0.4.0/ordering.wit`): the host builds a block's
//! order with [`merge_ranks`], and a plugin's own tests call the same function through the SDK,
//! so what a plugin author checks is what the node does.

use alloc::{collections::BinaryHeap, vec::Vec};
use core::cmp::Reverse;

use crate::{Candidate, lanes::Lanes};

/// A rank that leaves its candidate out of the block, and with it the rest of its sender's
/// queue.
pub const LEAVE_OUT: u64 = 0;

/// Merges the candidates' sender queues by rank: the indices into `candidates` to execute, in
/// order.
///
/// Each sender's queue runs in nonce order from its lowest candidate nonce while nonces are
/// consecutive (a repeated nonce keeps the candidate listed first). Among the queues' heads the
/// highest rank goes next; equal ranks go by arrival, then by index. A [`LEAVE_OUT`] rank ends
/// its sender's queue. `ranks[i]` ranks `candidates[i]`; a candidate without a rank (`ranks`
/// shorter) is left out: the host refuses such a list before it gets here.
///
/// Every order that keeps each sender's nonces consecutive from its lowest is the merge of
/// some ranking (rank `count - position`), so ranking costs a policy nothing it could say.
pub fn merge_ranks(candidates: &[Candidate], ranks: &[u64]) -> Vec<u32> {
    let senders: Vec<[u8; 20]> = candidates.iter().map(|c| c.sender).collect();
    let nonces: Vec<u64> = candidates.iter().map(|c| c.nonce).collect();
    let lanes = Lanes::group(&senders, &nonces);
    let rank = |index: u32| ranks.get(index as usize).copied().unwrap_or(LEAVE_OUT);
    // A heap entry: what decides (rank, earlier arrival, lower index), then the lane and the
    // position in `queue` of the entry, which never decide (the index is unique).
    let entry = |pos: usize, lane: usize| {
        let index = lanes.queue[pos];
        (
            rank(index),
            Reverse(candidates[index as usize].arrival),
            Reverse(index),
            lane as u32,
            pos as u32,
        )
    };
    let mut heap = BinaryHeap::with_capacity(lanes.len());
    for lane in 0..lanes.len() {
        let (start, _) = lanes.run(lane);
        if rank(lanes.queue[start]) != LEAVE_OUT {
            heap.push(entry(start, lane));
        }
    }
    let mut out = Vec::with_capacity(candidates.len());
    while let Some(mut top) = heap.peek_mut() {
        let (_, _, Reverse(index), lane, pos) = *top;
        out.push(index);
        let (_, end) = lanes.run(lane as usize);
        let nonce = nonces[index as usize];
        // Skip repeats of the nonce just placed.
        let mut next = pos as usize + 1;
        while next < end && nonces[lanes.queue[next] as usize] == nonce {
            next += 1;
        }
        let follows = next < end
            && Some(nonces[lanes.queue[next] as usize]) == nonce.checked_add(1)
            && rank(lanes.queue[next]) != LEAVE_OUT;
        if follows {
            // Replacing the top sifts once, where a pop and a push would sift twice.
            *top = entry(next, lane as usize);
        } else {
            alloc::collections::binary_heap::PeekMut::pop(top);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn tx(sender: u8, nonce: u64, arrival: u64) -> Candidate {
        Candidate {
            sender: [sender; 20],
            nonce,
            arrival,
            ..Candidate::default()
        }
    }

    #[test]
    fn highest_rank_first_keeping_nonce_order() {
        // Sender 1: nonce 0 ranked low, nonce 1 high; sender 2 in between.
        let list = [tx(1, 0, 0), tx(1, 1, 1), tx(2, 0, 2)];
        assert_eq!(merge_ranks(&list, &[1, 9, 5]), vec![2, 0, 1]);
        // Sender 1's nonce 1 arrived before its nonce 0: it still waits for it.
        let list = [tx(1, 1, 0), tx(2, 0, 1), tx(1, 0, 2)];
        assert_eq!(merge_ranks(&list, &[9, 5, 1]), vec![1, 2, 0]);
    }

    #[test]
    fn ties_go_by_arrival_then_index() {
        let list = [tx(1, 0, 9), tx(2, 0, 3), tx(3, 0, 3)];
        assert_eq!(merge_ranks(&list, &[7, 7, 7]), vec![1, 2, 0]);
    }

    #[test]
    fn leave_out_ends_the_queue_and_gaps_end_it_too() {
        let list = [tx(1, 0, 0), tx(1, 1, 1), tx(1, 2, 2), tx(2, 0, 3)];
        assert_eq!(merge_ranks(&list, &[1, LEAVE_OUT, 1, 1]), vec![0, 3]);
        // Sender 1 has nonces 5 and 7; sender 2 repeats nonce 0.
        let list = [
            tx(1, 5, 0),
            tx(1, 7, 1),
            tx(2, 0, 2),
            tx(2, 0, 3),
            tx(2, 1, 4),
        ];
        assert_eq!(merge_ranks(&list, &[1; 5]), vec![0, 2, 4]);
        // A short list leaves the unranked out.
        assert_eq!(merge_ranks(&list, &[1, 1]), vec![0]);
    }

    #[test]
    fn any_nonce_keeping_order_is_a_ranking() {
        // Positions as ranks give back the order, whatever it is.
        let list = [
            tx(1, 0, 0),
            tx(2, 0, 1),
            tx(1, 1, 2),
            tx(3, 4, 3),
            tx(2, 1, 4),
        ];
        let wanted = [3u32, 1, 0, 4, 2];
        let mut ranks = [0u64; 5];
        for (position, &index) in wanted.iter().enumerate() {
            ranks[index as usize] = (wanted.len() - position) as u64;
        }
        assert_eq!(merge_ranks(&list, &ranks), wanted);
    }

    #[test]
    fn empty_and_max_nonce() {
        assert!(merge_ranks(&[], &[]).is_empty());
        let list = [tx(1, u64::MAX, 0), tx(1, u64::MAX, 1)];
        assert_eq!(merge_ranks(&list, &[1, 1]), vec![0]);
    }
}
