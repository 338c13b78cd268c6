//! Published content libraries over VCSP, under `/cls/vcsp/lib/{library}/`: `lib.json`,
//! `items.json`, `{item}/item.json` and `{item}/{file}`, as vCenter publishes them,
//! so that a vCenter (or another depotd) can subscribe. A published subscribed library
//! (depotd's extension, for chains) serves a file it has not cached yet after fetching
//! it from its own publisher.
//!
//! The documents and the files go through the one file server: strong `ETag`s (the
//! document's or the content's SHA-256), conditional requests, ranges. A library with
//! `BASIC` authentication needs user `vcsp` and its publish password; those credentials
//! open nothing else of the server (they are no user's). Wrong publish passwords are
//! slowed down like failed logins, by the login throttle (per library and address).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use depot_auth::AuthService;
use depot_file_server::{FileMeta, FileSource};
use depot_http::{ClientAddr, Credentials, Family, Problem, RouteDoc, file_problem};
use depot_library::{ContentLibrary, LibraryError};
use depot_model::{ErrorKind, Library, Sha256Digest};
use serde::Serialize;
use serde_json::json;

/// The challenge sent with a 401.
const CHALLENGE: &str = "Basic realm=\"VCSP\"";

/// What the VCSP routes use: the libraries, and the login throttle for publish
/// passwords.
#[derive(Clone)]
struct Vcsp {
    library: ContentLibrary,
    auth: Arc<AuthService>,
}

/// The VCSP routes, relative to where they are nested (`/cls/vcsp/lib`).
pub fn router(library: ContentLibrary, auth: Arc<AuthService>) -> Router {
    Router::new()
        .route("/{library}/lib.json", get(lib_json).head(lib_json))
        .route("/{library}/items.json", get(items_json).head(items_json))
        .route(
            "/{library}/{item}/item.json",
            get(item_json).head(item_json),
        )
        .route("/{library}/{item}/{file}", get(file).head(file))
        .fallback(|| async { Problem::from_status(StatusCode::NOT_FOUND, "no such VCSP document") })
        .with_state(Vcsp { library, auth })
        .layer(axum::middleware::from_fn(
            depot_http::render_errors::<VcspFamily>,
        ))
}

/// The documentation of the routes (below `/cls/vcsp/lib`).
pub fn route_docs() -> Vec<RouteDoc> {
    [
        (
            "/{library}/lib.json",
            "vcsp_lib",
            "A published library's lib.json",
        ),
        (
            "/{library}/items.json",
            "vcsp_items",
            "A published library's items.json",
        ),
        (
            "/{library}/{item}/item.json",
            "vcsp_item",
            "A published item's item.json",
        ),
        (
            "/{library}/{item}/{file}",
            "vcsp_file",
            "A published item's file (Range)",
        ),
    ]
    .into_iter()
    .flat_map(|(path, id, summary)| {
        [Method::GET, Method::HEAD].map(|method| RouteDoc {
            method,
            path: path.to_owned(),
            operation_id: id.to_owned(),
            tag: "vcsp",
            summary: summary.to_owned(),
            status: StatusCode::OK,
        })
    })
    .collect()
}

impl Vcsp {
    /// The published library, once the subscriber's credentials are checked: nothing
    /// about it, not even whether it exists, before that (an unknown library asks for
    /// credentials too). A check of a password goes through the login throttle.
    async fn open(&self, id: &str, headers: &HeaderMap, client: &str) -> Result<Library, Problem> {
        let basic = match Credentials::authorization(headers) {
            Some(Credentials::Basic { user, password }) => Some((user, password)),
            _ => None,
        };
        let library = self.library.published_library(id).await;
        let checked = match (&library, &basic) {
            (Ok(library), Some((user, password))) => {
                self.auth
                    .check_secret(
                        &format!("vcsp/{}", library.id),
                        client,
                        || {
                            self.library
                                .check_subscriber(library, Some((user.as_str(), password)))
                        },
                        |e| matches!(e, LibraryError::Unauthenticated(_)),
                    )
                    .await?
            }
            (Ok(library), None) => self.library.check_subscriber(library, None),
            (Err(_), None) => Err(LibraryError::Unauthenticated(
                "VCSP credentials are required".to_owned(),
            )),
            (Err(_), Some(_)) => Ok(()),
        };
        checked?;
        Ok(library?)
    }
}

async fn lib_json(
    State(vcsp): State<Vcsp>,
    ClientAddr(client): ClientAddr,
    Path(library): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let library = vcsp.open(&library, &headers, &client).await?;
    document(
        &method,
        &headers,
        &depot_library::vcsp::LibJson::of(&library),
    )
    .await
}

async fn items_json(
    State(vcsp): State<Vcsp>,
    ClientAddr(client): ClientAddr,
    Path(library): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let library = vcsp.open(&library, &headers, &client).await?;
    document(&method, &headers, &vcsp.library.vcsp_items(&library).await?).await
}

async fn item_json(
    State(vcsp): State<Vcsp>,
    ClientAddr(client): ClientAddr,
    Path((library, item)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let library = vcsp.open(&library, &headers, &client).await?;
    document(
        &method,
        &headers,
        &vcsp.library.vcsp_item(&library, &item).await?,
    )
    .await
}

async fn file(
    State(vcsp): State<Vcsp>,
    ClientAddr(client): ClientAddr,
    Path((library, item, name)): Path<(String, String, String)>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let library = vcsp.open(&library, &headers, &client).await?;
    let file = vcsp.library.vcsp_file(&library, &item, &name).await?;
    let Some(digest) = file.digest else {
        return Err(Problem::from_status(StatusCode::NOT_FOUND, "not cached"));
    };
    let meta = FileMeta::new(file.size, &digest.to_string(), "application/octet-stream")
        .map_err(|e| Problem::internal(&e))?;
    let source = FileSource::Blob {
        store: vcsp.library.blobs().as_ref(),
        digest,
    };
    Ok(depot_file_server::serve(&method, &headers, &meta, source)
        .await
        .unwrap_or_else(file_problem))
}

/// A JSON document through the file server, tagged with its SHA-256, to be revalidated
/// on every use (it changes under the same name).
async fn document(
    method: &Method,
    headers: &HeaderMap,
    value: &impl Serialize,
) -> Result<Response, Problem> {
    let bytes = Bytes::from(serde_json::to_vec(value).map_err(|e| Problem::internal(&e))?);
    let tag = Sha256Digest::compute(&bytes).to_string();
    let meta = FileMeta::new(bytes.len() as u64, &tag, "application/json")
        .map_err(|e| Problem::internal(&e))?
        .header(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(
        depot_file_server::serve(method, headers, &meta, FileSource::Bytes(bytes))
            .await
            .unwrap_or_else(file_problem),
    )
}

/// VCSP's error answers: `{code, message, referenceId}`, a Basic challenge with 401.
struct VcspFamily;

impl Family for VcspFamily {
    fn body(problem: &Problem, _: StatusCode, reference: &str) -> serde_json::Value {
        json!({
            "code": problem.code,
            "message": problem.message.default,
            "referenceId": reference,
        })
    }

    fn decorate(problem: &Problem, response: &mut Response) {
        if problem.kind == ErrorKind::Unauthenticated {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(CHALLENGE),
            );
        }
    }
}
