//! Ordering by priority while keeping every sender's nonces in order: a queue per sender and a
//! heap over the senders' heads.

use std::collections::BinaryHeap;

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
    // Decoding all up front measured faster than decoding each candidate as it reaches the
    // head of its queue (and reading only sender and nonce for the sort).
    let keys: Vec<Candidate> = candidates.iter().collect();
    // One sort by (sender, nonce, index) lays every sender's queue out as a contiguous run: no
    // map from sender to queue, which in Wasm costs more than the sort.
    // (The layout cannot hold more than u32::MAX candidates: `count` is a u32.)
    // The sort runs on contiguous keys of integers (the sender's bytes read big-endian keep
    // their order): in Wasm, comparing byte arrays through an index costs twice as much.
    let mut sorted: Vec<(u64, u64, u32, u64, u32)> = keys
        .iter()
        .enumerate()
        .map(|(index, c)| {
            let s = &c.sender;
            let word = |at: usize| u64::from_be_bytes(s[at..at + 8].try_into().unwrap_or_default());
            let tail = u32::from_be_bytes(s[16..20].try_into().unwrap_or_default());
            (word(0), word(8), tail, c.nonce, index as u32)
        })
        .collect();
    sorted.sort_unstable();
    let queue: Vec<u32> = sorted.into_iter().map(|key| key.4).collect();
    let mut lanes: Vec<Lane> = Vec::new();
    for (pos, &index) in queue.iter().enumerate() {
        let Candidate { sender, nonce, .. } = keys[index as usize];
        match lanes.last_mut() {
            Some(lane) if keys[queue[lane.start] as usize].sender == sender => lane.end = pos + 1,
            _ => lanes.push(Lane {
                start: pos,
                end: pos + 1,
                next: pos,
                expected: u128::from(nonce),
            }),
        }
    }

    let merge = Merge {
        keys: &keys,
        queue: &queue,
    };
    let mut heap = BinaryHeap::with_capacity(lanes.len());
    for lane in 0..lanes.len() {
        if let Some(entry) = merge.head(&mut lanes, lane, &mut priority) {
            heap.push(entry);
        }
    }
    let mut out = Vec::with_capacity(keys.len());
    while let Some((_, Reverse(index), lane)) = heap.pop() {
        out.push(index);
        let state = &mut lanes[lane];
        state.next += 1;
        state.expected = u128::from(keys[index as usize].nonce) + 1;
        if let Some(entry) = merge.head(&mut lanes, lane, &mut priority) {
            heap.push(entry);
        }
    }
    out
}

/// One sender's queue: `queue[start..end]`, in nonce order.
struct Lane {
    start: usize,
    end: usize,
    /// Position of the next entry to look at.
    next: usize,
    /// The nonce that entry must have (u128: the nonce after `u64::MAX` matches nothing).
    expected: u128,
}

/// What the merge reads: the decoded candidates and the sender-grouped queue.
struct Merge<'a> {
    keys: &'a [Candidate],
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
        let nonce = |pos: usize| u128::from(self.keys[self.queue[pos] as usize].nonce);
        // Skip repeats of a nonce already placed.
        while *next < *end && nonce(*next) < *expected {
            *next += 1;
        }
        if *next >= *end || nonce(*next) != *expected {
            return None;
        }
        let index = self.queue[*next];
        let key = priority(&self.keys[index as usize])?;
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
