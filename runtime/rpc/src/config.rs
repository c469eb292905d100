//! `[rpc]` and `[admin]`: the sections of the config file this crate owns.

use std::{
    net::{Ipv4Addr, SocketAddr, SocketAddrV4},
    path::PathBuf,
    time::Duration,
};

use keel_units::{Violation, ensure};
use serde::Deserialize;

/// Default `rpc.listen`: loopback only (the API is unauthenticated), port 1729 — free on common
/// setups and not geth's 8545, so a local geth or anvil can run alongside.
pub const DEFAULT_RPC_LISTEN: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 1729));
/// Default `rpc.max_body_bytes`: 10 MiB. A hex-encoded transaction of the largest size the pool
/// takes (`mempool.max_tx_bytes`, 128 KiB) is ~256 KiB, so this leaves room for a batch of ~40
/// of them while bounding the memory one request can pin.
pub const DEFAULT_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// Default `rpc.max_batch_requests`: 1000, geth's `BatchRequestLimit`.
pub const DEFAULT_MAX_BATCH_REQUESTS: usize = 1000;
/// Default `rpc.gas_cap`: 50 000 000 gas for `eth_call`/`eth_estimateGas`, geth's `RPCGasCap`;
/// above the default block gas limit so any transaction that fits a block can be simulated.
pub const DEFAULT_GAS_CAP: u64 = 50_000_000;
/// Default `rpc.max_response_bytes`: 25 MB, geth's `BatchResponseMaxSize`. Once a request's
/// answers pass it, the calls left in its batch are not run.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 25_000_000;
/// Default `rpc.request_timeout`: 10 s. A batch still running then answers its remaining calls
/// with an error instead of running them (`eth_call` × 1 000 at the gas cap is not a bound).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Smallest `rpc.gas_cap`: 21 000, the cost of a plain transfer; below it no call can run.
pub const MIN_GAS_CAP: u64 = 21_000;

/// `[rpc]`: the JSON-RPC server.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RpcConfig {
    /// Listen address, an IP and port (default [`DEFAULT_RPC_LISTEN`]); port 0 picks a free one.
    #[serde(deserialize_with = "keel_units::socket_addr")]
    pub listen: SocketAddr,
    /// Largest request body in bytes (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub max_body_bytes: usize,
    /// Most calls in one JSON-RPC batch (default [`DEFAULT_MAX_BATCH_REQUESTS`]).
    pub max_batch_requests: usize,
    /// Gas cap of `eth_call` and `eth_estimateGas` (default [`DEFAULT_GAS_CAP`]; at least
    /// [`MIN_GAS_CAP`]).
    pub gas_cap: u64,
    /// Largest answer to one request, bytes (default [`DEFAULT_MAX_RESPONSE_BYTES`]).
    pub max_response_bytes: usize,
    /// How long one request's calls may run (default [`DEFAULT_REQUEST_TIMEOUT`]).
    #[serde(deserialize_with = "keel_units::duration")]
    pub request_timeout: Duration,
    /// Origins browsers may call the API from (`Access-Control-Allow-Origin`): `["*"]` (the
    /// default: any dapp), or a list like `["https://app.example"]`; `[]` sends no CORS header.
    pub cors_origins: Vec<String>,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            listen: DEFAULT_RPC_LISTEN,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_batch_requests: DEFAULT_MAX_BATCH_REQUESTS,
            gas_cap: DEFAULT_GAS_CAP,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            cors_origins: vec!["*".to_owned()],
        }
    }
}

impl RpcConfig {
    /// The first rule the section breaks (keys relative to `[rpc]`).
    pub fn validate(&self) -> Result<(), Violation> {
        ensure(self.max_body_bytes > 0, "max_body_bytes", || {
            "must be > 0, got 0".into()
        })?;
        ensure(self.max_batch_requests > 0, "max_batch_requests", || {
            "must be > 0, got 0".into()
        })?;
        ensure(self.gas_cap >= MIN_GAS_CAP, "gas_cap", || {
            format!(
                "must be at least {MIN_GAS_CAP} (a plain transfer), got {}",
                self.gas_cap
            )
        })?;
        ensure(self.max_response_bytes > 0, "max_response_bytes", || {
            "must be > 0, got 0".into()
        })?;
        ensure(!self.request_timeout.is_zero(), "request_timeout", || {
            "must be > 0".into()
        })?;
        for origin in &self.cors_origins {
            ensure(
                origin == "*"
                    || ((origin.starts_with("http://") || origin.starts_with("https://"))
                        && hyper::header::HeaderValue::from_str(origin).is_ok()),
                "cors_origins",
                || format!("{origin:?} is not \"*\" nor an origin like \"https://app.example\""),
            )?;
        }
        Ok(())
    }
}

/// `[admin]`: the admin JSON-RPC (`keel_*` methods: plugin swaps and their history), on its own
/// address and behind a JWT secret, as the Engine API is. Disabled unless `listen` is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// Listen address (default `None`: no admin API; `""` also disables it). Keep it on
    /// loopback or a private network: the JWT authenticates, it does not encrypt.
    #[serde(deserialize_with = "keel_units::opt_socket_addr")]
    pub listen: Option<SocketAddr>,
    /// File with the hex-encoded 32-byte HS256 secret (default `None`:
    /// `<datadir>/admin-jwt.hex`). A missing file is created with a random secret; a relative
    /// path is resolved from the config file's directory.
    #[serde(default, deserialize_with = "keel_units::opt_path")]
    pub jwt_secret: Option<PathBuf>,
}
