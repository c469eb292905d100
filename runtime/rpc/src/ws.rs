//! JSON-RPC over WebSocket on the HTTP port, with `eth_subscribe` / `eth_unsubscribe`.
//!
//! ```text
//!  GET + Upgrade: websocket ─▶ 101 ─▶ one task per connection:
//!     text frame ─▶ eth_subscribe / eth_unsubscribe: this connection's subscriptions
//!                └▶ anything else: handle_body, as an HTTP body (same limits, one snapshot)
//!     mark moved ─▶ each subscription's Watch::advance ─▶ one eth_subscription notification
//!                   per header, log or transaction
//!  one ticker per server: every MARK_INTERVAL, while a WebSocket is open, reads the head and
//!  the pool's last arrival (the "mark") and wakes the connections when it moved
//! ```
//!
//! A subscription is a [`Watch`] pushed instead of polled, so it reports exactly what a filter
//! would. Why not jsonrpsee: Keel's server already frames batches with its own limits (calls,
//! answer bytes, time) and answers each request from one storage snapshot; jsonrpsee would
//! replace those with its own and run each call of a batch apart. The part that is not Keel's
//! business, RFC 6455 framing, is tokio-tungstenite's.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use alloy_primitives::U128;
use alloy_rpc_types_eth::Filter;
use futures_util::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper::{
    Request as HttpRequest, Response as HttpResponse, StatusCode,
    body::{Bytes, Incoming},
    header,
};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde_json::value::RawValue;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio_tungstenite::{
    WebSocketStream,
    tungstenite::{
        Message, Utf8Bytes,
        handshake::derive_accept_key,
        protocol::{Role, WebSocketConfig},
    },
};
use tracing::debug;

use crate::{
    RpcError, RpcModule,
    http::raised,
    jsonrpc::{NULL_ID, Params, Request, Response, RpcResult, json},
    server::{BodyLimits, encode, handle_body},
    watch::Watch,
};

/// How often the ticker looks for a new head or pool arrival while a WebSocket is open.
pub(crate) const MARK_INTERVAL: Duration = Duration::from_millis(50);
/// Most WebSocket connections open at once (apart from the HTTP connection limit: an upgraded
/// connection leaves hyper's count).
pub const MAX_WS_CONNECTIONS: usize = 512;
/// Most subscriptions one connection holds.
pub const MAX_SUBSCRIPTIONS_PER_CONNECTION: usize = 256;
/// A client that does not take a frame for this long is disconnected (it would otherwise pin
/// its task and its buffered notifications).
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Where a WebSocket connection stands relative to the chain: the head's number and the pool's
/// last arrival. It moving is the only reason to look for notifications.
pub(crate) type Mark = (u64, u64);

/// What every WebSocket connection of one server shares.
#[derive(Debug, Clone)]
pub(crate) struct WsShared {
    pub(crate) marks: watch::Sender<Mark>,
    pub(crate) stopping: watch::Receiver<bool>,
    pub(crate) slots: Arc<Semaphore>,
}

/// Whether `request` asks to become a WebSocket (RFC 6455 §4.2.1).
pub(crate) fn is_upgrade(request: &HttpRequest<Incoming>) -> bool {
    let has = |name: header::HeaderName, token: &str| {
        request.headers().get_all(name).iter().any(|value| {
            value
                .to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    request.method() == hyper::Method::GET
        && has(header::CONNECTION, "upgrade")
        && has(header::UPGRADE, "websocket")
}

/// Answers an upgrade request: `101 Switching Protocols` and a connection task, or why not.
pub(crate) fn accept<M: RpcModule>(
    mut request: HttpRequest<Incoming>,
    module: Arc<M>,
    limits: BodyLimits,
    max_message_bytes: usize,
    shared: &WsShared,
) -> Result<HttpResponse<Full<Bytes>>, (StatusCode, &'static str)> {
    let headers = request.headers();
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|v| v.as_bytes() != b"13")
    {
        return Err((StatusCode::BAD_REQUEST, "WebSocket version 13 is required"));
    }
    let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
        return Err((StatusCode::BAD_REQUEST, "Sec-WebSocket-Key is missing"));
    };
    let accept_key = derive_accept_key(key.as_bytes());
    let Ok(slot) = shared.slots.clone().try_acquire_owned() else {
        return Err((
            StatusCode::SERVICE_UNAVAILABLE,
            "too many WebSocket connections",
        ));
    };
    let upgrade = hyper::upgrade::on(&mut request);
    let connection = Connection {
        module,
        limits,
        marks: shared.marks.subscribe(),
        stopping: shared.stopping.clone(),
        subscriptions: HashMap::new(),
        _slot: slot,
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(max_message_bytes))
        .max_frame_size(Some(max_message_bytes));
    tokio::spawn(async move {
        match upgrade.await {
            Ok(upgraded) => {
                let socket = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config),
                )
                .await;
                connection.run(socket).await;
            }
            Err(error) => debug!(target: "keel::rpc", %error, "WebSocket upgrade failed"),
        }
    });
    let mut response = HttpResponse::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(
        header::CONNECTION,
        header::HeaderValue::from_static("upgrade"),
    );
    headers.insert(
        header::UPGRADE,
        header::HeaderValue::from_static("websocket"),
    );
    if let Ok(value) = header::HeaderValue::from_str(&accept_key) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, value);
    }
    Ok(response)
}

/// The ticker: while a WebSocket is open, publishes the mark every [`MARK_INTERVAL`] when it
/// moved. Runs until dropped.
pub(crate) async fn publish_marks<M: RpcModule>(module: Arc<M>, marks: watch::Sender<Mark>) {
    let mut tick = tokio::time::interval(MARK_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        if marks.receiver_count() == 0 {
            continue;
        }
        let module = module.clone();
        let mark = tokio::task::spawn_blocking(move || {
            let api = module.subscriptions()?;
            let head = api.begin().and_then(|s| Ok(s.head_number()?)).ok()?;
            Some((head, api.pool().last_arrival()))
        })
        .await;
        if let Ok(Some(mark)) = mark {
            marks.send_if_modified(|last| std::mem::replace(last, mark) != mark);
        }
    }
}

/// A subscription id: unique across the server's connections, opaque to clients.
fn next_subscription_id() -> String {
    static LAST: AtomicU64 = AtomicU64::new(0);
    format!(
        "{:#x}",
        U128::from(LAST.fetch_add(1, Ordering::Relaxed) + 1)
    )
}

struct Connection<M> {
    module: Arc<M>,
    limits: BodyLimits,
    marks: watch::Receiver<Mark>,
    stopping: watch::Receiver<bool>,
    subscriptions: HashMap<String, Watch>,
    _slot: OwnedSemaphorePermit,
}

type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// Why a connection ends early.
struct Closed;

impl<M: RpcModule> Connection<M> {
    async fn run(mut self, mut socket: Socket) {
        let mut stopping = self.stopping.clone();
        loop {
            let has_subscriptions = !self.subscriptions.is_empty();
            let result = tokio::select! {
                () = raised(&mut stopping) => {
                    let _ = socket.close(None).await;
                    return;
                }
                message = socket.next() => match message {
                    Some(Ok(Message::Text(text))) => self.answer(&mut socket, text.as_bytes()).await,
                    Some(Ok(Message::Binary(bytes))) => self.answer(&mut socket, &bytes).await,
                    // Pings are answered by tungstenite; a close ends the connection.
                    Some(Ok(Message::Close(_))) | None => return,
                    Some(Ok(_)) => Ok(()),
                    Some(Err(error)) => {
                        debug!(target: "keel::rpc", %error, "WebSocket closed with an error");
                        return;
                    }
                },
                changed = self.marks.changed(), if has_subscriptions => match changed {
                    Ok(()) => self.notify(&mut socket).await,
                    Err(_) => return,
                },
            };
            if result.is_err() {
                return;
            }
        }
    }

    async fn send(socket: &mut Socket, bytes: Bytes) -> Result<(), Closed> {
        // JSON is UTF-8 by construction (checked, not copied); a frame that is not would be a
        // bug, sent as binary.
        let message = match Utf8Bytes::try_from(bytes.clone()) {
            Ok(text) => Message::Text(text),
            Err(_) => Message::Binary(bytes),
        };
        match tokio::time::timeout(WRITE_TIMEOUT, socket.send(message)).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(Closed),
        }
    }

    /// Answers one frame: a subscription call here, anything else as an HTTP body would be.
    async fn answer(&mut self, socket: &mut Socket, frame: &[u8]) -> Result<(), Closed> {
        let reply = match subscription_call(frame) {
            Some(SubscriptionCall { id, method, params }) => encode(&Response::new(
                &id,
                self.subscription_answer(method, params).await,
            )),
            None => {
                let module = self.module.clone();
                let limits = self.limits;
                let frame = Bytes::copy_from_slice(frame);
                tokio::task::spawn_blocking(move || handle_body(&*module, &frame, limits))
                    .await
                    .unwrap_or_else(|e| encode(&Response::new(NULL_ID, Err(RpcError::internal(e)))))
            }
        };
        Self::send(socket, reply).await
    }

    async fn subscription_answer(
        &mut self,
        method: SubscriptionMethod,
        params: Option<Box<RawValue>>,
    ) -> RpcResult<Box<RawValue>> {
        match method {
            SubscriptionMethod::Subscribe => {
                if self.subscriptions.len() >= MAX_SUBSCRIPTIONS_PER_CONNECTION {
                    Err(RpcError::server(format!(
                        "too many subscriptions on this connection \
                         ({MAX_SUBSCRIPTIONS_PER_CONNECTION}); unsubscribe some first"
                    )))
                } else {
                    let module = self.module.clone();
                    let watch = tokio::task::spawn_blocking(move || {
                        let params = Params::parse(params.as_deref())?;
                        subscribe(&*module, &params)
                    })
                    .await
                    .unwrap_or_else(|e| Err(RpcError::internal(e)));
                    watch.and_then(|watch| {
                        let sub = next_subscription_id();
                        // Only what moves after this point is news to the new subscription.
                        self.marks.mark_unchanged();
                        self.subscriptions.insert(sub.clone(), watch);
                        json(sub)
                    })
                }
            }
            SubscriptionMethod::Unsubscribe => Params::parse(params.as_deref())
                .and_then(|params| params.required::<String>(0, "subscription id"))
                .and_then(|sub| json(self.subscriptions.remove(&sub).is_some())),
        }
    }

    /// Pushes what each subscription selects since its cursor, one notification per item.
    async fn notify(&mut self, socket: &mut Socket) -> Result<(), Closed> {
        let module = self.module.clone();
        let mut subscriptions = std::mem::take(&mut self.subscriptions);
        let (subscriptions, notifications) = tokio::task::spawn_blocking(move || {
            let notifications = advance_all(&*module, &mut subscriptions);
            (subscriptions, notifications)
        })
        .await
        .map_err(|_| Closed)?;
        self.subscriptions = subscriptions;
        for notification in notifications {
            Self::send(socket, notification).await?;
        }
        Ok(())
    }
}

fn subscribe<M: RpcModule>(module: &M, params: &Params<'_>) -> RpcResult<Watch> {
    let api = module
        .subscriptions()
        .ok_or_else(|| RpcError::method_not_found("eth_subscribe"))?;
    let snapshot = api.begin()?;
    let kind: String = params.required(0, "subscription kind")?;
    match kind.as_str() {
        "newHeads" => Watch::blocks(&snapshot, true),
        "logs" => {
            let filter: Option<Filter> = params.optional(1, "filter")?;
            Watch::logs(&snapshot, filter.unwrap_or_default())
        }
        "newPendingTransactions" => {
            let full: Option<bool> = params.optional(1, "full transactions")?;
            Ok(Watch::pending(api, full.unwrap_or(false)))
        }
        other => Err(RpcError::invalid_params(format!(
            "unknown subscription kind {other:?}: newHeads, logs or newPendingTransactions"
        ))),
    }
}

/// Advances every subscription on one snapshot; the notifications, in order.
fn advance_all<M: RpcModule>(module: &M, subscriptions: &mut HashMap<String, Watch>) -> Vec<Bytes> {
    let Some(api) = module.subscriptions() else {
        return Vec::new();
    };
    let snapshot = match api.begin() {
        Ok(snapshot) => snapshot,
        Err(error) => {
            debug!(target: "keel::rpc", %error, "subscriptions not advanced");
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (sub, watch) in subscriptions.iter_mut() {
        match watch.advance(api, &snapshot).and_then(|c| c.into_items()) {
            Ok(items) => out.extend(items.iter().map(|result| {
                encode(&Notification {
                    jsonrpc: "2.0",
                    method: "eth_subscription",
                    params: NotificationParams {
                        subscription: sub,
                        result,
                    },
                })
            })),
            // Kept: the next mark tries again from the same cursor.
            Err(error) => debug!(target: "keel::rpc", %error, %sub, "subscription not advanced"),
        }
    }
    out
}

#[derive(Serialize)]
struct Notification<'a> {
    jsonrpc: &'static str,
    method: &'static str,
    params: NotificationParams<'a>,
}

#[derive(Serialize)]
struct NotificationParams<'a> {
    subscription: &'a str,
    result: &'a RawValue,
}

enum SubscriptionMethod {
    Subscribe,
    Unsubscribe,
}

struct SubscriptionCall {
    id: Box<RawValue>,
    method: SubscriptionMethod,
    params: Option<Box<RawValue>>,
}

/// The frame as an `eth_subscribe` or `eth_unsubscribe` call, when it is one (a single call:
/// inside a batch they are refused like any method this connection does not serve).
fn subscription_call(frame: &[u8]) -> Option<SubscriptionCall> {
    let request: Request<'_> = serde_json::from_slice(frame).ok()?;
    let method = match request.method.as_str() {
        "eth_subscribe" => SubscriptionMethod::Subscribe,
        "eth_unsubscribe" => SubscriptionMethod::Unsubscribe,
        _ => return None,
    };
    Some(SubscriptionCall {
        id: request.id.unwrap_or(NULL_ID).to_owned(),
        method,
        params: request.params.map(ToOwned::to_owned),
    })
}
