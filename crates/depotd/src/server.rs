//! Serving the router over HTTPS (or plain HTTP) until SIGINT/SIGTERM.

use std::net::SocketAddr;

use anyhow::Context;
use axum::Router;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use depot_http::linger;
use tracing::info;

use crate::app::App;
use crate::tls;

/// Serves until a shutdown signal, then drains requests and tasks within the grace.
pub async fn run(app: App, data_dir: &std::path::Path) -> anyhow::Result<()> {
    let config = app.config.clone();
    let handle: Handle<SocketAddr> = Handle::new();
    let router = router(&app, linger::Budget::DEFAULT);
    let grace = config.shutdown_grace;
    let signal_handle = handle.clone();
    let engine = app.services.tasks.clone();
    let stopping = app.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        stopping.stop();
        info!(
            grace_seconds = grace.as_secs(),
            "shutting down: no new connections, draining requests and tasks"
        );
        signal_handle.graceful_shutdown(Some(grace));
        engine.shutdown(grace).await;
    });
    let listener = std::net::TcpListener::bind(config.listen)
        .with_context(|| format!("cannot listen on {}", config.listen))?;
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
        let rustls = tls::server_config(&files).await?;
        info!(address = %config.listen, scheme = "https", "depotd listening");
        Some(rustls)
    };
    serve(listener, tls, router, handle).await?;
    // Let the engine finish checkpointing before the process exits.
    app.services.tasks.shutdown(grace).await;
    info!("depotd stopped");
    Ok(())
}

/// The app's router as served to connections: behind the layer that answers a request
/// refused before its body was read, and discards the rest within `linger`.
pub fn router(app: &App, linger: linger::Budget) -> Router {
    app.router()
        .layer(axum::middleware::from_fn_with_state(linger, linger::layer))
}

/// Serves `router` on `listener`, over TLS when `tls` is given, until `handle` shuts
/// it down.
pub async fn serve(
    listener: std::net::TcpListener,
    tls: Option<RustlsConfig>,
    router: Router,
    handle: Handle<SocketAddr>,
) -> anyhow::Result<()> {
    listener.set_nonblocking(true)?;
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        None => {
            axum_server::from_tcp(listener)?
                .handle(handle)
                .serve(service)
                .await?;
        }
        Some(rustls) => {
            axum_server::from_tcp_rustls(listener, rustls)?
                .handle(handle)
                .serve(service)
                .await?;
        }
    }
    Ok(())
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
