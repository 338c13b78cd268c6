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
            .or_else(|| named(problem).map(|(_, status)| status))
            .unwrap_or_else(|| depot_http::default_status(problem.kind))
    }

    fn body(problem: &Problem, _status: StatusCode, _reference: &str) -> serde_json::Value {
        let mut body = serde_json::json!({
            "error_type": error_type(problem),
            "messages": [LocalizableMessage::from(&problem.message)],
            "data": problem.data,
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

/// vAPI standard error types beyond what an [`ErrorKind`] says, with their REST status:
/// a service error names one by its code (e.g. a busy item is `RESOURCE_BUSY`).
const NAMED: &[(&str, StatusCode)] = &[
    ("RESOURCE_BUSY", StatusCode::BAD_REQUEST),
    ("RESOURCE_IN_USE", StatusCode::BAD_REQUEST),
    ("RESOURCE_INACCESSIBLE", StatusCode::BAD_REQUEST),
    ("INVALID_ELEMENT_TYPE", StatusCode::BAD_REQUEST),
    ("INVALID_ELEMENT_CONFIGURATION", StatusCode::BAD_REQUEST),
    ("UNSUPPORTED", StatusCode::BAD_REQUEST),
    ("ALREADY_IN_DESIRED_STATE", StatusCode::BAD_REQUEST),
    ("FEATURE_IN_USE", StatusCode::BAD_REQUEST),
    ("UNABLE_TO_ALLOCATE_RESOURCE", StatusCode::BAD_REQUEST),
    ("UNVERIFIED_PEER", StatusCode::BAD_REQUEST),
    ("UNEXPECTED_INPUT", StatusCode::BAD_REQUEST),
    ("TIMED_OUT", StatusCode::GATEWAY_TIMEOUT),
    // The generic failure (a sync whose publisher sent what cannot be used).
    ("ERROR", StatusCode::INTERNAL_SERVER_ERROR),
];

fn named(problem: &Problem) -> Option<(&'static str, StatusCode)> {
    NAMED
        .iter()
        .find(|(name, _)| *name == problem.code)
        .copied()
}

/// The vAPI standard error type for a problem.
pub fn error_type(problem: &Problem) -> &'static str {
    if let Some((name, _)) = named(problem) {
        return name;
    }
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

#[cfg(test)]
mod tests {
    use depot_http::Family as _;
    use depot_model::Message;

    use super::*;

    #[test]
    fn a_code_naming_a_std_error_type_is_that_type() {
        let problem = |kind, code: &str| Problem::new(kind, code, Message::new("x", "x"));
        for (kind, code, error_type_, status) in [
            (ErrorKind::Conflict, "RESOURCE_BUSY", "RESOURCE_BUSY", 400),
            (
                ErrorKind::Invalid,
                "INVALID_ELEMENT_TYPE",
                "INVALID_ELEMENT_TYPE",
                400,
            ),
            (ErrorKind::Unavailable, "TIMED_OUT", "TIMED_OUT", 504),
            (ErrorKind::Internal, "ERROR", "ERROR", 500),
            (
                ErrorKind::Conflict,
                "ITEM_CHANGED",
                "CONCURRENT_CHANGE",
                409,
            ),
            (
                ErrorKind::AlreadyExists,
                "LIBRARY_EXISTS",
                "ALREADY_EXISTS",
                400,
            ),
        ] {
            let p = problem(kind, code);
            assert_eq!(error_type(&p), error_type_, "{code}");
            assert_eq!(VsphereFamily::status(&p).as_u16(), status, "{code}");
        }
    }
}
