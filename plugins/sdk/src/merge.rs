//! Ordering by priority while keeping every sender's nonces in order: a queue per sender and a
//! heap over the senders' heads.

use std::collections::BinaryHeap;

use core::cmp::Reverse;

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
    let (queue, starts) = group_by_sender(&senders, &nonces);
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

/// Lays every sender's candidates out as one contiguous run of `queue`, in nonce order (equal
/// nonces in host order); returns the queue and where each run starts (one more entry than
/// runs, the last being the length).
///
/// Senders are found through an open-addressing table keyed by the sender's bytes: one probe
/// per candidate, where sorting 10,000 candidates by sender cost ~1 ms in Wasm. A sender's
/// candidates usually arrive in nonce order (the pool's order keeps it), so a run is sorted
/// only when it is not. Addresses ground to collide in the table would make probing long: past
/// a budget of probes the grouping falls back to one sort, so the cost stays bounded.
fn group_by_sender(senders: &[[u8; 20]], nonces: &[u64]) -> (Vec<u32>, Vec<u32>) {
    // (The layout cannot hold more than u32::MAX candidates: `count` is a u32.)
    let bits = (2 * senders.len())
        .next_power_of_two()
        .max(16)
        .trailing_zeros();
    let mask = (1usize << bits) - 1;
    let mut table = vec![u32::MAX; mask + 1];
    let mut firsts: Vec<u32> = Vec::new();
    let mut lane_of: Vec<u32> = Vec::with_capacity(senders.len());
    let mut budget = 8 * senders.len() + 64;
    for (index, sender) in senders.iter().enumerate() {
        let mut slot = bucket(sender, bits);
        let lane = loop {
            match table[slot] {
                u32::MAX => {
                    let lane = firsts.len() as u32;
                    table[slot] = lane;
                    firsts.push(index as u32);
                    break lane;
                }
                lane if senders[firsts[lane as usize] as usize] == *sender => break lane,
                _ if budget == 0 => return group_by_sorting(senders, nonces),
                _ => {
                    budget -= 1;
                    slot = (slot + 1) & mask;
                }
            }
        };
        lane_of.push(lane);
    }
    // A counting sort by lane keeps host order within each.
    let mut starts = vec![0u32; firsts.len() + 1];
    for &lane in &lane_of {
        starts[lane as usize + 1] += 1;
    }
    for lane in 0..firsts.len() {
        starts[lane + 1] += starts[lane];
    }
    let mut fill = starts.clone();
    let mut queue = vec![0u32; senders.len()];
    for (index, &lane) in lane_of.iter().enumerate() {
        queue[fill[lane as usize] as usize] = index as u32;
        fill[lane as usize] += 1;
    }
    for run in starts.windows(2) {
        let run = &mut queue[run[0] as usize..run[1] as usize];
        let nonce = |index: u32| nonces[index as usize];
        if run.windows(2).any(|pair| nonce(pair[0]) > nonce(pair[1])) {
            run.sort_unstable_by_key(|&index| (nonce(index), index));
        }
    }
    (queue, starts)
}

/// The table slot of `sender` in a table of `2^bits` slots: a multiplicative hash of its bytes.
fn bucket(sender: &[u8; 20], bits: u32) -> usize {
    let word = |at: usize| u64::from_le_bytes(sender[at..at + 8].try_into().unwrap_or_default());
    let mixed = (word(0) ^ word(12).rotate_left(29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (mixed >> (64 - bits)) as usize
}

/// [`group_by_sender`]'s answer by one sort by (sender, nonce, index): what it falls back to.
fn group_by_sorting(senders: &[[u8; 20]], nonces: &[u64]) -> (Vec<u32>, Vec<u32>) {
    // Contiguous integer keys (the sender's bytes read big-endian keep their order): in Wasm,
    // comparing byte arrays through an index costs twice as much.
    let mut sorted: Vec<(u64, u64, u32, u64, u32)> = senders
        .iter()
        .zip(nonces)
        .enumerate()
        .map(|(index, (s, &nonce))| {
            let word = |at: usize| u64::from_be_bytes(s[at..at + 8].try_into().unwrap_or_default());
            let tail = u32::from_be_bytes(s[16..20].try_into().unwrap_or_default());
            (word(0), word(8), tail, nonce, index as u32)
        })
        .collect();
    sorted.sort_unstable();
    let queue: Vec<u32> = sorted.into_iter().map(|key| key.4).collect();
    let mut starts = vec![0u32];
    for pos in 1..queue.len() {
        if senders[queue[pos] as usize] != senders[queue[pos - 1] as usize] {
            starts.push(pos as u32);
        }
    }
    if !queue.is_empty() {
        starts.push(queue.len() as u32);
    }
    (queue, starts)
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
    fn grouping_by_table_matches_grouping_by_sort() {
        // Senders out of order, nonces out of order within a sender, repeated nonces.
        let mut seed = 7u64;
        let mut next = |bound: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % bound
        };
        for count in [0usize, 1, 2, 17, 300, 2_000] {
            let list: Vec<Candidate> = (0..count)
                .map(|i| tx(next(40) as u8, next(6), i as u64))
                .collect();
            let senders: Vec<[u8; 20]> = list.iter().map(|c| c.sender).collect();
            let nonces: Vec<u64> = list.iter().map(|c| c.nonce).collect();
            let (queue, starts) = group_by_sender(&senders, &nonces);
            let (sorted_queue, sorted_starts) = group_by_sorting(&senders, &nonces);
            // The same runs, in another order of senders.
            let runs = |queue: &[u32], starts: &[u32]| {
                let mut runs: Vec<Vec<u32>> = starts
                    .windows(2)
                    .map(|run| queue[run[0] as usize..run[1] as usize].to_vec())
                    .collect();
                runs.sort();
                runs
            };
            assert_eq!(
                runs(&queue, &starts),
                runs(&sorted_queue, &sorted_starts),
                "{count}"
            );
        }
    }

    #[test]
    fn empty_and_max_nonce() {
        assert!(run(&[], |_| Some(0)).is_empty());
        let list = [tx(1, u64::MAX, 0), tx(1, u64::MAX, 1)];
        assert_eq!(run(&list, |_| Some(0)), vec![0]);
    }
}
