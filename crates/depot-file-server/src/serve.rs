//! Answering a GET or HEAD for one file: 200, 206, 304 or a [`FileError`].

use axum::body::Body;
use axum::http::header::{CONTENT_TYPE, RANGE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use headers::{AcceptRanges, ContentLength, ContentRange, HeaderMapExt as _, LastModified};
use tokio_util::io::ReaderStream;

use crate::preconditions::{self, Precondition};
use crate::range::{self, Selection};
use crate::{FileError, FileMeta, FileSource};

/// Bytes read from the blob store per body chunk.
const CHUNK: usize = 64 * 1024;

/// Answers a GET or HEAD (any other method is answered as a GET) for the file `meta`
/// describes, whose bytes `source` holds.
///
/// Preconditions are evaluated in RFC 9110 §13.2.2 order: a failed `If-Match` /
/// `If-Unmodified-Since` is [`FileError::PreconditionFailed`]; a listed tag in
/// `If-None-Match` (weak comparison), or without one an `If-Modified-Since` not older
/// than `Last-Modified`, is a 304 carrying the validators and `meta`'s headers. Then a
/// single byte `Range`, honoured when `If-Range` (if any) names this representation, is
/// a 206 with `Content-Range`, or [`FileError::RangeNotSatisfiable`] when it lies
/// outside the file; a `Range` of several ranges, another unit or bad syntax is ignored
/// (200). HEAD gets the headers GET would, without a body. Blobs are streamed in chunks.
pub async fn serve(
    method: &Method,
    headers: &HeaderMap,
    meta: &FileMeta,
    source: FileSource<'_>,
) -> Result<Response, FileError> {
    match preconditions::evaluate(headers, meta) {
        Precondition::Failed => return Err(FileError::PreconditionFailed),
        Precondition::NotModified => return Ok(not_modified(meta)),
        Precondition::Proceed => {}
    }
    let selection = requested_range(headers, meta);
    let (status, start, end) = match selection {
        Selection::Full => (StatusCode::OK, 0, meta.length),
        Selection::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end + 1),
        Selection::Unsatisfiable => {
            return Err(FileError::RangeNotSatisfiable {
                length: meta.length,
            });
        }
    };
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        content(source, meta.length, start, end).await?
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let h = response.headers_mut();
    validators(meta, h);
    h.insert(CONTENT_TYPE, meta.content_type.clone());
    h.typed_insert(ContentLength(end - start));
    h.typed_insert(AcceptRanges::bytes());
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(range) = ContentRange::bytes(start..end, meta.length)
    {
        h.typed_insert(range);
    }
    h.extend(meta.content_headers.clone());
    Ok(response)
}

/// The 304: the headers the 200 would carry that describe the representation, no
/// content headers (RFC 9110 §15.4.5).
fn not_modified(meta: &FileMeta) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NOT_MODIFIED;
    validators(meta, response.headers_mut());
    response
}

/// `ETag`, `Last-Modified` and the headers a 304 repeats.
fn validators(meta: &FileMeta, headers: &mut HeaderMap) {
    headers.typed_insert(meta.etag.clone());
    if let Some(at) = meta.modified_time() {
        headers.typed_insert(LastModified::from(at));
    }
    headers.extend(meta.validator_headers.clone());
}

/// The range to send: the whole file without a usable `Range`, or when `If-Range`
/// names other content.
fn requested_range(headers: &HeaderMap, meta: &FileMeta) -> Selection {
    let mut values = headers.get_all(RANGE).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Selection::Full;
    };
    match value.to_str().ok().and_then(range::parse) {
        Some(range) if preconditions::range_allowed(headers, meta) => range.select(meta.length),
        _ => Selection::Full,
    }
}

/// Bytes `start..end` of the source, once its length is known to match `length` (the
/// `Content-Length` already promised must hold).
async fn content(
    source: FileSource<'_>,
    length: u64,
    start: u64,
    end: u64,
) -> Result<Body, FileError> {
    match source {
        FileSource::Bytes(bytes) => {
            let actual = bytes.len() as u64;
            if actual != length {
                return Err(FileError::SizeMismatch {
                    expected: length,
                    actual,
                });
            }
            let index = |at: u64| usize::try_from(at).expect("within the bytes, counted in usize");
            Ok(Body::from(bytes.slice(index(start)..index(end))))
        }
        FileSource::Blob { store, digest } => {
            let opened = if start == 0 && end == length {
                store.open(&digest).await
            } else {
                store.open_range(&digest, start, Some(end)).await
            };
            let (reader, actual) = opened.map_err(|source| FileError::Blob { digest, source })?;
            if actual != length {
                return Err(FileError::SizeMismatch {
                    expected: length,
                    actual,
                });
            }
            Ok(Body::from_stream(ReaderStream::with_capacity(
                reader, CHUNK,
            )))
        }
    }
}

#[cfg(test)]
mod tests;
