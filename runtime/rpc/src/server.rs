//! The HTTP server: hyper over tokio, JSON-RPC framing, bounded bodies and batches.

use std::{
    convert::Infallible, future::Future, net::SocketAddr, panic::AssertUnwindSafe, sync::Arc,
};

use http_body_util::{BodyExt, Full, Limited};
use hyper::{
    Method, Request as HttpRequest, Response as HttpResponse, StatusCode,
    body::{Bytes, Incoming},
    header,
    service::service_fn,
};
use serde_json::value::RawValue;
use tokio::{
    net::TcpListener,
    sync::{Semaphore, watch},
};
use tracing::{debug, info};

use crate::{
    JwtSecret, RpcConfig, RpcError,
    http::serve_http,
    jsonrpc::{NULL_ID, Params, Request, Response},
    ws::{self, MAX_WS_CONNECTIONS, WsShared, publish_marks},
};

/// A set of JSON-RPC methods the server can host.
pub trait RpcModule: Send + Sync + 'static {
    /// What every call of one HTTP request shares, e.g. one storage snapshot, so that a batch
    /// never mixes two blocks.
    type Context;

    /// Prepares the context of one HTTP request.
    fn begin(&self) -> Result<Self::Context, RpcError>;

    /// Runs one method. Blocking: the server calls it off the async workers.
    fn dispatch(
        &self,
        ctx: &Self::Context,
        method: &str,
        params: &Params<'_>,
    ) -> Result<Box<RawValue>, RpcError>;

    /// The API whose heads, logs and pool arrivals `eth_subscribe` follows over a WebSocket on
    /// this server's port; `None` (the default): this server takes no WebSocket.
    fn subscriptions(&self) -> Option<&crate::EthApi> {
        None
    }
}

/// Where and how to listen.
#[derive(Debug, Clone)]
pub struct RpcServerConfig {
    /// Listen address.
    pub listen: SocketAddr,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Most calls in one batch, largest answer, and how long the calls may run.
    pub limits: BodyLimits,
    /// Origins allowed to call from a browser (`*` for any); empty: no CORS headers.
    pub cors_origins: Vec<String>,
    /// When set, every request must carry `Authorization: Bearer <jwt>` signed with this secret
    /// (the admin API).
    pub jwt: Option<JwtSecret>,
    /// What the server is called in logs, e.g. `JSON-RPC`, `admin JSON-RPC`.
    pub name: &'static str,
}

impl RpcServerConfig {
    /// The public server of `[rpc]`.
    pub fn public(rpc: &RpcConfig) -> Self {
        Self {
            listen: rpc.listen,
            max_body_bytes: rpc.max_body_bytes,
            limits: BodyLimits {
                max_batch: rpc.max_batch_requests,
                max_response_bytes: rpc.max_response_bytes,
                timeout: rpc.request_timeout,
            },
            cors_origins: rpc.cors_origins.clone(),
            jwt: None,
            name: "JSON-RPC",
        }
    }

    /// The admin server on `listen`, with `[rpc]`'s bounds, behind `secret`.
    pub fn admin(rpc: &RpcConfig, listen: SocketAddr, secret: JwtSecret) -> Self {
        Self {
            listen,
            jwt: Some(secret),
            name: "admin JSON-RPC",
            ..Self::public(rpc)
        }
    }
}

/// A JSON-RPC server bound to its address, ready to [`RpcServer::run`].
#[derive(Debug)]
pub struct RpcServer<M> {
    listener: TcpListener,
    module: Arc<M>,
    config: Arc<RpcServerConfig>,
}

impl<M: RpcModule> RpcServer<M> {
    /// Binds `config.listen` for `module`. Binding apart from running lets a node refuse to
    /// start (naming the config key) before any of its tasks runs.
    pub async fn bind(module: Arc<M>, config: RpcServerConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind(config.listen).await?;
        Ok(Self {
            listener,
            module,
            config: Arc::new(config),
        })
    }

    /// The address the server listens on (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes and the requests in flight are answered.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let Self {
            listener,
            module,
            config,
        } = self;
        info!(target: "keel::rpc", authenticated = config.jwt.is_some(), "{} ready", config.name);
        // WebSocket connections leave hyper once upgraded: they watch `stopping` to close.
        let (stop, stopping) = watch::channel(false);
        let ws = module.subscriptions().is_some().then(|| WsShared {
            marks: watch::Sender::new((0, 0)),
            stopping,
            slots: Arc::new(Semaphore::new(MAX_WS_CONNECTIONS)),
        });
        let marks = ws.as_ref().map(|ws| ws.marks.clone());
        let serve = serve_http(
            config.name,
            listener,
            {
                let module = module.clone();
                move |_peer| {
                    let module = module.clone();
                    let config = config.clone();
                    let ws = ws.clone();
                    service_fn(move |req| handle(module.clone(), config.clone(), ws.clone(), req))
                }
            },
            async move {
                shutdown.await;
                let _ = stop.send(true);
            },
        );
        match marks {
            Some(marks) => {
                tokio::select! {
                    () = serve => {}
                    () = publish_marks(module, marks) => {}
                }
            }
            None => serve.await,
        }
    }
}

async fn handle<M: RpcModule>(
    module: Arc<M>,
    config: Arc<RpcServerConfig>,
    ws: Option<WsShared>,
    request: HttpRequest<Incoming>,
) -> Result<HttpResponse<Full<Bytes>>, Infallible> {
    let origin = request.headers().get(header::ORIGIN);
    let cors = allowed_origin(&config.cors_origins, origin);
    let reply = |status, body| reply(status, body, cors.clone());
    if let Some(ws) = ws.filter(|_| ws::is_upgrade(&request)) {
        // A browser page may open a WebSocket to any origin (no CORS there): the server checks
        // the page's origin itself, against the same list as HTTP's CORS.
        if origin.is_some() && cors.is_none() {
            return Ok(reply(
                StatusCode::FORBIDDEN,
                single_error(RpcError::unauthorized("origin not in rpc.cors_origins")),
            ));
        }
        let limits = config.limits;
        return Ok(
            match ws::accept(request, module, limits, config.max_body_bytes, &ws) {
                Ok(switching) => switching,
                Err((status, why)) => reply(status, single_error(RpcError::invalid_request(why))),
            },
        );
    }
    match *request.method() {
        Method::POST => {}
        Method::OPTIONS => return Ok(reply(StatusCode::NO_CONTENT, Bytes::new())),
        _ => {
            return Ok(reply(
                StatusCode::METHOD_NOT_ALLOWED,
                Bytes::from_static(b"{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"JSON-RPC requests must use POST\"}}"),
            ));
        }
    }
    if let Some(secret) = &config.jwt {
        let header = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        if let Err(error) = secret.validate_header(header) {
            debug!(target: "keel::rpc", %error, "{} request refused", config.name);
            return Ok(reply(
                StatusCode::UNAUTHORIZED,
                single_error(RpcError::unauthorized(error)),
            ));
        }
    }
    let body = match Limited::new(request.into_body(), config.max_body_bytes)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            let error = RpcError::invalid_request(format!(
                "request body exceeds {} bytes",
                config.max_body_bytes
            ));
            return Ok(reply(StatusCode::PAYLOAD_TOO_LARGE, single_error(error)));
        }
    };
    let limits = config.limits;
    let response = tokio::task::spawn_blocking(move || handle_body(&*module, &body, limits)).await;
    match response {
        Ok(bytes) => Ok(reply(StatusCode::OK, bytes)),
        Err(e) => Ok(reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            single_error(RpcError::internal(e)),
        )),
    }
}

/// The `Access-Control-Allow-Origin` answer to a request from `origin`: `*` when any origin
/// is allowed, the origin itself when it is listed, none otherwise (the browser then refuses).
fn allowed_origin(
    allowed: &[String],
    origin: Option<&header::HeaderValue>,
) -> Option<header::HeaderValue> {
    if allowed.iter().any(|a| a == "*") {
        return Some(header::HeaderValue::from_static("*"));
    }
    let origin = origin?;
    allowed
        .iter()
        .any(|a| a.as_bytes() == origin.as_bytes())
        .then(|| origin.clone())
}

fn reply(
    status: StatusCode,
    body: Bytes,
    cors: Option<header::HeaderValue>,
) -> HttpResponse<Full<Bytes>> {
    let mut response = HttpResponse::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    if let Some(origin) = cors {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            header::HeaderValue::from_static("content-type, authorization"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            header::HeaderValue::from_static("POST, OPTIONS"),
        );
        headers.insert(header::VARY, header::HeaderValue::from_static("origin"));
    }
    response
}

fn single_error(error: RpcError) -> Bytes {
    encode(&Response::new(NULL_ID, Err(error)))
}

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> Bytes {
    // Serialising our own response types cannot fail: they hold only JSON-safe values.
    serde_json::to_vec(value)
        .map(Bytes::from)
        .unwrap_or_else(|_| Bytes::from_static(b"null"))
}

/// What one request may cost the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    /// Most calls in one batch.
    pub max_batch: usize,
    /// Once a request's answers pass this many bytes, its remaining calls are not run.
    pub max_response_bytes: usize,
    /// Once a request has run this long, its remaining calls are not run.
    pub timeout: std::time::Duration,
}

/// Answers a whole request body (one call or a batch, within `limits`) as the server does:
/// the bytes of the JSON answer. Public for embedding and for the fuzz targets.
pub fn handle_body<M: RpcModule>(module: &M, body: &[u8], limits: BodyLimits) -> Bytes {
    let started = std::time::Instant::now();
    let max_batch = limits.max_batch;
    // One context per HTTP request: every call of a batch sees the same block, and the
    // tables are opened once.
    let ctx = match module.begin() {
        Ok(ctx) => ctx,
        Err(error) => return single_error(error),
    };
    let text = match std::str::from_utf8(body) {
        Ok(text) => text.trim_start(),
        Err(e) => return single_error(RpcError::parse(e)),
    };
    if text.starts_with('[') {
        let calls: Vec<&RawValue> = match serde_json::from_str(text) {
            Ok(calls) => calls,
            Err(e) => return single_error(RpcError::parse(e)),
        };
        if calls.is_empty() {
            return single_error(RpcError::invalid_request("empty batch"));
        }
        if calls.len() > max_batch {
            return single_error(RpcError::invalid_request(format!(
                "batch of {} calls exceeds the limit of {max_batch}",
                calls.len()
            )));
        }
        // Run in order until the answers or the time run out; the rest are answered with the
        // limit they hit, unrun, so one request can pin neither memory nor a thread for long.
        let mut bytes = 0usize;
        let responses: Vec<Response<'_>> = calls
            .iter()
            .map(|call| {
                let over = if bytes > limits.max_response_bytes {
                    Some(format!(
                        "response too large: the batch's answers passed {} bytes \
                         (rpc.max_response_bytes); send the remaining calls again",
                        limits.max_response_bytes
                    ))
                } else if started.elapsed() > limits.timeout {
                    Some(format!(
                        "request timed out: the batch ran past {:?} (rpc.request_timeout); \
                         send the remaining calls again",
                        limits.timeout
                    ))
                } else {
                    None
                };
                let response = match over {
                    Some(message) => unrun(call, RpcError::limit_exceeded(message)),
                    None => handle_call(module, &ctx, call),
                };
                bytes += response.len_hint();
                response
            })
            .collect();
        encode(&responses)
    } else {
        let call: &RawValue = match serde_json::from_str(text) {
            Ok(call) => call,
            Err(e) => return single_error(RpcError::parse(e)),
        };
        let response = handle_call(module, &ctx, call);
        if response.len_hint() > limits.max_response_bytes {
            return encode(&unrun(
                call,
                RpcError::limit_exceeded(format!(
                    "response too large: over {} bytes (rpc.max_response_bytes)",
                    limits.max_response_bytes
                )),
            ));
        }
        encode(&response)
    }
}

/// The answer to `raw` when a limit keeps it from running: its id (if it has one) and `error`.
fn unrun<'a>(raw: &'a RawValue, error: RpcError) -> Response<'a> {
    let id = serde_json::from_str::<Request<'a>>(raw.get())
        .ok()
        .and_then(|request| request.id)
        .unwrap_or(NULL_ID);
    Response::new(id, Err(error))
}

fn handle_call<'a, M: RpcModule>(module: &M, ctx: &M::Context, raw: &'a RawValue) -> Response<'a> {
    let request: Request<'a> = match serde_json::from_str(raw.get()) {
        Ok(request) => request,
        Err(e) => {
            return Response::new(
                NULL_ID,
                Err(RpcError::invalid_request(format!("invalid request: {e}"))),
            );
        }
    };
    let id = request.id.unwrap_or(NULL_ID);
    if request.jsonrpc.is_some_and(|v| v != "2.0") {
        return Response::new(
            id,
            Err(RpcError::invalid_request("jsonrpc must be \"2.0\"")),
        );
    }
    let result = Params::parse(request.params).and_then(|params| {
        // A panic in a handler is a bug, but it must never take the server down or leave the
        // caller hanging.
        std::panic::catch_unwind(AssertUnwindSafe(|| {
            module.dispatch(ctx, &request.method, &params)
        }))
        .unwrap_or_else(|_| Err(RpcError::internal(format!("{} panicked", request.method))))
    });
    Response::new(id, result)
}
