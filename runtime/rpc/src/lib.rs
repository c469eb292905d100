//! Ethereum JSON-RPC 2.0 over HTTP (hyper) and WebSocket, single and batch requests;
//! `eth_subscribe` over WebSocket (module `ws`).
//!
//! ```text
//!  POST / ─▶ body (bounded) ─▶ parse: object | array (bounded) ─▶ per call: EthApi::dispatch
//!        ◀─ JSON response(s) ◀──────────────────────────────────────────────┘
//! ```
//!
//! Each HTTP request is answered on tokio's blocking pool: handlers read redb and may run the
//! EVM (`eth_call`, `eth_estimateGas`), which must not stall the async workers. Every handler
//! reads from one storage [`keel_storage::Snapshot`], so a response never mixes two blocks.
//!
//! Errors follow JSON-RPC 2.0: invalid JSON `-32700`, invalid request `-32600`, unknown method
//! `-32601`, bad params `-32602`, and `3` with the revert data for reverted calls (as geth).
//!
//! The same server hosts the admin API ([`AdminApi`]: `keel_loadPlugin` and the plugin records)
//! on its own address, where every request must carry a JWT ([`JwtSecret`], the Engine API's
//! scheme). `keel_getBlockPlugins` and `keel_pluginHistory` are also public: anyone may audit
//! which plugins shaped a block.
#![cfg_attr(not(test), warn(unused_crate_dependencies))]

mod admin;
mod api;
mod auth;
mod batches;
mod block_id;
mod config;
mod convert;
mod error;
mod filters;
mod http;
mod jsonrpc;
mod plugins;
mod server;
mod sink;
mod traces;
mod watch;
mod ws;

pub use admin::AdminApi;
pub use api::{
    DEFAULT_MAX_LOGS, DEFAULT_MAX_LOGS_RANGE, DEFAULT_SUGGESTED_TIP, EthApi, EthApiConfig,
};
pub use auth::{JwtError, JwtSecret, MAX_CLOCK_SKEW_SECS};
pub use batches::{SettlementStatus, WithdrawalProof};
pub use config::{
    AdminConfig, DEFAULT_GAS_CAP, DEFAULT_MAX_BATCH_REQUESTS, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_REQUEST_TIMEOUT, DEFAULT_RPC_LISTEN, MIN_GAS_CAP,
    RpcConfig,
};
pub use error::RpcError;
pub use http::{HEADER_READ_TIMEOUT, MAX_HTTP_CONNECTIONS, serve_http};
pub use jsonrpc::Params;
pub use server::{BodyLimits, RpcModule, RpcServer, RpcServerConfig, handle_body};
pub use sink::{SequencingReport, SequencingSource, TransactionSink};
pub use traces::MAX_BLOCK_TRACE_TXS;
pub use ws::{MAX_SUBSCRIPTIONS_PER_CONNECTION, MAX_WS_CONNECTIONS};

#[cfg(test)]
mod tests;
