//! What the host makes of a plugin's answer, whatever the plugin returns: an ordering plugin's
//! list of candidate indices and a fee plugin's base fee. The checks never panic, and what they
//! let through is always safe to build a block from: every kept index is a candidate, none
//! twice, and each sender's kept transactions run in nonce order from its lowest candidate
//! nonce; a base fee let through is in bounds and within the allowed change.
#![no_main]

use libfuzzer_sys::{arbitrary, fuzz_target};

// The host's invariant checks are a pure module of `keel-plugin-host`; included by path so the
// fuzz build does not compile wasmtime, which the module does not use.
#[path = "../../plugin-host/src/invariants.rs"]
#[allow(dead_code)]
mod invariants;

use alloy_primitives::{Address, map::AddressMap};
use invariants::{SenderNonce, check_base_fee, check_ordering};

#[derive(Debug, arbitrary::Arbitrary)]
struct Input {
    /// Candidates: (sender byte, nonce offset).
    candidates: Vec<(u8, u8)>,
    /// The plugin's answer: indices, in range or not.
    order: Vec<u16>,
    /// base fee, parent, min, max, max change in basis points.
    fee: (u64, u64, u64, u64, u16),
}

fuzz_target!(|input: Input| {
    let candidates: Vec<SenderNonce> = input
        .candidates
        .iter()
        .map(|&(sender, nonce)| SenderNonce {
            sender: Address::repeat_byte(sender % 8),
            nonce: u64::from(nonce % 16),
        })
        .collect();
    let order: Vec<u32> = input.order.iter().map(|&i| u32::from(i % 80)).collect();
    let (kept, violations) = check_ordering(&candidates, &order);
    assert_eq!(kept.len() + violations.len(), order.len());

    let mut lowest: AddressMap<u64> = AddressMap::default();
    for c in &candidates {
        lowest
            .entry(c.sender)
            .and_modify(|n| *n = (*n).min(c.nonce))
            .or_insert(c.nonce);
    }
    let mut seen = vec![false; candidates.len()];
    for &index in &kept {
        assert!(index < candidates.len(), "kept index {index} is not a candidate");
        assert!(!seen[index], "index {index} kept twice");
        seen[index] = true;
        let candidate = candidates[index];
        let next = lowest.get_mut(&candidate.sender).expect("a candidate's sender");
        assert_eq!(candidate.nonce, *next, "nonce gap let through");
        *next += 1;
    }

    let (base_fee, parent, min, max, bps) = input.fee;
    if check_base_fee(base_fee, parent, min, max, u64::from(bps)).is_ok() {
        assert!((min..=max).contains(&base_fee));
        let allowed = (u128::from(parent) * u128::from(bps) / 10_000).max(1);
        assert!(u128::from(base_fee.abs_diff(parent)) <= allowed);
    }
});
