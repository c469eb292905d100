//! `eth_subscribe` over a WebSocket on the RPC port, against anvil 1.7.1 doing the same:
//! `newHeads` pushes each new block's header once, in order, with every field anvil's has;
//! `logs` pushes the ERC-20 `Transfer`s its filter selects and only those;
//! `newPendingTransactions` pushes the hash of a transaction as the pool takes it;
//! `eth_unsubscribe` stops a subscription; plain calls answer on the same socket.

use std::time::Duration;

use alloy::{
    primitives::{Address, B256, U256, utils::parse_ether},
    providers::{DynProvider, Provider},
    rpc::types::Filter,
    sol_types::SolEvent,
};
use eyre::{ensure, eyre};
use futures_util::{SinkExt, StreamExt};
use keel_e2e::{
    Anvil, AnvilOptions, DEV_PRIVATE_KEYS, KeelNode, KeelNodeOptions, contracts::TestToken,
    settlement::l1_wallet,
};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{WebSocketStream, client_async, tungstenite::Message};

/// A JSON-RPC client over one WebSocket, keeping the notifications that arrive while it waits
/// for an answer.
struct Socket {
    ws: WebSocketStream<TcpStream>,
    next_id: u64,
    notifications: Vec<Value>,
}

impl Socket {
    async fn connect(http_url: &str) -> eyre::Result<Self> {
        let url = http_url.replacen("http://", "ws://", 1);
        let authority = url.trim_start_matches("ws://").trim_end_matches('/');
        let stream = TcpStream::connect(authority).await?;
        let (ws, _) = client_async(url.as_str(), stream).await?;
        Ok(Self {
            ws,
            next_id: 0,
            notifications: Vec::new(),
        })
    }

    async fn read(&mut self) -> eyre::Result<Value> {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(30), self.ws.next())
                .await
                .map_err(|_| eyre!("nothing on the socket for 30 s"))?
                .ok_or_else(|| eyre!("socket closed"))??;
            if let Message::Text(text) = message {
                return Ok(serde_json::from_str(&text)?);
            }
        }
    }

    /// One call's answer (`result` or `error`, whole).
    async fn call(&mut self, method: &str, params: Value) -> eyre::Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let request = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.ws.send(Message::text(request.to_string())).await?;
        loop {
            let message = self.read().await?;
            if message["id"] == json!(id) {
                return Ok(message);
            }
            self.notifications.push(message);
        }
    }

    async fn subscribe(&mut self, params: Value) -> eyre::Result<String> {
        let answer = self.call("eth_subscribe", params).await?;
        answer["result"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| eyre!("eth_subscribe answered {answer}"))
    }

    /// The next `count` notifications of `subscription`, in order.
    async fn notifications_of(
        &mut self,
        subscription: &str,
        count: usize,
    ) -> eyre::Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut kept = Vec::new();
        for message in std::mem::take(&mut self.notifications) {
            if message["params"]["subscription"] == subscription && out.len() < count {
                out.push(message["params"]["result"].clone());
            } else {
                kept.push(message);
            }
        }
        self.notifications = kept;
        while out.len() < count {
            let message = self.read().await?;
            ensure!(
                message["method"] == "eth_subscription",
                "not a notification: {message}"
            );
            if message["params"]["subscription"] == subscription {
                out.push(message["params"]["result"].clone());
            } else {
                self.notifications.push(message);
            }
        }
        Ok(out)
    }
}

/// What one node pushed for the same actions.
struct Pushed {
    heads: Vec<Value>,
    logs: Vec<Value>,
    pending: Vec<Value>,
    sent: Vec<B256>,
}

async fn subscribe_and_transfer(url: &str, wallet: DynProvider) -> eyre::Result<Pushed> {
    let token = TestToken::deploy(
        wallet.clone(),
        "Subscribe".into(),
        "SUB".into(),
        parse_ether("1000")?,
    )
    .await?;
    let mut socket = Socket::connect(url).await?;
    let to = Address::with_last_byte(0x77);
    let selected = Filter::new()
        .address(*token.address())
        .event_signature(TestToken::Transfer::SIGNATURE_HASH)
        .topic2(to.into_word());
    let heads = socket.subscribe(json!(["newHeads"])).await?;
    let logs = socket.subscribe(json!(["logs", selected])).await?;
    let pending = socket.subscribe(json!(["newPendingTransactions"])).await?;
    // A plain call on the same socket.
    let number = socket.call("eth_blockNumber", json!([])).await?;
    ensure!(number["result"].is_string(), "eth_blockNumber: {number}");

    let mut sent = Vec::new();
    for (receiver, amount) in [(to, 1u64), (Address::with_last_byte(0x78), 2), (to, 3)] {
        let receipt = token
            .transfer(receiver, U256::from(amount))
            .send()
            .await?
            .get_receipt()
            .await?;
        ensure!(receipt.status(), "transfer reverted");
        sent.push(receipt.transaction_hash);
    }
    let pushed = Pushed {
        heads: socket.notifications_of(&heads, 3).await?,
        logs: socket.notifications_of(&logs, 2).await?,
        pending: socket.notifications_of(&pending, 3).await?,
        sent,
    };
    let gone = socket.call("eth_unsubscribe", json!([heads])).await?;
    ensure!(gone["result"] == true, "eth_unsubscribe: {gone}");
    let again = socket.call("eth_unsubscribe", json!([heads])).await?;
    ensure!(
        again["result"] == false,
        "a second eth_unsubscribe: {again}"
    );
    Ok(pushed)
}

#[tokio::test(flavor = "multi_thread")]
async fn subscriptions_push_heads_logs_and_pending_transactions_as_anvil_does() -> eyre::Result<()>
{
    let dir = tempfile::tempdir()?;
    let anvil = Anvil::spawn(AnvilOptions::automine(), dir.path().join("anvil.log")).await?;
    let node = KeelNode::spawn(KeelNodeOptions::new().block_time("200ms")).await?;
    let result = async {
        let anvil_pushed =
            subscribe_and_transfer(&anvil.rpc_url(), l1_wallet(&anvil, DEV_PRIVATE_KEYS[0])?)
                .await?;
        let keel_pushed = subscribe_and_transfer(&node.rpc_url(), node.dev_provider()).await?;

        // Every header field anvil pushes that Keel's blocks have, Keel pushes. Not the body
        // (anvil pushes a whole block; geth, a header): `transactions`, `uncles`,
        // `withdrawals`, `size`.
        let fields = |object: &Value| -> Vec<String> {
            let mut keys: Vec<String> = object
                .as_object()
                .map(|h| h.keys().cloned().collect())
                .unwrap_or_default();
            keys.sort();
            keys
        };
        let keel_block: Value = node
            .root_provider()
            .raw_request("eth_getBlockByNumber".into(), ("latest", false))
            .await?;
        let block_fields = fields(&keel_block);
        let keel_fields = fields(&keel_pushed.heads[0]);
        let missing: Vec<String> = fields(&anvil_pushed.heads[0])
            .into_iter()
            .filter(|key| block_fields.contains(key) && !keel_fields.contains(key))
            .filter(|key| {
                !["transactions", "uncles", "withdrawals", "size"].contains(&key.as_str())
            })
            .collect();
        ensure!(
            missing.is_empty(),
            "keel's newHeads lack {missing:?} (anvil {:?}, keel {keel_fields:?})",
            anvil_pushed.heads[0]
        );
        // A pushed head is the header eth_getBlockByNumber gives for its number.
        let pushed = &keel_pushed.heads[2];
        let fetched: Value = node
            .root_provider()
            .raw_request("eth_getBlockByNumber".into(), (&pushed["number"], false))
            .await?;
        for key in &keel_fields {
            ensure!(
                pushed[key] == fetched[key],
                "newHeads {key}: {pushed} vs {fetched}"
            );
        }

        for (name, pushed) in [("anvil", &anvil_pushed), ("keel", &keel_pushed)] {
            // Consecutive heads, each one's parent the one before.
            for pair in pushed.heads.windows(2) {
                let number = |h: &Value| {
                    u64::from_str_radix(
                        h["number"]
                            .as_str()
                            .unwrap_or("0x0")
                            .trim_start_matches("0x"),
                        16,
                    )
                };
                ensure!(
                    number(&pair[1])? == number(&pair[0])? + 1
                        && pair[1]["parentHash"] == pair[0]["hash"],
                    "{name}: heads out of order: {} then {}",
                    pair[0],
                    pair[1]
                );
            }
            // The two selected transfers, in order, and not the other one.
            let amounts: Vec<U256> = pushed
                .logs
                .iter()
                .map(|log| log["data"].as_str().unwrap_or_default().parse())
                .collect::<Result<_, _>>()?;
            ensure!(
                amounts == [U256::from(1), U256::from(3)],
                "{name}: logs pushed {:?}",
                pushed.logs
            );
            ensure!(
                pushed.logs[0]["transactionHash"] == json!(pushed.sent[0])
                    && pushed.logs[1]["transactionHash"] == json!(pushed.sent[2]),
                "{name}: logs name other transactions: {:?}",
                pushed.logs
            );
            let pending: Vec<B256> = pushed
                .pending
                .iter()
                .map(|hash| serde_json::from_value(hash.clone()))
                .collect::<Result<_, _>>()?;
            ensure!(
                pending == pushed.sent,
                "{name}: pending pushed {pending:?}, sent {:?}",
                pushed.sent
            );
        }
        Ok(())
    }
    .await;
    node.finish(result)
}
