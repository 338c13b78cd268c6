//! One connection: its TLS handshake, HTTP/1 or HTTP/2 over it, and the watchdog that
//! closes it when its [`Activity`] is due.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, watch};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tracing::debug;

use super::activity::{Activity, Clocks};
use super::stopped;
use super::watched::{Handler, Metered};
use crate::config::HttpConfig;

/// How long a connection told to close gracefully (HTTP/2 `GOAWAY`, HTTP/1 keep-alive
/// off) has before it is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// How often the watchdog looks again while no clock runs (requests in flight); every
/// clock is whole seconds, so a clock that starts in between is seen in time.
const RECHECK: Duration = Duration::from_secs(1);

/// Most unsent bytes the kernel queues for a connection (Linux `TCP_NOTSENT_LOWAT`).
/// Without it a slow reader's send buffer autotunes to MiBs, and the socket only takes
/// more once a third of it is sent: a reader at 256 KiB/s would leave a response
/// waiting for several seconds at a time, and the send clock would measure the
/// buffer rather than the reader. With it, the socket takes more every 128 KiB the
/// client reads (so the send timeout cuts only clients slower than 128 KiB per
/// timeout), and the bytes in flight are still as many as the network allows.
#[cfg(target_os = "linux")]
const NOTSENT_LOWAT: u32 = 256 * 1024;

/// What every connection of a server shares.
pub(super) struct Connections {
    router: Router,
    tls: Option<TlsAcceptor>,
    builder: auto::Builder<TokioExecutor>,
    clocks: Clocks,
}

impl Connections {
    pub(super) fn new(
        router: Router,
        tls: Option<Arc<rustls::ServerConfig>>,
        limits: &HttpConfig,
    ) -> Self {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        // No timer is given to hyper: its HTTP/1 header timeout would also cut idle
        // keep-alive connections at that time. The watchdog keeps every clock.
        builder
            .http2()
            .max_concurrent_streams(limits.max_h2_streams);
        Self {
            router,
            tls: tls.map(TlsAcceptor::from),
            builder,
            clocks: Clocks {
                header_read: limits.header_read_timeout,
                idle: limits.idle_timeout,
                send: limits.send_timeout,
            },
        }
    }

    /// Serves `stream` until it is done, due or the server stops (`stop` holds the
    /// grace once it does); `_slot` is the connection's place under the cap.
    pub(super) async fn serve(
        self: Arc<Self>,
        stream: TcpStream,
        peer: SocketAddr,
        _slot: OwnedSemaphorePermit,
        mut stop: watch::Receiver<Option<Duration>>,
    ) {
        let accepted = Instant::now();
        // Answers go out as hyper writes them; it batches them already.
        let _ = stream.set_nodelay(true);
        #[cfg(target_os = "linux")]
        let _ = socket2::SockRef::from(&stream).set_tcp_notsent_lowat(NOTSENT_LOWAT);
        let activity = Arc::new(Activity::new(accepted, self.clocks));
        let Some(acceptor) = &self.tls else {
            let io = Metered::new(stream, Arc::clone(&activity));
            return self.http(io, peer, activity, stop).await;
        };
        let handshake =
            tokio::time::timeout_at(accepted + self.clocks.header_read, acceptor.accept(stream));
        let tls = tokio::select! {
            done = handshake => match done {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => return debug!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => return debug!(%peer, "TLS handshake not done in time: closed"),
            },
            () = stopped(&mut stop) => return,
        };
        let io = Metered::new(tls, Arc::clone(&activity));
        self.http(io, peer, activity, stop).await;
    }

    /// HTTP over `io` until the connection ends, is due, or the server stops and it
    /// drains.
    async fn http<I>(
        &self,
        io: Metered<I>,
        peer: SocketAddr,
        activity: Arc<Activity>,
        mut stop: watch::Receiver<Option<Duration>>,
    ) where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let service = Handler {
            router: self.router.clone(),
            peer,
            activity: Arc::clone(&activity),
        };
        let connection = self.builder.serve_connection(TokioIo::new(io), service);
        tokio::pin!(connection);
        let mut draining = false;
        // Told to close (HTTP/2 `GOAWAY`, HTTP/1 keep-alive off).
        let mut told = false;
        // When it is dropped if it has not closed by then; set once it is due.
        let mut drop_at: Option<Instant> = None;
        loop {
            let now = Instant::now();
            let wake = drop_at.unwrap_or_else(|| {
                activity
                    .due(now, draining)
                    .map_or(now + RECHECK, |(at, _)| at)
            });
            tokio::select! {
                ended = connection.as_mut() => {
                    if let Err(e) = ended {
                        debug!(%peer, error = %e, "connection ended");
                    }
                    return;
                }
                () = stopped(&mut stop), if !draining => {
                    draining = true;
                    if !told {
                        connection.as_mut().graceful_shutdown();
                        told = true;
                    }
                }
                () = tokio::time::sleep_until(wake) => {
                    let now = Instant::now();
                    if drop_at.is_some_and(|at| at <= now) {
                        return debug!(%peer, "connection not closed in time: dropped");
                    }
                    let due = activity.due(now, draining).filter(|(at, _)| *at <= now);
                    if let (None, Some((_, reason))) = (drop_at, due) {
                        debug!(%peer, reason, "closing the connection");
                        if !told {
                            connection.as_mut().graceful_shutdown();
                            told = true;
                        }
                        drop_at = Some(now + CLOSE_GRACE);
                    }
                }
            }
        }
    }
}
