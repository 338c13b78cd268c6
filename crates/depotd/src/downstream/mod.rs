//! The downstream offline depot: the synced metadata files under `/depot/<path>`, in
//! the upstream layout, for SDDC Manager and VCF Installer in a dark site; and the
//! imported ESX offline depots as one ESXi online depot under `/depot/esx/` (see
//! [`esx`]).
//!
//! Plain static-file semantics that download clients rely on — strong `ETag`s (the
//! content digest), `Last-Modified`, conditional requests, single byte ranges for
//! resuming, bodies streamed from the blob store — come from `depot-file-server`; this
//! module authorizes, looks the file up and renders refusals.

mod auth;
mod error;
pub mod esx;

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use depot_blobs::BlobStore;
use depot_file_server::{FileMeta, FileSource};
use depot_http::{ClientAddr, RouteDoc};
use depot_metadata::MetadataStore;
use tracing::debug;

use self::error::DownstreamError;

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
    /// What `/depot/esx/` keeps of the imported ESX depots.
    pub esx: Arc<esx::EsxServed>,
    /// The ESX depots being served (a download holds its depot in use).
    pub in_use: depot_esx_depots::InUse,
}

/// The depot routes, relative to where they are nested (`/depot`).
pub fn router(state: DownstreamState) -> Router {
    Router::new()
        .route("/esx/", get(get_esx_index).head(get_esx_index))
        .route("/esx/index.xml", get(get_esx_index).head(get_esx_index))
        .route(
            "/esx/{depot}/{*path}",
            get(get_esx_file)
                .head(get_esx_file)
                .fallback(|| async { DownstreamError::MethodNotAllowed }),
        )
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
    let routes = [
        (
            "/esx/",
            "esx_depot_root",
            "The ESX online depot's index.xml (Basic auth)",
        ),
        (
            "/esx/index.xml",
            "esx_depot_index",
            "The ESX online depot's index.xml: every imported offline depot's vendors (Basic auth)",
        ),
        (
            "/esx/{depot}/{*path}",
            "esx_depot_file",
            "A file of an imported ESX offline depot (Basic auth; ETag, Range)",
        ),
        (
            "/{*path}",
            "depot_file",
            "A synced depot file (Basic auth; ETag, Last-Modified, Range)",
        ),
    ];
    routes
        .into_iter()
        .flat_map(|(path, operation_id, summary)| {
            [Method::GET, Method::HEAD].map(|method| RouteDoc {
                method,
                path: path.to_owned(),
                operation_id: operation_id.to_owned(),
                tag: "downstream",
                summary: summary.to_owned(),
                status: StatusCode::OK,
            })
        })
        .collect()
}

/// `GET`/`HEAD /depot/esx/index.xml` (or `/depot/esx/`): the ESX online depot's root.
async fn get_esx_index(
    State(state): State<DownstreamState>,
    method: Method,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
) -> Response {
    let result = async {
        auth::authorize(&state, &headers, &client).await?;
        esx::index(&state, &method, &headers).await
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
}

/// `GET`/`HEAD /depot/esx/{depot}/{*path}`: a file of an imported ESX depot.
async fn get_esx_file(
    State(state): State<DownstreamState>,
    method: Method,
    ClientAddr(client): ClientAddr,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        auth::authorize(&state, &headers, &client).await?;
        let Path((depot, path)) = path.map_err(|_| DownstreamError::BadPath)?;
        esx::file(&state, &method, &headers, &depot, &path).await
    };
    result.await.unwrap_or_else(IntoResponse::into_response)
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

/// Authorizes, looks the file up, lets the file server answer.
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
    let corrupt = |reason: String| DownstreamError::Corrupt {
        path: file.path.clone(),
        reason,
    };
    let meta = FileMeta::new(
        file.size,
        &file.digest.to_string(),
        content_type(&file.path),
    )
    .map_err(|e| corrupt(e.to_string()))?
    .last_modified(file.modified_at.into())
    // Paths keep their names across syncs while content changes: revalidate.
    .header(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    let source = FileSource::Blob {
        store: state.blobs.as_ref(),
        digest: file.digest,
    };
    depot_file_server::serve(method, headers, &meta, source)
        .await
        .map_err(|source| DownstreamError::File {
            path: file.path.clone(),
            source,
        })
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
