//! [`StatusServer`]: serves the page and its report, and samples the head for the chart.

use std::{
    convert::Infallible,
    future::Future,
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use http_body_util::Full;
use hyper::{
    Method, Request, Response, StatusCode,
    body::{Bytes, Incoming},
    header::{self, HeaderValue},
    service::service_fn,
};
use keel_mempool::Mempool;
use keel_storage::Storage;
use tokio::{net::TcpListener, sync::Mutex};
use tracing::{debug, info};

use crate::{
    StatusReport,
    rates::{Rates, SAMPLE_INTERVAL},
};

/// A report this young is served again instead of being rebuilt.
pub const REPORT_MAX_AGE: Duration = Duration::from_millis(500);

/// The page: one file of HTML, CSS and script, compiled into the binary.
const PAGE: &str = include_str!("page.html");

/// The status page, bound to its address and ready to [`StatusServer::run`].
#[derive(Debug)]
pub struct StatusServer {
    listener: TcpListener,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    storage: Arc<Storage>,
    pool: Arc<Mempool>,
    chain_id: u64,
    rates: Rates,
    /// The last report and when it was made; held while one is built, so one is built at once.
    last: Mutex<Option<(Instant, Bytes)>>,
}

impl StatusServer {
    /// Binds `listen` for the chain `chain_id` in `storage`, with `pool`'s size.
    pub async fn bind(
        listen: SocketAddr,
        storage: Arc<Storage>,
        pool: Arc<Mempool>,
        chain_id: u64,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        Ok(Self {
            listener,
            shared: Arc::new(Shared {
                storage,
                pool,
                chain_id,
                rates: Rates::default(),
                last: Mutex::new(None),
            }),
        })
    }

    /// The address it listens on (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves and samples until `shutdown` completes.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let Self { listener, shared } = self;
        info!(target: "keel::status", listen = ?listener.local_addr().ok(), "status page ready");
        let serve = keel_rpc::serve_http(
            "status",
            listener,
            {
                let shared = shared.clone();
                move |_peer| {
                    let shared = shared.clone();
                    service_fn(move |request| answer(shared.clone(), request))
                }
            },
            shutdown,
        );
        tokio::select! {
            () = serve => {}
            () = sample(shared) => {}
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Samples the head every [`SAMPLE_INTERVAL`], forever.
async fn sample(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(SAMPLE_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let shared = shared.clone();
        let sampled = tokio::task::spawn_blocking(move || {
            let snapshot = shared.storage.snapshot()?;
            shared.rates.sample(&snapshot, now_ms())
        })
        .await;
        if let Ok(Err(error)) = sampled {
            debug!(target: "keel::status", %error, "head not sampled");
        }
    }
}

async fn answer(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return Ok(reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            Bytes::from_static(b"GET only\n"),
        ));
    }
    Ok(match request.uri().path() {
        "/" | "/index.html" => reply(
            StatusCode::OK,
            "text/html; charset=utf-8",
            Bytes::from_static(PAGE.as_bytes()),
        ),
        "/api/status" => match report(&shared).await {
            Ok(json) => reply(StatusCode::OK, "application/json", json),
            Err(error) => reply(
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain",
                Bytes::from(format!("status unavailable: {error}\n")),
            ),
        },
        _ => reply(
            StatusCode::NOT_FOUND,
            "text/plain",
            Bytes::from_static(b"not found: the page is at /, its data at /api/status\n"),
        ),
    })
}

/// The report as JSON: the last one while it is young, else a new one.
async fn report(shared: &Arc<Shared>) -> Result<Bytes, String> {
    let mut last = shared.last.lock().await;
    if let Some((made, json)) = last.as_ref()
        && made.elapsed() < REPORT_MAX_AGE
    {
        return Ok(json.clone());
    }
    let reader = shared.clone();
    let json = tokio::task::spawn_blocking(move || {
        let snapshot = reader.storage.snapshot().map_err(|e| e.to_string())?;
        let report = StatusReport::read(
            &snapshot,
            &reader.pool,
            &reader.rates,
            reader.chain_id,
            now_ms(),
        )
        .map_err(|e| e.to_string())?;
        serde_json::to_vec(&report)
            .map(Bytes::from)
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())??;
    *last = Some((Instant::now(), json.clone()));
    Ok(json)
}

fn reply(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Everything the page needs is in it or from this origin.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:",
        ),
    );
    response
}
