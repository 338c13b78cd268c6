//! The family's error body: a vAPI standard error.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use depot_http::{Family, Problem};
use depot_model::ErrorKind;

use crate::wire::message::LocalizableMessage;

/// The challenge sent with `UNAUTHENTICATED`.
pub(crate) const CHALLENGE: &str = "Basic realm=\"depotd\"";

/// vSphere's error dialect (`/api` REST form).
pub struct VsphereFamily;

impl Family for VsphereFamily {
    fn status(problem: &Problem) -> StatusCode {
        // A transport refusal keeps its status (405, 413, 415, as vCenter's reverse
        // proxy answers them); its body is an `INVALID_REQUEST`.
        problem
            .status
            .unwrap_or_else(|| depot_http::default_status(problem.kind))
    }

    fn body(problem: &Problem, _status: StatusCode, _reference: &str) -> serde_json::Value {
        let mut body = serde_json::json!({
            "error_type": error_type(problem),
            "messages": [LocalizableMessage::from(&problem.message)],
            "data": null,
        });
        if problem.kind == ErrorKind::Unauthenticated {
            body["challenge"] = CHALLENGE.into();
        }
        body
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

/// The vAPI standard error type for a problem.
pub fn error_type(problem: &Problem) -> &'static str {
    match problem.kind {
        ErrorKind::NotFound if problem.code == "OPERATION_NOT_FOUND" => "OPERATION_NOT_FOUND",
        ErrorKind::NotFound => "NOT_FOUND",
        ErrorKind::AlreadyExists => "ALREADY_EXISTS",
        ErrorKind::Conflict => "CONCURRENT_CHANGE",
        ErrorKind::Invalid if problem.status.is_some() => "INVALID_REQUEST",
        ErrorKind::Invalid => "INVALID_ARGUMENT",
        ErrorKind::NotAllowedInCurrentState => "NOT_ALLOWED_IN_CURRENT_STATE",
        ErrorKind::Unauthenticated => "UNAUTHENTICATED",
        ErrorKind::Forbidden => "UNAUTHORIZED",
        ErrorKind::Unavailable => "SERVICE_UNAVAILABLE",
        ErrorKind::Canceled => "CANCELED",
        ErrorKind::Internal => "INTERNAL_SERVER_ERROR",
    }
}
