//! The content library's data endpoints, outside `/api`: `PUT`/`POST
//! /cls/data/{token}/{name}` receives an update-session file, `GET`/`HEAD
//! /cls/download/{token}/{name}` serves a prepared download-session file. The token in
//! the path is the capability (no session header); a wrong token or name is a 404 that
//! says nothing more.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use depot_file_server::{FileMeta, FileSource};
use depot_library::{ContentLibrary, LibraryError, Upload};
use depot_model::{DomainError, ErrorKind};
use tokio::io::{AsyncRead, ReadBuf};
use tracing::warn;

/// The routes of both endpoints.
pub fn router(library: ContentLibrary) -> Router {
    Router::new()
        .route("/cls/data/{token}/{name}", put(upload).post(upload))
        .route("/cls/download/{token}/{name}", get(download).head(download))
        .with_state(library)
}

async fn upload(
    State(library): State<ContentLibrary>,
    Path((token, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let length = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut reader = BodyReader {
        body,
        pending: Bytes::new(),
        too_slow: false,
    };
    let received = library
        .receive_upload(Upload {
            token: &token,
            name: &name,
            length,
            body: &mut reader,
        })
        .await;
    match received {
        Ok(_) => StatusCode::OK.into_response(),
        // A body that fell below the rate floor is the server's timeout, not bad input.
        Err(e) if reader.too_slow => reason(StatusCode::REQUEST_TIMEOUT, &e),
        Err(e) => refusal(&e),
    }
}

async fn download(
    State(library): State<ContentLibrary>,
    Path((token, name)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let served = match library.served_file(&token, &name).await {
        Ok(s) => s,
        Err(e) => return refusal(&e),
    };
    let Some(digest) = served.file.digest else {
        return refusal(&LibraryError::NotFound {
            what: "download",
            id: String::new(),
        });
    };
    let meta = match FileMeta::new(
        served.file.size,
        &digest.to_string(),
        "application/octet-stream",
    ) {
        Ok(m) => m,
        Err(e) => {
            warn!(error = %e, "a prepared download has no usable entity tag");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let source = FileSource::Blob {
        store: library.blobs().as_ref(),
        digest,
    };
    match depot_file_server::serve(&method, &headers, &meta, source).await {
        Ok(response) => response,
        Err(e) => {
            if !e.is_client_error() {
                warn!(error = %e, file = %name, "serving a download failed");
            }
            let mut response = e.status().into_response();
            response.headers_mut().extend(e.headers());
            response
        }
    }
}

/// The answer to a refused transfer: its status, and a plain-text reason (nothing
/// for a 404: a wrong token learns nothing).
fn refusal(e: &LibraryError) -> Response {
    let status = match (e, e.kind()) {
        (LibraryError::TooLarge(_), _) => StatusCode::PAYLOAD_TOO_LARGE,
        (_, ErrorKind::NotFound) => return (StatusCode::NOT_FOUND, "not found\n").into_response(),
        (_, ErrorKind::NotAllowedInCurrentState | ErrorKind::Conflict) => StatusCode::CONFLICT,
        (_, ErrorKind::Invalid) => StatusCode::BAD_REQUEST,
        (_, ErrorKind::Unavailable) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if e.is_internal() {
        warn!(error = %e, "a content transfer failed");
        return status.into_response();
    }
    reason(status, e)
}

/// `status` with `e` as a plain-text reason.
fn reason(status: StatusCode, e: &LibraryError) -> Response {
    let mut response = (status, format!("{e}\n")).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// A request body as a reader: data frames in order, trailers skipped.
struct BodyReader {
    body: Body,
    pending: Bytes,
    /// Whether the body failed for arriving below the rate floor.
    too_slow: bool,
}

impl AsyncRead for BodyReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            if !self.pending.is_empty() {
                let n = self.pending.len().min(buf.remaining());
                let chunk = self.pending.split_to(n);
                buf.put_slice(&chunk);
                return Poll::Ready(Ok(()));
            }
            match Pin::new(&mut self.body).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Ready(Some(Err(e))) => {
                    self.too_slow = depot_http::body_rate::is_too_slow(&e);
                    return Poll::Ready(Err(io::Error::other(e)));
                }
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        self.pending = data;
                    }
                }
            }
        }
    }
}
