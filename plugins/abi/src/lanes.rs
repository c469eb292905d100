//! Candidates grouped by sender, each sender's in nonce order: the queues an ordering merges.
//! The host's merge of a 0.4.0 ranking ([`crate::ranking`]) and the SDK's 0.1.0
//! `order_by_priority` both start from here, so the two cannot disagree on what a queue is.

use alloc::{vec, vec::Vec};

/// Every sender's candidates as one contiguous run of [`Lanes::queue`], in nonce order (equal
/// nonces in host order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lanes {
    /// Candidate indices, sender by sender.
    pub queue: Vec<u32>,
    /// Where each sender's run starts in `queue`: one more entry than runs, the last being
    /// `queue.len()`.
    pub starts: Vec<u32>,
}

impl Lanes {
    /// Groups candidate `i` (sender `senders[i]`, nonce `nonces[i]`) with its sender's others.
    ///
    /// Senders are found through an open-addressing table keyed by the sender's bytes: one probe
    /// per candidate, where sorting 10,000 candidates by sender cost ~1 ms in Wasm. A sender's
    /// candidates usually arrive in nonce order (the pool's order keeps it), so a run is sorted
    /// only when it is not. Addresses ground to collide in the table would make probing long:
    /// past a budget of probes the grouping falls back to one sort, so the cost stays bounded.
    ///
    /// Written here rather than with a hash map crate: this crate has no dependencies and runs
    /// in the guest, and one probe into a flat table is what makes the grouping cheap there.
    pub fn group(senders: &[[u8; 20]], nonces: &[u64]) -> Self {
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
                    _ if budget == 0 => return Self::group_by_sorting(senders, nonces),
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
        Self { queue, starts }
    }

    /// [`Lanes::group`]'s answer by one sort by (sender, nonce, index): what it falls back to.
    fn group_by_sorting(senders: &[[u8; 20]], nonces: &[u64]) -> Self {
        // Contiguous integer keys (the sender's bytes read big-endian keep their order): in
        // Wasm, comparing byte arrays through an index costs twice as much.
        let mut sorted: Vec<(u64, u64, u32, u64, u32)> = senders
            .iter()
            .zip(nonces)
            .enumerate()
            .map(|(index, (s, &nonce))| {
                let word =
                    |at: usize| u64::from_be_bytes(s[at..at + 8].try_into().unwrap_or_default());
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
        Self { queue, starts }
    }

    /// Number of senders.
    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// Whether there are no candidates.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sender `lane`'s run: where it starts and ends in `queue`.
    pub fn run(&self, lane: usize) -> (usize, usize) {
        (self.starts[lane] as usize, self.starts[lane + 1] as usize)
    }
}

/// The table slot of `sender` in a table of `2^bits` slots: a multiplicative hash of its bytes.
fn bucket(sender: &[u8; 20], bits: u32) -> usize {
    let word = |at: usize| u64::from_le_bytes(sender[at..at + 8].try_into().unwrap_or_default());
    let mixed = (word(0) ^ word(12).rotate_left(29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (mixed >> (64 - bits)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

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
            let mut senders = Vec::new();
            let mut nonces = Vec::new();
            for _ in 0..count {
                senders.push([next(40) as u8; 20]);
                nonces.push(next(6));
            }
            let table = Lanes::group(&senders, &nonces);
            let sorted = Lanes::group_by_sorting(&senders, &nonces);
            // The same runs, in another order of senders.
            let runs = |lanes: &Lanes| {
                let mut runs: Vec<Vec<u32>> = (0..lanes.len())
                    .map(|lane| {
                        let (start, end) = lanes.run(lane);
                        lanes.queue[start..end].to_vec()
                    })
                    .collect();
                runs.sort();
                runs
            };
            assert_eq!(runs(&table), runs(&sorted), "{count}");
            assert_eq!(table.len(), sorted.len());
        }
    }
}
