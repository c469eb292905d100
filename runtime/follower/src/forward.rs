//! What a follower does with `eth_sendRawTransaction`: forward it to the sequencer, or refuse.

use std::time::Duration;

use alloy_primitives::{B256, Bytes};
use keel_rpc::{RpcError, TransactionSink};
use keel_storage::Snapshot;
use serde_json::{Value, json};
use tokio::runtime::Handle;

/// Sends raw transactions to another node's `eth_sendRawTransaction`: a follower's to the
/// sequencer, a based node's to the current leader.
#[derive(Debug, Clone)]
pub struct Forwarder {
    http: reqwest::Client,
}

/// Why a forwarded transaction did not reach a pool.
#[derive(Debug)]
pub enum ForwardError {
    /// The node at the other end did not answer (or not with JSON-RPC).
    Unreachable(String),
    /// It answered with an error: its pool refused the transaction.
    Refused(RpcError),
}

impl Default for Forwarder {
    fn default() -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
        }
    }
}

impl Forwarder {
    /// Sends `raw` to the node at `url` with `method` (`eth_sendRawTransaction`, or
    /// `keel_sendForwardedTransaction` between based nodes); returns the hash it answered.
    pub async fn send(&self, url: &str, method: &str, raw: &Bytes) -> Result<B256, ForwardError> {
        let unreachable = |error: String| ForwardError::Unreachable(error);
        let request = json!({
            "jsonrpc": "2.0",
            "id": 1,
            "method": method,
            "params": [raw],
        });
        let response: Value = self
            .http
            .post(url)
            .json(&request)
            .send()
            .await
            .map_err(|e| unreachable(e.to_string()))?
            .json()
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        if let Some(error) = response.get("error") {
            return Err(ForwardError::Refused(RpcError {
                code: error["code"].as_i64().unwrap_or(-32000),
                message: error["message"].as_str().unwrap_or("").to_owned(),
                data: None,
            }));
        }
        serde_json::from_value(response["result"].clone())
            .map_err(|e| unreachable(format!("unexpected answer {response}: {e}")))
    }
}

/// Forwards each transaction to the sequencer's `eth_sendRawTransaction` and answers with what
/// the sequencer answered (its hash, or its error with code and message).
#[derive(Debug, Clone)]
pub struct ForwardToSequencer {
    forwarder: Forwarder,
    url: String,
    runtime: Handle,
}

impl ForwardToSequencer {
    /// A forwarder to `url`, running its requests on `runtime`.
    pub fn new(url: &str, runtime: Handle) -> Self {
        Self {
            forwarder: Forwarder::default(),
            url: url.to_owned(),
            runtime,
        }
    }

    async fn forward(&self, raw: &Bytes) -> Result<B256, RpcError> {
        self.forwarder
            .send(&self.url, "eth_sendRawTransaction", raw)
            .await
            .map_err(|error| match error {
                ForwardError::Refused(error) => error,
                ForwardError::Unreachable(error) => RpcError::server(format!(
                    "this node is a follower and could not reach the sequencer at {} \
                     (follower.sequencer_url): {error}",
                    self.url
                )),
            })
    }
}

impl TransactionSink for ForwardToSequencer {
    fn submit(&self, raw: &Bytes, _: &Snapshot) -> Result<B256, RpcError> {
        // On one of the runtime's blocking threads (see the trait): waiting here is allowed.
        self.runtime.block_on(self.forward(raw))
    }
}

/// Refuses every transaction, saying where to send it.
#[derive(Debug, Clone, Copy, Default)]
pub struct RefuseTransactions;

impl TransactionSink for RefuseTransactions {
    fn submit(&self, _: &Bytes, _: &Snapshot) -> Result<B256, RpcError> {
        Err(RpcError::server(
            "this node is a follower: it takes no transactions; send them to the sequencer, \
             or set follower.sequencer_url to forward them there",
        ))
    }
}
