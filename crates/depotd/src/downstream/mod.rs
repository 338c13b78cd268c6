//! The downstream offline depot: the synced metadata files under `/depot/<path>`, in
//! the upstream layout, for SDDC Manager and VCF Installer in a dark site.
//!
//! Plain static-file semantics that download clients rely on: strong `ETag`s (the
//! content digest), `Last-Modified`, conditional requests, single byte ranges for
//! resuming, and bodies streamed from the blob store.

mod auth;
mod conditional;
mod error;
mod range;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG, LAST_MODIFIED,
    RANGE,
};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use depot_blobs::{BlobStore, Sha256Digest};
use depot_http::{ClientAddr, RouteDoc};
use depot_metadata::MetadataStore;
use depot_model::DepotFile;
use tokio_util::io::ReaderStream;
use tracing::debug;

use self::conditional::Validators;
use self::error::DownstreamError;
use self::range::Selection;

/// Bytes read from the blob store per body chunk.
const CHUNK: usize = 64 * 1024;

/// Who may read the depot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without credentials.
    Anonymous,
    /// Any depotd user, with HTTP Basic.
    AnyUser,
    /// Only this depotd user, with HTTP Basic; other users get 403.
    User(String),
}

/// What the depot routes need.
#[derive(Clone)]
pub struct DownstreamState {
    /// Where the synced files are listed.
    pub store: Arc<dyn MetadataStore>,
    /// Where their content is.
    pub blobs: Arc<dyn BlobStore>,
    /// Checks Basic credentials.
    pub auth: Arc<depot_auth::AuthService>,
    /// Who may read.
    pub access: Arc<Access>,
}

/// The depot routes, relative to where they are nested (`/depot`).
pub fn router(state: DownstreamState) -> Router {
    Router::new()
        .route(
            "/{*path}",
            get(get_file)
                .head(get_file)
                .fallback(|| async { DownstreamError::MethodNotAllowed }),
        )
        .with_state(state)
}

/// The documentation of the route (below `/depot`), beside the router it describes.
pub fn route_docs() -> Vec<RouteDoc> {
    [Method::GET, Method::HEAD]
        .into_iter()
        .map(|method| RouteDoc {
            method,
            path: "/{*path}".to_owned(),
            operation_id: "depot_file".to_owned(),
            tag: "downstream",
            summary: "A synced depot file (Basic auth; ETag, Last-Modified, Range)".to_owned(),
            status: StatusCode::OK,
        })
        .collect()
}

/// `GET`/`HEAD /depot/{*path}`: a synced depot file, as the upstream depot serves it.
async fn get_file(
    State(state): State<DownstreamState>,
    method: Method,
    ClientAddr(client): ClientAddr,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let path = path.map(|Path(p)| p);
    let response = serve(&state, &method, &client, path.as_deref().ok(), &headers)
        .await
        .unwrap_or_else(IntoResponse::into_response);
    debug!(
        %method,
        path = path.as_deref().unwrap_or("<invalid>"),
        client,
        status = response.status().as_u16(),
        "depot request"
    );
    response
}

/// Authorizes, looks the file up, evaluates the conditions, answers.
async fn serve(
    state: &DownstreamState,
    method: &Method,
    client: &str,
    path: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, DownstreamError> {
    // Nothing about a file, not even whether it exists, before the caller is known.
    auth::authorize(state, headers, client).await?;
    let path = path.ok_or(DownstreamError::BadPath)?;
    let file = state
        .store
        .depot_file(path)
        .await
        .map_err(DownstreamError::Store)?
        .ok_or(DownstreamError::NotFound)?;
    let digest: Sha256Digest = file.digest.parse().map_err(|_| DownstreamError::Corrupt {
        path: file.path.clone(),
        reason: format!("invalid digest {:?}", file.digest),
    })?;
    let validators = Validators::new(&digest, file.modified_at);
    if validators.not_modified(headers) {
        return Ok((StatusCode::NOT_MODIFIED, representation(&validators)).into_response());
    }
    let selection = requested_range(headers, &validators, file.size);
    let (status, start, end) = match selection {
        Selection::Full => (StatusCode::OK, 0, file.size),
        Selection::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end + 1),
        Selection::Unsatisfiable => {
            return Err(DownstreamError::RangeNotSatisfiable { size: file.size });
        }
    };
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        content(state.blobs.as_ref(), &file, &digest, start, end).await?
    };
    let content_range = matches!(selection, Selection::Part { .. }).then(|| {
        [(
            CONTENT_RANGE,
            format!("bytes {start}-{}/{}", end - 1, file.size),
        )]
    });
    let headers = [
        (CONTENT_TYPE, content_type(&file.path).to_owned()),
        (CONTENT_LENGTH, (end - start).to_string()),
        (ACCEPT_RANGES, "bytes".to_owned()),
    ];
    Ok((
        status,
        representation(&validators),
        headers,
        content_range,
        body,
    )
        .into_response())
}

/// The range to send: none (the whole file) without a usable `Range`, or when
/// `If-Range` names other content.
fn requested_range(headers: &HeaderMap, validators: &Validators, size: u64) -> Selection {
    let mut values = headers.get_all(RANGE).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Selection::Full;
    };
    match value.to_str().ok().and_then(range::parse) {
        Some(range) if validators.range_allowed(headers) => range.select(size),
        _ => Selection::Full,
    }
}

/// The headers a 304 repeats from the 200 it stands for.
fn representation(validators: &Validators) -> [(axum::http::HeaderName, String); 3] {
    [
        (ETAG, validators.etag()),
        (LAST_MODIFIED, validators.last_modified()),
        // Paths keep their names across syncs while content changes: revalidate.
        (CACHE_CONTROL, "no-cache".to_owned()),
    ]
}

/// `application/json` for JSON files, bytes for everything else.
fn content_type(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.to_ascii_lowercase().ends_with(".json") {
        "application/json"
    } else {
        "application/octet-stream"
    }
}

/// Streams bytes `start..end` of the file's blob, once its size is known to match the
/// stored row (a `Content-Length` already promised must hold).
async fn content(
    blobs: &dyn BlobStore,
    file: &DepotFile,
    digest: &Sha256Digest,
    start: u64,
    end: u64,
) -> Result<Body, DownstreamError> {
    let blob_error = |source| DownstreamError::Blob {
        path: file.path.clone(),
        source,
    };
    let (reader, size) = if start == 0 && end == file.size {
        blobs.open(digest).await.map_err(blob_error)?
    } else {
        blobs
            .open_range(digest, start, Some(end))
            .await
            .map_err(blob_error)?
    };
    if size != file.size {
        return Err(DownstreamError::Corrupt {
            path: file.path.clone(),
            reason: format!("blob has {size} bytes, the file {}", file.size),
        });
    }
    Ok(Body::from_stream(ReaderStream::with_capacity(
        reader, CHUNK,
    )))
}
