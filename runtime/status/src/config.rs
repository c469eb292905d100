//! `[status]`: where the status page listens.

use std::net::SocketAddr;

use serde::Deserialize;

/// `[status]`: the status page. (Its default, disabled, is `Option`'s, hence the derived
/// `Default`.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatusConfig {
    /// Listen address of the page (`GET /`) and its data (`GET /api/status`); default `None`
    /// (`""` too): no page. Unauthenticated and read-only: keep it on loopback or behind a
    /// proxy, as the metrics endpoint.
    #[serde(deserialize_with = "keel_units::opt_socket_addr")]
    pub listen: Option<SocketAddr>,
}
