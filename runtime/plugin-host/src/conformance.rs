//! The conformance run: sample inputs every plugin of a slot must handle — without trapping,
//! running out of fuel or memory, refusing, or breaking a host invariant — before the node
//! activates it (`keel_loadPlugin`) or an author ships it (`keel plugin check`).
//!
//! The inputs are fixed (a seeded generator, no randomness), so the fuel figures printed for a
//! given component are the same on every machine.

use std::time::Instant;

use alloy_primitives::{Address, Bytes, U256};
pub use keel_primitives::plugins::ConformanceCall;

use crate::{
    Asset, BridgePlugin, Candidate, Deposit, FeeParams, L1Summary, OrderingContext, OrderingPlugin,
    ParentSummary, Plugin, PluginEngine, PluginError, PluginResult, Withdrawal,
    invariants::InvariantViolation,
};

/// Every sample call of a passed conformance run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConformanceReport {
    /// The calls, in the order they ran.
    pub calls: Vec<ConformanceCall>,
}

/// Runs `plugin` on its slot's sample inputs. `fees` are the bounds a fee plugin is held to
/// (the node's `[fees]`). The first failure is returned, naming the input.
pub fn run(
    engine: &PluginEngine,
    plugin: &Plugin,
    fees: FeeParams,
) -> PluginResult<ConformanceReport> {
    let mut calls = Vec::new();
    let mut sample = |input: &'static str, call: &dyn Fn() -> PluginResult<String>| {
        let before = plugin.stats().fuel;
        let started = Instant::now();
        let answer = call().map_err(|error| PluginError::Conformance {
            input,
            source: Box::new(error),
        })?;
        calls.push(ConformanceCall {
            input,
            fuel: plugin.stats().fuel - before,
            elapsed: started.elapsed(),
            answer,
        });
        Ok::<_, PluginError>(())
    };
    match plugin {
        Plugin::Ordering(p) => {
            for (input, candidates) in ordering_inputs() {
                sample(input, &|| order(engine, p, &candidates))?;
            }
        }
        Plugin::Fee(p) => {
            // The change-per-block bound is left out: it depends on the live parent (a fixed fee
            // far from these sample parents is fine on a chain already near it), and the host
            // enforces it on every block anyway. The absolute range is checked.
            let fees = FeeParams {
                max_change_bps: u64::MAX,
                ..fees
            };
            for (input, parent) in fee_inputs(fees) {
                sample(input, &|| {
                    let decision = p.next_fees(engine, parent, SAMPLE_L1, fees)?;
                    Ok(format!(
                        "base fee {} (parent {}), min priority fee {}, data price {}",
                        decision.base_fee,
                        parent.base_fee,
                        decision.min_priority_fee,
                        decision
                            .data_price
                            .map_or_else(|| "native (WIT 0.1.0)".into(), |p| p.to_string())
                    ))
                })?;
            }
        }
        Plugin::Bridge(p) => bridge_samples(engine, p, &mut sample)?,
    }
    Ok(ConformanceReport { calls })
}

/// Orders `candidates`; any entry the host has to drop fails the run.
fn order(
    engine: &PluginEngine,
    plugin: &OrderingPlugin,
    candidates: &[Candidate],
) -> PluginResult<String> {
    let ctx = OrderingContext {
        number: 1,
        timestamp: 1_700_000_000,
        gas_limit: 30_000_000,
        base_fee: BASE_FEE,
    };
    let ordering = plugin.order(engine, ctx, candidates)?;
    if let Some(violation) = ordering.dropped.first() {
        return Err(PluginError::Invariant {
            site: plugin.0.site("order"),
            violation: InvariantViolation::Ordering {
                first: violation.clone(),
                dropped: ordering.dropped.len(),
                total: ordering.order.len() + ordering.dropped.len(),
            },
        });
    }
    Ok(format!(
        "{} of {} candidates ordered",
        ordering.order.len(),
        candidates.len()
    ))
}

const BASE_FEE: u64 = 7;

/// Candidate lists: empty, one, a mixed pool, and a large one. Senders have several nonces,
/// arrivals are shuffled, some fee caps are below the base fee.
fn ordering_inputs() -> [(&'static str, Vec<Candidate>); 4] {
    [
        ("no candidates", Vec::new()),
        ("one candidate", candidates(1, 1)),
        ("64 candidates, 8 senders", candidates(64, 8)),
        ("2000 candidates, 250 senders", candidates(2000, 250)),
    ]
}

/// `count` candidates spread over `senders` senders, each sender's nonces consecutive from 0.
fn candidates(count: usize, senders: usize) -> Vec<Candidate> {
    let mut rng = SplitMix64(0x6b65_656c);
    let mut next_nonce = vec![0u64; senders];
    (0..count)
        .map(|i| {
            let sender = i % senders;
            let nonce = next_nonce[sender];
            next_nonce[sender] += 1;
            let max_fee = u128::from(rng.next() % 40);
            let mut hash = [0u8; 32];
            hash[..8].copy_from_slice(&rng.next().to_be_bytes());
            Candidate {
                hash,
                sender: Address::left_padding_from(&(sender as u64 + 1).to_be_bytes()).into_array(),
                nonce,
                gas_limit: 21_000 + rng.next() % 200_000,
                max_fee,
                max_priority_fee: max_fee.min(u128::from(rng.next() % 10)),
                size: 110 + (rng.next() % 400) as u32,
                tx_type: 2,
                arrival: rng.next() % 1_000_000,
            }
        })
        .collect()
}

/// The L1 every fee sample sees: a blob base fee of 1 gwei.
const SAMPLE_L1: L1Summary = L1Summary {
    blob_base_fee: 1_000_000_000,
};

/// Parents at the edges of the fee range and of block fullness.
fn fee_inputs(fees: FeeParams) -> [(&'static str, ParentSummary); 5] {
    let parent = |gas_used: u64, base_fee: u64| ParentSummary {
        number: 41,
        timestamp: 1_700_000_000,
        gas_used,
        gas_limit: 30_000_000,
        base_fee,
    };
    let mid = fees
        .min_base_fee
        .saturating_add(fees.max_base_fee.saturating_sub(fees.min_base_fee) / 2)
        .max(1_000_000_000.min(fees.max_base_fee));
    [
        ("empty parent", parent(0, mid)),
        ("parent at target", parent(15_000_000, mid)),
        ("full parent", parent(30_000_000, mid)),
        ("empty parent at the minimum", parent(0, fees.min_base_fee)),
        (
            "full parent at the maximum",
            parent(30_000_000, fees.max_base_fee),
        ),
    ]
}

fn bridge_samples(
    engine: &PluginEngine,
    plugin: &BridgePlugin,
    sample: &mut impl FnMut(&'static str, &dyn Fn() -> PluginResult<String>) -> PluginResult<()>,
) -> PluginResult<()> {
    let token = Asset::Erc20(Address::repeat_byte(0x33));
    let deposit = |asset: Asset, amount: U256, data: &'static [u8]| Deposit {
        l1_sender: Address::repeat_byte(0x11),
        l2_recipient: Address::repeat_byte(0x22),
        asset,
        amount,
        data: Bytes::from_static(data),
        l1_block: 100,
        deadline: 1_700_000_000,
    };
    let deposits = [
        ("deposit of 1 wei", deposit(Asset::Eth, U256::from(1), b"")),
        (
            "deposit of 1000 ether with calldata",
            deposit(
                Asset::Eth,
                U256::from(10u64).pow(U256::from(21)),
                &[0xab; 68],
            ),
        ),
        (
            "deposit of 2^256-1 wei",
            deposit(Asset::Eth, U256::MAX, b""),
        ),
        (
            "deposit of 1 token unit",
            deposit(token, U256::from(1), b""),
        ),
        (
            "deposit of 2^256-1 token units",
            deposit(token, U256::MAX, b""),
        ),
    ];
    // A 0.1.0 rule is never asked about tokens (the node credits and allows them natively).
    for (input, deposit) in deposits
        .into_iter()
        .filter(|(_, deposit)| plugin.covers(deposit.asset))
    {
        sample(input, &|| {
            plugin
                .on_deposit(engine, &deposit)
                .map(|d| format!("{d:?}"))
        })?;
    }
    let withdrawal = |asset: Asset| Withdrawal {
        l2_sender: Address::repeat_byte(0x22),
        l1_receiver: Address::repeat_byte(0x11),
        asset,
        amount: U256::from(10u64).pow(U256::from(18)),
    };
    for (input, asset) in [
        ("withdrawal of 1 ether", Asset::Eth),
        ("withdrawal of 10^18 token units", token),
    ]
    .into_iter()
    .filter(|(_, asset)| plugin.covers(*asset))
    {
        sample(input, &|| {
            plugin
                .on_withdrawal(engine, &withdrawal(asset))
                .map(|d| format!("{d:?}"))
        })?;
    }
    Ok(())
}

/// A tiny fixed-seed generator (SplitMix64), so the sample inputs are the same everywhere.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
