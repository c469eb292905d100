//! JSON-RPC framing and error codes, against a real storage with a one-account genesis.

use std::sync::Arc;

use alloy_consensus::{Header, Sealable};
use alloy_primitives::{Address, U256};
use keel_evm::Eip1559BaseFee;
use keel_mempool::{Mempool, PoolConfig};
use keel_primitives::{ChainSpec, EMPTY_ROOT_HASH, KECCAK_EMPTY};
use keel_storage::{GenesisWrite, Storage};
use keel_trie::{GenesisAccount, genesis_state};
use serde_json::{Value, json};

use crate::{EthApi, EthApiConfig, server::handle_body};

const CHAIN_ID: u64 = 65_536_999;
const RICH: Address = Address::repeat_byte(0x11);

fn api() -> (tempfile::TempDir, EthApi) {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(&dir.path().join("keel.redb")).unwrap();
    let state = genesis_state([GenesisAccount {
        address: RICH,
        nonce: 7,
        balance: U256::from(1_000_000u64),
        code_hash: KECCAK_EMPTY,
        storage: vec![],
    }]);
    let header = Header {
        state_root: state.root,
        transactions_root: EMPTY_ROOT_HASH,
        receipts_root: EMPTY_ROOT_HASH,
        gas_limit: 30_000_000,
        base_fee_per_gas: Some(1_000_000_000),
        ..Default::default()
    }
    .seal_slow();
    storage
        .init_genesis(GenesisWrite {
            header: &header,
            state: &state,
            storage: &[],
            codes: &[],
        })
        .unwrap();
    let spec = ChainSpec::ethereum_like(CHAIN_ID);
    let api = EthApi::new(
        Arc::new(storage),
        Arc::new(Mempool::new(PoolConfig::new(CHAIN_ID, 30_000_000))),
        Arc::new(Eip1559BaseFee::new(spec)),
        EthApiConfig {
            spec,
            gas_cap: 50_000_000,
            client_version: "keel/test".into(),
            suggested_tip: 1,
            max_logs_range: 100,
            max_logs: 100,
        },
    );
    (dir, api)
}

/// Test limits: batches of 3, generous answers and time.
const LIMITS: crate::BodyLimits = crate::BodyLimits {
    max_batch: 3,
    max_response_bytes: 1 << 20,
    timeout: std::time::Duration::from_secs(60),
};

fn call(api: &EthApi, body: &str) -> Value {
    call_within(api, body, LIMITS)
}

fn call_within(api: &EthApi, body: &str, limits: crate::BodyLimits) -> Value {
    serde_json::from_slice(&handle_body(api, body.as_bytes(), limits)).unwrap()
}

/// Issue 18: one request could pin memory and a thread (a batch of 1 000 large answers, or of
/// 1 000 `eth_call`s at the gas cap). Past the byte or time limit, the calls left are answered
/// with an error (-32005) and never run.
#[test]
fn a_batch_stops_at_its_response_size_or_time_limit() {
    let (_dir, api) = api();
    let batch = r#"[
        {"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["0x0", true]},
        {"jsonrpc":"2.0","id":2,"method":"eth_getBlockByNumber","params":["0x0", true]},
        {"jsonrpc":"2.0","id":3,"method":"eth_chainId","params":[]}
    ]"#;
    let answers = call_within(
        &api,
        batch,
        crate::BodyLimits {
            max_response_bytes: 100,
            ..LIMITS
        },
    );
    assert!(answers[0]["result"]["hash"].is_string(), "{answers}");
    for (i, answer) in answers.as_array().unwrap()[1..].iter().enumerate() {
        assert_eq!(answer["id"], i + 2, "{answer}");
        assert_eq!(answer["error"]["code"], -32005, "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("rpc.max_response_bytes"),
            "{answer}"
        );
    }
    let single = call_within(
        &api,
        r#"{"jsonrpc":"2.0","id":7,"method":"eth_getBlockByNumber","params":["0x0", true]}"#,
        crate::BodyLimits {
            max_response_bytes: 100,
            ..LIMITS
        },
    );
    assert_eq!(
        (single["id"].clone(), single["error"]["code"].clone()),
        (7.into(), (-32005).into())
    );

    let timed_out = call_within(
        &api,
        batch,
        crate::BodyLimits {
            timeout: std::time::Duration::ZERO,
            ..LIMITS
        },
    );
    assert!(
        timed_out
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["error"]["code"] == -32005)
    );
    assert!(
        timed_out[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("rpc.request_timeout")
    );
}

#[test]
fn answers_basic_methods() {
    let (_dir, api) = api();
    let response = call(
        &api,
        r#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#,
    );
    assert_eq!(
        response,
        json!({"jsonrpc":"2.0","id":1,"result":"0x3e803e7"})
    );
    let response = call(
        &api,
        &format!(
            r#"{{"jsonrpc":"2.0","id":"a","method":"eth_getBalance","params":["{RICH}","latest"]}}"#
        ),
    );
    assert_eq!(response["result"], "0xf4240");
    let response = call(
        &api,
        &format!(
            r#"{{"jsonrpc":"2.0","id":2,"method":"eth_getTransactionCount","params":["{RICH}","pending"]}}"#
        ),
    );
    assert_eq!(response["result"], "0x7");
    let response = call(
        &api,
        r#"{"jsonrpc":"2.0","id":3,"method":"eth_getBlockByNumber","params":["earliest",false]}"#,
    );
    assert_eq!(response["result"]["number"], "0x0");
    let response = call(
        &api,
        r#"{"jsonrpc":"2.0","id":4,"method":"eth_getBlockByNumber","params":["0x5",false]}"#,
    );
    assert_eq!(
        response["result"],
        Value::Null,
        "unknown blocks are null, not errors"
    );
}

#[test]
fn error_codes_follow_json_rpc() {
    let (_dir, api) = api();
    assert_eq!(call(&api, "{not json")["error"]["code"], -32700);
    let response = call(
        &api,
        r#"{"jsonrpc":"2.0","id":1,"method":"eth_nope","params":[]}"#,
    );
    assert_eq!(response["error"]["code"], -32601);
    assert_eq!(response["id"], 1);
    let response = call(
        &api,
        r#"{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["0x12"]}"#,
    );
    assert_eq!(response["error"]["code"], -32602);
    assert!(
        response["error"]["message"]
            .as_str()
            .unwrap()
            .contains("address"),
        "{response}"
    );
    let response = call(
        &api,
        r#"{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":{"a":1}}"#,
    );
    assert_eq!(response["error"]["code"], -32602);
    assert_eq!(call(&api, r#"{"id":1}"#)["error"]["code"], -32600);
    let response = call(
        &api,
        r#"{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["0x02c0"]}"#,
    );
    assert_eq!(response["error"]["code"], -32000);
}

#[test]
fn batches_are_answered_in_order_and_bounded() {
    let (_dir, api) = api();
    let response = call(
        &api,
        r#"[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},{"jsonrpc":"2.0","id":2,"method":"nope"},{"jsonrpc":"2.0","id":3,"method":"net_version"}]"#,
    );
    let items = response.as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["id"], 1);
    assert_eq!(items[1]["error"]["code"], -32601);
    assert_eq!(items[2]["result"], CHAIN_ID.to_string());
    assert_eq!(call(&api, "[]")["error"]["code"], -32600);
    let four = r#"[{"id":1,"method":"eth_chainId"},{"id":2,"method":"eth_chainId"},{"id":3,"method":"eth_chainId"},{"id":4,"method":"eth_chainId"}]"#;
    let response = call(&api, four);
    assert_eq!(response["error"]["code"], -32600);
    assert!(
        response["error"]["message"]
            .as_str()
            .unwrap()
            .contains("limit of 3")
    );
}

/// Issue 20: polling filters. Ids are handed out and forgotten on uninstall; an unknown id is
/// "filter not found", as geth answers; a filter with a backwards range is refused at install.
#[test]
fn filters_are_installed_polled_and_uninstalled() {
    let (_dir, api) = api();
    let installed = call(
        &api,
        r#"{"jsonrpc":"2.0","id":1,"method":"eth_newBlockFilter"}"#,
    );
    let id = installed["result"]
        .as_str()
        .expect("a filter id")
        .to_owned();
    let poll = |id: &str| {
        call(
            &api,
            &json!({"jsonrpc":"2.0","id":2,"method":"eth_getFilterChanges","params":[id]})
                .to_string(),
        )
    };
    assert_eq!(poll(&id)["result"], json!([]), "no block sealed yet");
    let pending = call(
        &api,
        r#"{"jsonrpc":"2.0","id":3,"method":"eth_newPendingTransactionFilter"}"#,
    );
    let pending = pending["result"].as_str().expect("a filter id").to_owned();
    assert_ne!(pending, id);
    assert_eq!(poll(&pending)["result"], json!([]));
    let logs = call(
        &api,
        r#"{"jsonrpc":"2.0","id":4,"method":"eth_newFilter","params":[{"address":"0x0000000000000000000000000000000000000001"}]}"#,
    );
    let logs = logs["result"].as_str().expect("a filter id").to_owned();
    assert_eq!(poll(&logs)["result"], json!([]));
    let all = call(
        &api,
        &json!({"jsonrpc":"2.0","id":5,"method":"eth_getFilterLogs","params":[logs]}).to_string(),
    );
    assert_eq!(all["result"], json!([]));

    let uninstall = |id: &str| {
        call(
            &api,
            &json!({"jsonrpc":"2.0","id":6,"method":"eth_uninstallFilter","params":[id]})
                .to_string(),
        )["result"]
            .clone()
    };
    assert_eq!(uninstall(&id), json!(true));
    assert_eq!(uninstall(&id), json!(false), "already gone");
    let gone = poll(&id);
    assert_eq!(
        gone["error"]["message"],
        json!("filter not found"),
        "{gone}"
    );
    let unknown = poll("0xdeadbeef");
    assert_eq!(unknown["error"]["message"], json!("filter not found"));

    let backwards = call(
        &api,
        r#"{"jsonrpc":"2.0","id":7,"method":"eth_newFilter","params":[{"fromBlock":"0x5","toBlock":"0x1"}]}"#,
    );
    assert_eq!(backwards["error"]["code"], json!(-32602), "{backwards}");
}

/// The WebSocket on the RPC port: plain calls answer as over HTTP, subscriptions get ids and
/// can be cancelled, an unknown kind is refused by name, a page from an origin not in
/// `cors_origins` is refused, and `eth_subscribe` over HTTP says where to go.
#[tokio::test(flavor = "multi_thread")]
async fn the_websocket_answers_calls_and_manages_subscriptions() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};

    let (_dir, api) = api();
    let config = crate::RpcServerConfig::public(&crate::RpcConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        cors_origins: vec!["http://allowed.example".into()],
        ..crate::RpcConfig::default()
    });
    let server = crate::RpcServer::bind(Arc::new(api), config).await.unwrap();
    let addr = server.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));

    let connect = |origin: Option<&'static str>| async move {
        let mut request = format!("ws://{addr}").into_client_request().unwrap();
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", HeaderValue::from_static(origin));
        }
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        tokio_tungstenite::client_async(request, stream).await
    };
    let refused = connect(Some("http://evil.example")).await;
    assert!(
        matches!(&refused, Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 403),
        "{refused:?}"
    );
    let (mut ws, _) = connect(Some("http://allowed.example")).await.unwrap();
    let mut ask = async |body: Value| -> Value {
        ws.send(Message::text(body.to_string())).await.unwrap();
        match ws.next().await.unwrap().unwrap() {
            Message::Text(text) => serde_json::from_str(&text).unwrap(),
            other => panic!("{other:?}"),
        }
    };
    let chain = ask(json!({"jsonrpc":"2.0","id":1,"method":"eth_chainId"})).await;
    assert_eq!(chain["result"], format!("{CHAIN_ID:#x}"));
    let batch = ask(json!([{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber"},
                          {"jsonrpc":"2.0","id":2,"method":"eth_subscribe","params":["newHeads"]}]))
    .await;
    assert_eq!(batch[0]["result"], "0x0");
    assert!(
        batch[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("one call per frame")
    );
    let bogus =
        ask(json!({"jsonrpc":"2.0","id":2,"method":"eth_subscribe","params":["syncingz"]})).await;
    assert_eq!(bogus["error"]["code"], -32602, "{bogus}");
    let sub =
        ask(json!({"jsonrpc":"2.0","id":3,"method":"eth_subscribe","params":["newHeads"]})).await;
    let id = sub["result"].as_str().unwrap().to_owned();
    let gone = ask(json!({"jsonrpc":"2.0","id":4,"method":"eth_unsubscribe","params":[id]})).await;
    assert_eq!(gone["result"], true);
    let gone = ask(json!({"jsonrpc":"2.0","id":5,"method":"eth_unsubscribe","params":[id]})).await;
    assert_eq!(gone["result"], false);

    let (_dir, api) = self::api();
    let over_http = call(
        &api,
        r#"{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}"#,
    );
    assert!(
        over_http["error"]["message"]
            .as_str()
            .unwrap()
            .contains("WebSocket")
    );

    // Shutdown closes the socket.
    stop.send(()).unwrap();
    loop {
        match ws.next().await {
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
            Some(Ok(_)) => {}
        }
    }
    running.await.unwrap();
}
