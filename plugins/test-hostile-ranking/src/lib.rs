//! Test fixture — never deploy. A 0.4.0 ordering plugin whose rank list does not match the
//! candidates, as its `mode` setting names, so the host's tests can show it is refused by name
//! (a ranking cannot break a nonce order: length is what is left to get wrong):
//!
//! - `short`: one rank fewer than there are candidates
//! - `long`: one rank more

use keel_plugin_sdk::prelude::*;

/// Answers a rank list of the wrong length.
#[derive(Debug)]
pub struct Miscount;

impl OrderingPolicy for Miscount {
    fn rank(
        _ctx: BlockContext,
        settings: &Settings<'_>,
        candidates: Candidates<'_>,
    ) -> Result<Vec<u64>, String> {
        let mut ranks = vec![1; candidates.len()];
        match settings.get("mode").unwrap_or("short") {
            "short" => {
                ranks.pop();
            }
            "long" => ranks.push(1),
            other => return Err(format!("unknown mode {other:?}")),
        }
        Ok(ranks)
    }
}

keel_plugin_sdk::export_ordering!(Miscount);
