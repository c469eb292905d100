//! The Prometheus endpoint: `GET /metrics` in the text exposition format.

use std::{convert::Infallible, net::SocketAddr, sync::Arc};

use http_body_util::Full;
use hyper::{Response, body::Bytes, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tracing::{info, warn};

/// Serves `registry` on `listen` until the runtime shuts down.
pub(crate) async fn serve(
    listen: SocketAddr,
    registry: Arc<Registry>,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(listen).await?;
    let local = listener.local_addr()?;
    info!(target: "keel::node", %local, "metrics listening");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let registry = registry.clone();
            tokio::spawn(async move {
                let service = service_fn(move |_req| {
                    let registry = registry.clone();
                    async move {
                        let mut text = String::new();
                        if let Err(e) =
                            prometheus_client::encoding::text::encode(&mut text, &registry)
                        {
                            warn!(target: "keel::node", error = %e, "metrics encoding failed");
                        }
                        let mut response = Response::new(Full::new(Bytes::from(text)));
                        response.headers_mut().insert(
                            hyper::header::CONTENT_TYPE,
                            hyper::header::HeaderValue::from_static("text/plain; version=0.0.4"),
                        );
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(local)
}
