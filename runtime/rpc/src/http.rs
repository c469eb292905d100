//! [`serve_http`]: the one HTTP/1.1 accept loop of the node (JSON-RPC, admin API, metrics).

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use hyper::{
    Request, Response,
    body::{Body, Incoming},
    server::conn::http1,
    service::Service,
};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{net::TcpListener, sync::watch};
use tracing::{debug, info, warn};

/// First wait after a failed `accept`; doubled per failure up to [`MAX_ACCEPT_BACKOFF`].
const MIN_ACCEPT_BACKOFF: Duration = Duration::from_millis(10);
/// Longest wait between two `accept`s after failures: out of file descriptors (EMFILE) or
/// memory, retrying at once would spin a core and flood the log.
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// Most connections one server holds open at once; one more is closed as soon as it is accepted
/// (a client flood cannot exhaust the node's file descriptors or tasks).
pub const MAX_HTTP_CONNECTIONS: usize = 1024;
/// How long a client may take to send a request's headers (slowloris).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves HTTP/1.1 connections from `listener` until `shutdown` completes, each with the service
/// `make_service(peer)` returns; then stops accepting, lets requests in flight finish (idle
/// keep-alive connections are closed at once) and returns. An upgraded connection (a
/// WebSocket) leaves this count when it is handed over: its owner closes it.
///
/// A failed `accept` (EMFILE, ENOMEM, a connection reset before it was accepted) is logged and
/// retried after a backoff that grows to [`MAX_ACCEPT_BACKOFF`]; it never ends the loop.
pub async fn serve_http<S, B>(
    name: &'static str,
    listener: TcpListener,
    make_service: impl Fn(SocketAddr) -> S,
    shutdown: impl Future<Output = ()>,
) where
    S: Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let local = listener.local_addr().ok();
    info!(target: "keel::rpc", server = name, listen = ?local, "HTTP server listening");
    // Set at shutdown: each connection finishes its request in flight and closes.
    let (closing, closing_rx) = watch::channel(false);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_HTTP_CONNECTIONS));
    let mut backoff = MIN_ACCEPT_BACKOFF;
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => {
                    backoff = MIN_ACCEPT_BACKOFF;
                    accepted
                }
                Err(error) => {
                    warn!(target: "keel::rpc", server = name, %error, retry_in = ?backoff, "accept failed");
                    tokio::select! {
                        () = &mut shutdown => break,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_ACCEPT_BACKOFF);
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            debug!(target: "keel::rpc", server = name, %peer, limit = MAX_HTTP_CONNECTIONS, "too many connections; closing this one");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), make_service(peer))
            // A service may answer `101 Switching Protocols` (the JSON-RPC WebSocket).
            .with_upgrades();
        let mut closing = closing_rx.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                () = raised(&mut closing) => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = result {
                debug!(target: "keel::rpc", server = name, %peer, %error, "connection closed with an error");
            }
            drop(slot);
        });
    }
    // Requests in flight finish (the supervisor bounds how long that may take): every
    // connection gives its slot back when it closes.
    let _ = closing.send(true);
    let _ = slots.acquire_many(MAX_HTTP_CONNECTIONS as u32).await;
    debug!(target: "keel::rpc", server = name, "HTTP server stopped");
}

/// Completes once `flag` is (or was) raised, or its sender is gone.
pub(crate) async fn raised(flag: &mut watch::Receiver<bool>) {
    let _ = flag.wait_for(|raised| *raised).await;
}
