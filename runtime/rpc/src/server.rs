//! The HTTP server: hyper over tokio, JSON-RPC framing, bounded bodies and batches.

use std::{convert::Infallible, net::SocketAddr, panic::AssertUnwindSafe, sync::Arc};

use http_body_util::{BodyExt, Full, Limited};
use hyper::{
    Method, Request as HttpRequest, Response as HttpResponse, StatusCode,
    body::{Bytes, Incoming},
    header,
    server::conn::http1,
    service::service_fn,
};
use hyper_util::rt::TokioIo;
use keel_storage::Snapshot;
use serde_json::value::RawValue;
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};
use tracing::{debug, info, warn};

use crate::{
    EthApi, RpcError,
    jsonrpc::{NULL_ID, Params, Request, Response},
};

/// Default request body limit (10 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// Default batch limit.
pub const DEFAULT_MAX_BATCH: usize = 1000;

/// Where and how to listen.
#[derive(Debug, Clone)]
pub struct RpcServerConfig {
    /// Listen address.
    pub listen: SocketAddr,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Most calls in one batch.
    pub max_batch: usize,
}

/// A running server.
#[derive(Debug)]
pub struct RpcServer {
    local_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RpcServer {
    /// The address the server listens on (useful with port 0).
    pub const fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting connections and waits for the accept loop to end.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

/// Binds `config.listen` and serves `api` until stopped.
pub async fn serve(api: Arc<EthApi>, config: RpcServerConfig) -> std::io::Result<RpcServer> {
    let listener = TcpListener::bind(config.listen).await?;
    let local_addr = listener.local_addr()?;
    let (shutdown, mut stopped) = watch::channel(false);
    let config = Arc::new(config);
    info!(target: "keel::rpc", %local_addr, "JSON-RPC listening");
    let task = tokio::spawn(async move {
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        warn!(target: "keel::rpc", error = %e, "accept failed");
                        continue;
                    }
                },
                _ = stopped.changed() => break,
            };
            let _ = stream.set_nodelay(true);
            let api = api.clone();
            let config = config.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| handle(api.clone(), config.clone(), req));
                if let Err(e) = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    debug!(target: "keel::rpc", %peer, error = %e, "connection closed with error");
                }
            });
        }
    });
    Ok(RpcServer {
        local_addr,
        shutdown,
        task,
    })
}

async fn handle(
    api: Arc<EthApi>,
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
    let response = tokio::task::spawn_blocking(move || handle_body(&api, &body, max_batch)).await;
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
        header::HeaderValue::from_static("content-type"),
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
pub(crate) fn handle_body(api: &EthApi, body: &[u8], max_batch: usize) -> Bytes {
    // One snapshot per HTTP request: every call of a batch sees the same block, and the
    // tables are opened once.
    let snapshot = match api.snapshot() {
        Ok(snapshot) => snapshot,
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
            .map(|call| handle_call(api, &snapshot, call))
            .collect();
        encode(&responses)
    } else {
        let call: &RawValue = match serde_json::from_str(text) {
            Ok(call) => call,
            Err(e) => return single_error(RpcError::parse(e)),
        };
        encode(&handle_call(api, &snapshot, call))
    }
}

fn handle_call<'a>(api: &EthApi, snapshot: &Snapshot, raw: &'a RawValue) -> Response<'a> {
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
            api.dispatch(snapshot, &request.method, &params)
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
