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
use tokio::net::TcpListener;
use tracing::{debug, info};

use crate::{
    JwtSecret, RpcConfig, RpcError,
    http::serve_http,
    jsonrpc::{NULL_ID, Params, Request, Response},
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
}

/// Where and how to listen.
#[derive(Debug, Clone)]
pub struct RpcServerConfig {
    /// Listen address.
    pub listen: SocketAddr,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Most calls in one batch.
    pub max_batch: usize,
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
            max_batch: rpc.max_batch_requests,
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
        serve_http(
            config.name,
            listener,
            move |_peer| {
                let module = module.clone();
                let config = config.clone();
                service_fn(move |req| handle(module.clone(), config.clone(), req))
            },
            shutdown,
        )
        .await;
    }
}

async fn handle<M: RpcModule>(
    module: Arc<M>,
    config: Arc<RpcServerConfig>,
    request: HttpRequest<Incoming>,
) -> Result<HttpResponse<Full<Bytes>>, Infallible> {
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
    let max_batch = config.max_batch;
    let response =
        tokio::task::spawn_blocking(move || handle_body(&*module, &body, max_batch)).await;
    match response {
        Ok(bytes) => Ok(reply(StatusCode::OK, bytes)),
        Err(e) => Ok(reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            single_error(RpcError::internal(e)),
        )),
    }
}

fn reply(status: StatusCode, body: Bytes) -> HttpResponse<Full<Bytes>> {
    let mut response = HttpResponse::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        header::HeaderValue::from_static("content-type, authorization"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        header::HeaderValue::from_static("POST, OPTIONS"),
    );
    response
}

fn single_error(error: RpcError) -> Bytes {
    encode(&Response {
        jsonrpc: "2.0",
        id: NULL_ID,
        result: None,
        error: Some(error),
    })
}

fn encode<T: serde::Serialize>(value: &T) -> Bytes {
    // Serialising our own response types cannot fail: they hold only JSON-safe values.
    serde_json::to_vec(value)
        .map(Bytes::from)
        .unwrap_or_else(|_| Bytes::from_static(b"null"))
}

/// Answers a whole request body: one call or a batch.
pub(crate) fn handle_body<M: RpcModule>(module: &M, body: &[u8], max_batch: usize) -> Bytes {
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
        let responses: Vec<Response<'_>> = calls
            .iter()
            .map(|call| handle_call(module, &ctx, call))
            .collect();
        encode(&responses)
    } else {
        let call: &RawValue = match serde_json::from_str(text) {
            Ok(call) => call,
            Err(e) => return single_error(RpcError::parse(e)),
        };
        encode(&handle_call(module, &ctx, call))
    }
}

fn handle_call<'a, M: RpcModule>(module: &M, ctx: &M::Context, raw: &'a RawValue) -> Response<'a> {
    let request: Request<'a> = match serde_json::from_str(raw.get()) {
        Ok(request) => request,
        Err(e) => {
            return Response {
                jsonrpc: "2.0",
                id: NULL_ID,
                result: None,
                error: Some(RpcError::invalid_request(format!("invalid request: {e}"))),
            };
        }
    };
    let id = request.id.unwrap_or(NULL_ID);
    if request.jsonrpc.is_some_and(|v| v != "2.0") {
        return Response {
            jsonrpc: "2.0",
            id,
            result: None,
            error: Some(RpcError::invalid_request("jsonrpc must be \"2.0\"")),
        };
    }
    let result = Params::parse(request.params).and_then(|params| {
        // A panic in a handler is a bug, but it must never take the server down or leave the
        // caller hanging.
        std::panic::catch_unwind(AssertUnwindSafe(|| {
            module.dispatch(ctx, &request.method, &params)
        }))
        .unwrap_or_else(|_| Err(RpcError::internal(format!("{} panicked", request.method))))
    });
    match result {
        Ok(result) => Response {
            jsonrpc: "2.0",
            id,
            result: Some(result),
            error: None,
        },
        Err(error) => Response {
            jsonrpc: "2.0",
            id,
            result: None,
            error: Some(error),
        },
    }
}
