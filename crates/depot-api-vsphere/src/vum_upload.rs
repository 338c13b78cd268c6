//! `POST /vum-fileupload`: the vSphere Lifecycle Manager file upload (vCenter serves
//! it at `https://<vcenter>:9087/vum-fileupload`; depotd on its own port). The file
//! comes as a raw body (any content type but `multipart/*`) or as the first file part
//! of a `multipart/form-data` body; the answer is the new `file_id`, which
//! `com.vmware.esx.settings.depots.offline` `create$task` takes with `source_type`
//! `PUSH`.
//!
//! The SDK defines no wire form for this endpoint. depotd answers `200` with the id as
//! `text/plain` (the whole body), or as a JSON string when the client accepts
//! `application/json` but not `text/plain`. Errors are vSphere REST error bodies:
//! `401` without a session, `403` without `VcIntegrity.lifecycleSettings.Write`,
//! `400` for a broken multipart body or one cut off, `413` past the size limit, `408`
//! when the body stalls below the server's minimum rate.

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRef, State};
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use depot_http::upload_body::{UploadBody, UploadBodyError};
use depot_http::{Problem, RouteDoc, Services, SessionCaller};
use depot_model::{FileId, Privilege};
use depot_uploads::{Incoming, UploadError, Uploads};

use crate::VsphereFamily;

/// What the endpoint needs: sessions, and the upload service.
#[derive(Clone)]
pub struct UploadState {
    /// Authentication and the shared services.
    pub services: Services,
    /// Uploaded files.
    pub uploads: Uploads,
}

impl FromRef<UploadState> for Services {
    fn from_ref(s: &UploadState) -> Services {
        s.services.clone()
    }
}

/// The route, rendering its errors as the vSphere REST family does.
pub fn router(state: UploadState) -> Router {
    Router::new()
        // vLCM file upload (vCenter `:9087/vum-fileupload`).
        .route("/vum-fileupload", post(upload))
        .layer(axum::middleware::from_fn(
            depot_http::render_errors::<VsphereFamily>,
        ))
        .with_state(state)
}

/// The documentation of the route.
pub fn route_docs() -> Vec<RouteDoc> {
    vec![RouteDoc {
        method: Method::POST,
        path: "/vum-fileupload".to_owned(),
        operation_id: "vum_fileupload".to_owned(),
        tag: "vsphere",
        summary: "vLCM file upload for offline-depot imports (raw or multipart/form-data body; \
                  answers the file_id as text/plain)"
            .to_owned(),
        status: StatusCode::OK,
    }]
}

async fn upload(
    State(state): State<UploadState>,
    SessionCaller(caller): SessionCaller,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    caller.require(Privilege::LifecycleSettingsWrite)?;
    let mut file = UploadBody::open(&headers, body)
        .await
        .map_err(|e| body_problem(&e))?;
    let file_name = file.file_name.clone();
    let received = state
        .uploads
        .receive(Incoming {
            owner: &caller.user,
            file_name: file_name.as_deref(),
            length: file.length,
            body: &mut file,
        })
        .await;
    match received {
        Ok(uploaded) => Ok(answer(&headers, uploaded.id)),
        Err(e) if file.too_slow() => Err(Problem::from(e).with_status(StatusCode::REQUEST_TIMEOUT)),
        Err(e @ UploadError::TooLarge { .. }) => {
            Err(Problem::from(e).with_status(StatusCode::PAYLOAD_TOO_LARGE))
        }
        Err(e) => Err(e.into()),
    }
}

/// A body that gives no file: 400 saying why (408 when it stalled).
fn body_problem(e: &UploadBodyError) -> Problem {
    let problem = Problem::invalid("INVALID_ARGUMENT", e.to_string());
    if *e == UploadBodyError::TooSlow {
        problem.with_status(StatusCode::REQUEST_TIMEOUT)
    } else {
        problem
    }
}

/// `200` with the id: plain text, or a JSON string for a client that asks for JSON
/// and not text.
fn answer(request: &HeaderMap, id: FileId) -> Response {
    let accept = request
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",")
        .to_ascii_lowercase();
    let json = accept.contains("application/json")
        && !accept.contains("text/plain")
        && !accept.contains("text/*");
    let (body, content_type) = if json {
        (format!("\"{id}\""), "application/json")
    } else {
        (id.to_string(), "text/plain; charset=utf-8")
    };
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
