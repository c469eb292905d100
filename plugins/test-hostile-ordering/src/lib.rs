//! Test fixture — never deploy. An ordering plugin that misbehaves in the way its `mode` setting
//! names, so the host's tests can show each failure is caught, named and survived:
//!
//! - `loop`: spins forever (fuel exhaustion)
//! - `grow`: allocates without bound (memory limit)
//! - `trap`: panics (a trap)
//! - `duplicate`: returns every index twice (host drops the repeats)
//! - `reverse`: returns candidates in reverse, breaking each sender's nonce order
//! - `refuse`: returns an error of its own

use keel_plugin_sdk::prelude::*;

/// Misbehaves on purpose.
#[derive(Debug)]
pub struct Hostile;

impl OrderingPolicy for Hostile {
    fn order(
        _ctx: BlockContext,
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
            other => Err(format!("unknown mode {other:?}")),
        }
    }
}

keel_plugin_sdk::export_ordering!(Hostile);
