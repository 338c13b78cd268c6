//! A floor under the rate a request body arrives at, so that a client cannot hold a
//! request open by sending its body a few bytes at a time, while an honest upload of any
//! size passes however long it takes.
//!
//! [`layer`] wraps every request body. While a handler waits for more of the body, at
//! least [`MinRate::bytes`] must arrive in each [`MinRate::window`]; a window that ends
//! with fewer fails the body with [`TooSlow`]. Only time the handler spends waiting
//! counts against the client: a window that ends while the handler is busy with what it
//! read (writing it to disk, say) is not judged, and a new one starts at its next read.
//!
//! A handler reading the body sees the failure as a body error; the [`crate::Json`]
//! extractor answers it with 408 in the family's dialect ([`is_too_slow`] finds the
//! cause), and the lingering layer sees a body that failed, so the connection is closed
//! after the answer rather than drained.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// The slowest a request body may arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinRate {
    /// Fewest bytes per window; 0 turns the check off.
    pub bytes: u64,
    /// How long each window lasts.
    pub window: Duration,
}

/// Why a request body failed: fewer than `bytes` bytes arrived in a window of `window`
/// while the server waited for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooSlow {
    /// The rate not met.
    pub rate: MinRate,
}

impl fmt::Display for TooSlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the request body arrived too slowly: fewer than {} bytes in {} s",
            self.rate.bytes,
            self.rate.window.as_secs_f64()
        )
    }
}

impl std::error::Error for TooSlow {}

/// Whether `error`, or an error it was caused by, is [`TooSlow`] (axum wraps body
/// errors in its own rejection types).
pub fn is_too_slow(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.is::<TooSlow>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// Middleware (outside the lingering layer, so that it sees the failure): holds every
/// request body to `rate`.
pub async fn layer(State(rate): State<MinRate>, request: Request, next: Next) -> Response {
    if rate.bytes == 0 || request.body().is_end_stream() {
        return next.run(request).await;
    }
    let request = request.map(|inner| Body::new(Paced::new(inner, rate)));
    next.run(request).await
}

/// A request body held to a [`MinRate`].
struct Paced {
    inner: Body,
    rate: MinRate,
    /// End of the current window; `None` until the body is first read.
    window_end: Option<Instant>,
    /// Bytes received in the current window.
    received: u64,
    /// The last read found nothing: the handler is waiting for the client.
    waiting: bool,
    /// Wakes the reader at the end of the window it waits in.
    timer: Pin<Box<Sleep>>,
    failed: bool,
}

impl Paced {
    fn new(inner: Body, rate: MinRate) -> Self {
        Self {
            inner,
            rate,
            window_end: None,
            received: 0,
            waiting: false,
            timer: Box::pin(tokio::time::sleep(rate.window)),
            failed: false,
        }
    }

    fn too_slow(&self) -> axum::Error {
        axum::Error::new(TooSlow { rate: self.rate })
    }

    /// The end of the window in effect at `now`, judging the one that ended if the
    /// handler was waiting in it. `None`: the body failed.
    fn window_at(&mut self, now: Instant) -> Option<Instant> {
        match self.window_end {
            Some(end) if now < end => return Some(end),
            Some(_) if self.waiting && self.received < self.rate.bytes => {
                self.failed = true;
                return None;
            }
            _ => {}
        }
        let end = now + self.rate.window;
        self.window_end = Some(end);
        self.received = 0;
        Some(end)
    }
}

impl HttpBody for Paced {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if this.failed {
            return Poll::Ready(Some(Err(this.too_slow())));
        }
        let Some(end) = this.window_at(Instant::now()) else {
            return Poll::Ready(Some(Err(this.too_slow())));
        };
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        this.waiting = polled.is_pending();
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                let len = frame.data_ref().map_or(0, Bytes::len);
                let len = u64::try_from(len).unwrap_or(u64::MAX);
                this.received = this.received.saturating_add(len);
            }
            Poll::Pending => {
                if this.timer.deadline() != end {
                    this.timer.as_mut().reset(end);
                }
                // Already past (the window ended since it was checked): judge it now.
                if this.timer.as_mut().poll(cx).is_ready() {
                    cx.waker().wake_by_ref();
                }
            }
            Poll::Ready(_) => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        !self.failed && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant as StdInstant;

    use tokio::sync::mpsc;

    use super::*;

    const WINDOW: Duration = Duration::from_millis(500);
    const RATE: MinRate = MinRate {
        bytes: 100,
        window: WINDOW,
    };

    /// A request body the test writes chunk by chunk; dropping the sender ends it.
    struct Chunks(mpsc::Receiver<Bytes>);

    impl HttpBody for Chunks {
        type Data = Bytes;
        type Error = axum::Error;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
            self.0.poll_recv(cx).map(|c| c.map(|c| Ok(Frame::data(c))))
        }
    }

    fn paced() -> (mpsc::Sender<Bytes>, Body) {
        let (tx, rx) = mpsc::channel(64);
        (tx, Body::new(Paced::new(Body::new(Chunks(rx)), RATE)))
    }

    async fn next(body: &mut Body) -> Option<Result<Bytes, axum::Error>> {
        loop {
            match std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await? {
                Ok(frame) => {
                    if let Ok(data) = frame.into_data() {
                        return Some(Ok(data));
                    }
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }

    #[tokio::test]
    async fn a_trickle_fails_after_a_window() {
        let (tx, mut body) = paced();
        tokio::spawn(async move {
            for _ in 0..100 {
                if tx.send(Bytes::from_static(b"x")).await.is_err() {
                    return;
                }
                tokio::time::sleep(WINDOW / 20).await;
            }
        });
        let started = StdInstant::now();
        let error = loop {
            match next(&mut body).await {
                Some(Ok(_)) => {}
                Some(Err(e)) => break e,
                None => panic!("the trickle was read to its end"),
            }
        };
        assert!(is_too_slow(&error), "{error}");
        assert!(error.to_string().contains("100 bytes"), "{error}");
        assert!(started.elapsed() < WINDOW * 10, "{:?}", started.elapsed());
        assert!(next(&mut body).await.unwrap().is_err(), "it stays failed");
    }

    #[tokio::test]
    async fn a_steady_body_over_many_windows_passes() {
        let (tx, mut body) = paced();
        tokio::spawn(async move {
            for _ in 0..20 {
                tx.send(Bytes::from(vec![0u8; 60])).await.unwrap();
                tokio::time::sleep(WINDOW / 5).await;
            }
        });
        let mut total = 0;
        while let Some(chunk) = next(&mut body).await {
            total += chunk.unwrap().len();
        }
        assert_eq!(total, 20 * 60);
    }

    #[tokio::test]
    async fn time_the_reader_is_busy_is_not_held_against_the_client() {
        let (tx, mut body) = paced();
        tx.send(Bytes::from_static(b"first")).await.unwrap();
        assert_eq!(next(&mut body).await.unwrap().unwrap(), "first");
        // Busy past the end of the window, which saw 5 bytes only.
        tokio::time::sleep(WINDOW * 2).await;
        tokio::spawn(async move {
            tokio::time::sleep(WINDOW / 2).await;
            tx.send(Bytes::from(vec![0u8; 200])).await.unwrap();
        });
        assert_eq!(next(&mut body).await.unwrap().unwrap().len(), 200);
        assert!(next(&mut body).await.is_none());
    }

    #[test]
    fn the_cause_is_found_behind_wrappers() {
        let wrapped = axum::Error::new(axum::Error::new(TooSlow { rate: RATE }));
        assert!(is_too_slow(&wrapped));
        assert!(!is_too_slow(&axum::Error::new("other")));
    }
}
