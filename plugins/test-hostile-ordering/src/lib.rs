//! Test fixture — never deploy. An ordering plugin that misbehaves in the way its `mode` setting
//! names, so the host's tests can show each failure is caught, named and survived:
//!
//! - `loop`: spins forever (fuel exhaustion)
//! - `grow`: allocates without bound (memory limit)
//! - `trap`: panics (a trap)
//! - `duplicate`: returns every index twice (host drops the repeats)
//! - `reverse`: returns candidates in reverse, breaking each sender's nonce order
//! - `refuse`: returns an error of its own
//! - `censor`: arrival order, but never a transaction from the `sender` setting (`0x` and 40
//!   hex digits): a sequencer censoring one user, whom only a call forced from L1 reaches

use keel_plugin_sdk::{
    ordering_v0_1::{BlockContext, OrderingPolicy},
    prelude::*,
};

/// Misbehaves on purpose.
#[derive(Debug)]
pub struct Hostile;

impl OrderingPolicy for Hostile {
    fn order(
        ctx: BlockContext,
        settings: &Settings<'_>,
        candidates: Candidates<'_>,
    ) -> Result<Vec<u32>, String> {
        let all = 0..candidates.len() as u32;
        match settings.get("mode").unwrap_or("loop") {
            "loop" => {
                let mut x: u64 = 1;
                loop {
                    x = core::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
            }
            "grow" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(core::hint::black_box(vec![1u8; 1 << 20]));
                }
            }
            "trap" => panic!("hostile plugin: trap on purpose"),
            "duplicate" => Ok(all.clone().chain(all).collect()),
            "reverse" => Ok(all.rev().collect()),
            "refuse" => Err("hostile plugin: refusing on purpose".into()),
            "censor" => {
                let censored = parse_address(settings.get("sender").unwrap_or_default())?;
                Ok(order_by_priority(candidates, |c| {
                    c.effective_tip(ctx.base_fee)?;
                    (c.sender != censored).then_some(core::cmp::Reverse(c.arrival))
                }))
            }
            other => Err(format!("unknown mode {other:?}")),
        }
    }
}

/// `0x` and 40 hex digits.
fn parse_address(text: &str) -> Result<[u8; 20], String> {
    let digits = text
        .strip_prefix("0x")
        .filter(|d| d.len() == 40)
        .ok_or_else(|| format!("sender must be 0x and 40 hex digits, got {text:?}"))?;
    let mut out = [0u8; 20];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16)
            .map_err(|_| format!("sender is not hex: {text:?}"))?;
    }
    Ok(out)
}

keel_plugin_sdk::export_ordering_v0_1!(Hostile);
