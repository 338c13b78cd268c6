//! Lingering on unread request bodies, as nginx's lingering close does.
//!
//! A request refused before its body was read (too large, unauthenticated, expired
//! session) is answered at once. Over HTTP/1 the client may still be writing the body
//! and only read the answer once it has written all of it (Python `requests` does). If
//! the server dropped the body, hyper would stop reading and close the connection after
//! the answer, and the client would see a reset or an EOF instead of the answer.
//!
//! [`layer`] wraps every HTTP/1 request body to note whether it was read to its end.
//! When it was not, the answer carries `Connection: close`, and the rest of the body is
//! read and discarded by a background task within a [`Budget`] (bytes, total time, idle
//! time); while that task reads, hyper keeps reading the socket, so the client can
//! finish writing and then read the answer. Past the budget the body is dropped and
//! hyper closes the connection.
//!
//! HTTP/2 closes no connection for it, but an unread stream would be reset
//! (`RST_STREAM`), and clients that are still sending when the reset arrives drop the
//! answer with the stream (curl reports error 92). So an HTTP/2 body is discarded
//! within the same budget, without `Connection: close`; the stream then ends cleanly.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Version, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};
use tokio::time::Instant;
use tracing::debug;

/// Most bytes of an unread body read and discarded after its answer: enough for a
/// 2 GiB upload refused at its first bytes (it still gets its answer), and a body
/// declared larger is not read at all (its connection is closed at once). Reading costs
/// bandwidth and decryption only; [`MAX_TIME`] bounds it on a fast link too.
pub const MAX_BYTES: u64 = 4 << 30;

/// Longest time spent discarding one unread body (nginx's `lingering_time`). A 2 GiB
/// body at 1 Gbit/s takes about 18 s.
pub const MAX_TIME: Duration = Duration::from_secs(30);

/// Longest wait for more of an unread body before giving up (nginx's
/// `lingering_timeout`).
pub const IDLE: Duration = Duration::from_secs(5);

/// How much of an unread request body is discarded before the connection is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Most bytes read after the body was abandoned.
    pub max_bytes: u64,
    /// Longest time spent reading them.
    pub max_time: Duration,
    /// Longest wait for the next part of the body.
    pub idle: Duration,
}

impl Budget {
    /// [`MAX_BYTES`], [`MAX_TIME`] and [`IDLE`].
    pub const DEFAULT: Self = Self {
        max_bytes: MAX_BYTES,
        max_time: MAX_TIME,
        idle: IDLE,
    };
}

impl Default for Budget {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Middleware (outermost, `from_fn_with_state`): discards the rest of a request body
/// that was not read to its end within `budget` once the answer is on its way, and
/// answers such an HTTP/1 request with `Connection: close`.
pub async fn layer(State(budget): State<Budget>, request: Request, next: Next) -> Response {
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let http1 = request.version() < Version::HTTP_2;
    let tracker = Arc::new(Mutex::new(Tracker::default()));
    let request = request.map(|body| {
        Body::new(Tracked {
            inner: body,
            tracker: Arc::clone(&tracker),
            budget,
        })
    });
    let mut response = next.run(request).await;
    let (unread, abandoned) = {
        let mut t = tracker.lock().unwrap_or_else(PoisonError::into_inner);
        t.answered = true;
        (t.state != ReadState::Ended, t.abandoned.take())
    };
    if unread && http1 {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    // Started only now, so that hyper has the answer before the body is asked for:
    // a client waiting for `100 Continue` is answered instead of invited to send.
    if let Some(body) = abandoned {
        tokio::spawn(discard(body, budget));
    }
    response
}

/// How far a request body was read.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum ReadState {
    /// More may follow.
    #[default]
    Open,
    /// Read to its end.
    Ended,
    /// Failed (the client went away or broke the framing): nothing more to read.
    Failed,
}

/// What the body and the layer share.
#[derive(Default)]
struct Tracker {
    state: ReadState,
    /// The layer has the answer: a body abandoned from now on is discarded at once.
    answered: bool,
    /// A body abandoned before the answer, for the layer to discard after it.
    abandoned: Option<Body>,
}

/// A request body that notes whether it was read to its end, and hands itself over to
/// be discarded when dropped before.
struct Tracked {
    inner: Body,
    tracker: Arc<Mutex<Tracker>>,
    budget: Budget,
}

impl Tracked {
    fn note(&self, state: ReadState) {
        self.tracker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .state = state;
    }
}

impl HttpBody for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => self.note(ReadState::Ended),
            Poll::Ready(Some(Err(_))) => self.note(ReadState::Failed),
            Poll::Ready(Some(Ok(_))) | Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let body = std::mem::take(&mut self.inner);
        let mut t = self.tracker.lock().unwrap_or_else(PoisonError::into_inner);
        if t.state != ReadState::Open {
            return;
        }
        if body.is_end_stream() {
            t.state = ReadState::Ended;
        } else if !t.answered {
            t.abandoned = Some(body);
        } else if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(discard(body, self.budget));
        }
    }
}

/// Reads and drops the rest of `body` within `budget`, then drops the body (which
/// lets hyper close the connection).
async fn discard(mut body: Body, budget: Budget) {
    let declared = body.size_hint().lower();
    if declared > budget.max_bytes {
        debug!(
            declared,
            "unread request body larger than the discard budget: closing"
        );
        return;
    }
    let deadline = Instant::now() + budget.max_time;
    let mut read: u64 = 0;
    let outcome = loop {
        let wait = deadline.min(Instant::now() + budget.idle);
        let frame = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx));
        match tokio::time::timeout_at(wait, frame).await {
            Ok(Some(Ok(frame))) => {
                let len = frame.data_ref().map_or(0, Bytes::len);
                read = read.saturating_add(u64::try_from(len).unwrap_or(u64::MAX));
                if read > budget.max_bytes {
                    break "byte budget spent";
                }
            }
            Ok(None) => break "discarded to its end",
            Ok(Some(Err(_))) => break "client went away",
            Err(_) if wait == deadline => break "time budget spent",
            Err(_) => break "client idle",
        }
    };
    debug!(read, outcome, "unread request body");
}
