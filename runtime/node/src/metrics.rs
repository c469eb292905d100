//! The Prometheus endpoint: `GET /metrics` in the text exposition format.

use std::{convert::Infallible, future::Future, sync::Arc};

use http_body_util::Full;
use hyper::{Response, body::Bytes, service::service_fn};
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tracing::warn;

/// Serves `registry` on `listener` until `shutdown` completes.
pub(crate) async fn run(
    listener: TcpListener,
    registry: Arc<Registry>,
    shutdown: impl Future<Output = ()>,
) {
    keel_rpc::serve_http(
        "metrics",
        listener,
        move |_peer| {
            let registry = registry.clone();
            service_fn(move |_request| {
                let registry = registry.clone();
                async move { Ok::<_, Infallible>(encode(&registry)) }
            })
        },
        shutdown,
    )
    .await;
}

fn encode(registry: &Registry) -> Response<Full<Bytes>> {
    let mut text = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut text, registry) {
        warn!(target: "keel::node", error = %e, "metrics encoding failed");
    }
    let mut response = Response::new(Full::new(Bytes::from(text)));
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}
