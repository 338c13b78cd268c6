//! Serving the router over HTTPS (or plain HTTP) until SIGINT/SIGTERM.
//!
//! The accept loop is our own, on hyper, so that every connection is held to the
//! `[http]` limits: at most `max_connections` are served at once (past the cap the loop
//! stops accepting, and new connections wait in the listen backlog until one closes),
//! and each is closed by its watchdog when a clock of its [`activity`] runs out — no
//! first request head within the header timeout of accept (TLS handshake included), a
//! head begun and not finished in time, idle too long between requests, or a response
//! the client stopped reading. Request bodies are held to a minimum rate by
//! `depot_http::body_rate`. HTTP/2 connections get at most `max_h2_streams` streams.

mod activity;
mod connection;
mod watched;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use depot_http::{body_rate, linger};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tracing::{info, warn};

use self::connection::Connections;
use crate::app::App;
use crate::config::HttpConfig;
use crate::tls;

/// Connections waiting to be accepted, past `max_connections` (the kernel caps it at
/// `net.core.somaxconn`).
const BACKLOG: u32 = 1024;

/// Pause after a failed accept (out of file descriptors, say) before the next one.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves until a shutdown signal, then drains requests and tasks within the grace.
pub async fn run(app: App, data_dir: &std::path::Path) -> anyhow::Result<()> {
    let config = app.config.clone();
    let shutdown = Shutdown::new();
    let router = router(&app, linger::Budget::DEFAULT);
    let grace = config.shutdown_grace;
    let signal_shutdown = shutdown.clone();
    let engine = app.services.tasks.clone();
    let stopping = app.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        stopping.stop();
        info!(
            grace_seconds = grace.as_secs(),
            "shutting down: no new connections, draining requests and tasks"
        );
        signal_shutdown.graceful(grace);
        engine.shutdown(grace).await;
    });
    let listener =
        bind(config.listen).with_context(|| format!("cannot listen on {}", config.listen))?;
    let tls = if config.plain_http {
        info!(address = %config.listen, scheme = "http", "depotd listening");
        None
    } else {
        let files = tls::resolve(
            data_dir,
            config.tls_cert.as_deref(),
            config.tls_key.as_deref(),
        )?;
        info!(
            cert = %files.cert.display(),
            sha256_thumbprint = %tls::thumbprint(&files.cert)?,
            "TLS certificate"
        );
        let rustls = tls::server_config(&files)?;
        info!(address = %config.listen, scheme = "https", "depotd listening");
        Some(rustls)
    };
    serve(listener, tls, router, &config.http, shutdown).await?;
    // Let the engine finish checkpointing before the process exits.
    app.services.tasks.shutdown(grace).await;
    info!("depotd stopped");
    Ok(())
}

/// The app's router as served to connections: behind the layer that answers a request
/// refused before its body was read and discards the rest within `linger`, and,
/// outermost, the one holding request bodies to the configured minimum rate.
pub fn router(app: &App, linger: linger::Budget) -> Router {
    let rate = body_rate::MinRate {
        bytes: app.config.http.body_min_rate_bytes,
        window: app.config.http.body_rate_window,
    };
    app.router()
        .layer(axum::middleware::from_fn_with_state(linger, linger::layer))
        .layer(axum::middleware::from_fn_with_state(rate, body_rate::layer))
}

/// Stops a [`serve`] loop: it accepts no more connections, tells the open ones to
/// close once their requests are answered, and drops those still open after the grace.
#[derive(Debug, Clone)]
pub struct Shutdown(Arc<watch::Sender<Option<Duration>>>);

impl Shutdown {
    /// Not stopping yet.
    pub fn new() -> Self {
        Self(Arc::new(watch::channel(None).0))
    }

    /// Stops, giving open connections `grace` to finish.
    pub fn graceful(&self, grace: Duration) {
        self.0.send_replace(Some(grace));
    }

    /// Stops and drops every connection.
    pub fn now(&self) {
        self.graceful(Duration::ZERO);
    }

    fn subscribe(&self) -> watch::Receiver<Option<Duration>> {
        self.0.subscribe()
    }
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

/// Serves `router` on `listener`, over TLS when `tls` is given, with the connection
/// limits of `limits`, until `shutdown`.
pub async fn serve(
    listener: std::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    router: Router,
    limits: &HttpConfig,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = TcpListener::from_std(listener)?;
    let connections = Arc::new(Connections::new(router, tls, limits));
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut open = JoinSet::new();
    let mut stop = shutdown.subscribe();
    loop {
        tokio::select! {
            biased;
            () = stopped(&mut stop) => break,
            Some(_) = open.join_next(), if !open.is_empty() => {}
            accepted = accept(&listener, &slots) => match accepted {
                Ok((slot, stream, peer)) => {
                    let connection = Arc::clone(&connections);
                    open.spawn(connection.serve(stream, peer, slot, shutdown.subscribe()));
                }
                Err(e) => {
                    warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
        }
    }
    drop(listener);
    let grace = shutdown.subscribe().borrow().unwrap_or_default();
    let drained =
        tokio::time::timeout(grace, async { while open.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        info!(
            open = open.len(),
            "shutdown grace over: dropping the connections still open"
        );
        open.shutdown().await;
    }
    Ok(())
}

/// Resolves once `stop` says the server stops.
async fn stopped(stop: &mut watch::Receiver<Option<Duration>>) {
    // An error means the `Shutdown` is gone: nothing can stop the server but this.
    let _ = stop.wait_for(Option::is_some).await;
}

/// The next connection, once a slot under the cap is free.
async fn accept(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> std::io::Result<(OwnedSemaphorePermit, TcpStream, SocketAddr)> {
    let slot = Arc::clone(slots)
        .acquire_owned()
        .await
        .expect("the connection semaphore is never closed");
    let (stream, peer) = listener.accept().await?;
    Ok((slot, stream, peer))
}

/// A listener on `address` with a [`BACKLOG`]-deep queue.
fn bind(address: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As std's `TcpListener::bind` does: a restart may bind while old connections linger.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(BACKLOG)?.into_std()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
