//! Ethereum JSON-RPC 2.0 over HTTP (hyper), single and batch requests.
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

mod api;
mod block_id;
mod convert;
mod error;
mod jsonrpc;
mod server;

pub use api::{
    DEFAULT_MAX_LOGS, DEFAULT_MAX_LOGS_RANGE, DEFAULT_SUGGESTED_TIP, EthApi, EthApiConfig,
};
pub use error::RpcError;
pub use server::{DEFAULT_MAX_BATCH, DEFAULT_MAX_BODY_BYTES, RpcServer, RpcServerConfig, serve};

#[cfg(test)]
mod tests;
