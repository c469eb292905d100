//! `[follower]`: the section of the config file this crate owns.

use keel_units::{Violation, ensure};
use serde::Deserialize;

/// `[follower]`: run the node as a follower. It rebuilds the chain from the L1 that `[l1]`
/// names (its `rpc_url`, `beacon_url` and deployment file) and serves the JSON-RPC read
/// methods; it produces no blocks and commits nothing, so `l1.sequencer_key` is not needed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FollowerConfig {
    /// The sequencer's JSON-RPC URL: `eth_sendRawTransaction` is forwarded there (default
    /// `None`: refused with an error saying so).
    #[serde(deserialize_with = "keel_units::opt_string")]
    pub sequencer_url: Option<String>,
}

impl FollowerConfig {
    /// The first rule the section breaks (keys relative to `[follower]`).
    pub fn validate(&self) -> Result<(), Violation> {
        ensure(
            self.sequencer_url
                .as_deref()
                .is_none_or(|url| url.starts_with("http://") || url.starts_with("https://")),
            "sequencer_url",
            || {
                format!(
                    "must be an http:// or https:// URL, got {:?}",
                    self.sequencer_url.as_deref().unwrap_or_default()
                )
            },
        )
    }
}
