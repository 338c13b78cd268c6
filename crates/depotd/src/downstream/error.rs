//! Why a depot request got no file, and the one place that turns it into a response.

use axum::Json;
use axum::http::header::{ALLOW, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use depot_auth::AuthError;
use depot_file_server::FileError;
use depot_metadata::MetadataError;
use depot_model::ErrorKind;
use tracing::{debug, error, warn};

/// The challenge sent with every 401.
const CHALLENGE: &str = "Basic realm=\"depotd\"";

/// A request that is answered without the file.
#[derive(Debug)]
pub enum DownstreamError {
    /// No or wrong credentials.
    Unauthenticated,
    /// Authenticated as a user who may not read the depot.
    Forbidden,
    /// The path is not a valid (UTF-8) path.
    BadPath,
    /// No file at this path (directories included).
    NotFound,
    /// A method other than GET or HEAD.
    MethodNotAllowed,
    /// Checking the credentials failed for another reason than the credentials.
    Auth(AuthError),
    /// The metadata store failed.
    Store(MetadataError),
    /// The file server refused (412, 416) or could not read the content of `path`.
    File {
        /// The requested file.
        path: String,
        /// Why.
        source: FileError,
    },
    /// The stored row of `path` cannot describe its content (no valid entity tag).
    Corrupt {
        /// The requested file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

impl DownstreamError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::BadPath => StatusCode::BAD_REQUEST,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Auth(e) if matches!(e.kind(), ErrorKind::Unavailable) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::File { source, .. } => source.status(),
            Self::Auth(_) | Self::Corrupt { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the client is told; internal details stay in the log.
    fn message(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "authentication required",
            Self::Forbidden => "this user may not read the depot",
            Self::BadPath => "invalid path",
            Self::NotFound => "no such file in the depot",
            Self::MethodNotAllowed => "only GET and HEAD are allowed",
            Self::File { source, .. } => match source {
                FileError::PreconditionFailed => "a precondition of the request does not hold",
                FileError::RangeNotSatisfiable { .. } => "the range is not satisfiable",
                FileError::Blob { .. } => "the depot is unavailable, try again later",
                FileError::SizeMismatch { .. } | FileError::InvalidEntityTag { .. } => {
                    "the depot file is damaged"
                }
            },
            Self::Store(_) | Self::Auth(_) => "the depot is unavailable, try again later",
            Self::Corrupt { .. } => "the depot file is damaged",
        }
    }

    fn log(&self) {
        match self {
            // Refused logins (throttled, hash queue full) cost nothing: not worth a
            // warning each, which a flood would turn into a flood of log lines.
            Self::Auth(e) if e.kind() == ErrorKind::Unavailable => {
                debug!(error = %e, "depot: login refused");
            }
            Self::Auth(e) => warn!(error = %e, "depot: checking credentials failed"),
            Self::Store(e) => warn!(error = %e, "depot: metadata store failed"),
            Self::File { path, source } if !source.is_client_error() => {
                error!(path, error = %source, "depot: reading file content failed");
            }
            Self::Corrupt { path, reason } => error!(path, reason, "depot: damaged file"),
            _ => {}
        }
    }
}

impl IntoResponse for DownstreamError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        let mut response =
            (status, Json(serde_json::json!({ "error": self.message() }))).into_response();
        let headers = response.headers_mut();
        match self {
            Self::Unauthenticated => {
                headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(CHALLENGE));
            }
            Self::MethodNotAllowed => {
                headers.insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            }
            Self::File { source, .. } => headers.extend(source.headers()),
            _ => {}
        }
        response
    }
}
