//! [`BodyReader`]: a response body as an `AsyncRead` for `BlobStore::put`, which keeps the
//! `reqwest` error that ended it so the caller can tell a timeout from a cut-off body.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Buf as _, Bytes};
use futures_util::FutureExt as _;
use tokio::io::{AsyncRead, ReadBuf};

/// A pending `Response::chunk()`, which hands the response back with the chunk.
type NextChunk =
    Pin<Box<dyn Future<Output = (reqwest::Response, reqwest::Result<Option<Bytes>>)> + Send>>;

/// Reads a response body chunk by chunk, never holding more than one chunk.
pub(crate) struct BodyReader {
    next: Option<NextChunk>,
    current: Bytes,
    received: u64,
    failure: Option<reqwest::Error>,
}

impl BodyReader {
    /// Reads the body of `response`.
    pub(crate) fn new(response: reqwest::Response) -> Self {
        Self {
            next: Some(read_chunk(response)),
            current: Bytes::new(),
            received: 0,
            failure: None,
        }
    }

    /// Bytes received from the network so far.
    pub(crate) fn received(&self) -> u64 {
        self.received
    }

    /// The error that ended the body, if one did (without its URL).
    pub(crate) fn take_failure(&mut self) -> Option<reqwest::Error> {
        self.failure.take()
    }
}

impl AsyncRead for BodyReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        while this.current.is_empty() {
            if this.failure.is_some() {
                return Poll::Ready(Err(io::Error::other("depot response body failed")));
            }
            let Some(next) = this.next.as_mut() else {
                return Poll::Ready(Ok(()));
            };
            let Poll::Ready((response, chunk)) = next.poll_unpin(cx) else {
                return Poll::Pending;
            };
            this.next = None;
            match chunk {
                Ok(None) => return Poll::Ready(Ok(())),
                Ok(Some(chunk)) => {
                    this.received += chunk.len() as u64;
                    this.current = chunk;
                    this.next = Some(read_chunk(response));
                }
                Err(err) => this.failure = Some(err.without_url()),
            }
        }
        let n = this.current.len().min(buf.remaining());
        buf.put_slice(&this.current[..n]);
        this.current.advance(n);
        Poll::Ready(Ok(()))
    }
}

/// Starts reading the next chunk of `response`.
fn read_chunk(mut response: reqwest::Response) -> NextChunk {
    Box::pin(async move {
        let chunk = response.chunk().await;
        (response, chunk)
    })
}
