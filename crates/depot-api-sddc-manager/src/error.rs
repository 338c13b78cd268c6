//! The family's error body: `Error`.

use axum::http::StatusCode;
use depot_http::{Family, Problem};
use depot_model::ErrorKind;

/// SDDC Manager's error dialect.
pub struct SddcFamily;

impl Family for SddcFamily {
    fn status(problem: &Problem) -> StatusCode {
        match (problem.status, problem.kind) {
            (Some(s), _) => s,
            // SDDC Manager answers duplicates with 409.
            (None, ErrorKind::AlreadyExists) => StatusCode::CONFLICT,
            (None, kind) => depot_http::default_status(kind),
        }
    }

    fn body(problem: &Problem, _status: StatusCode, reference: &str) -> serde_json::Value {
        let context: serde_json::Map<String, serde_json::Value> = problem
            .message
            .args
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into()))
            .collect();
        let mut body = serde_json::json!({
            "errorCode": problem.code,
            "errorType": error_type(problem.kind),
            "arguments": problem.message.positional_args(),
            "context": context,
            "message": problem.message.default,
            "referenceToken": reference,
        });
        if let Some(r) = &problem.resolution {
            body["remediationMessage"] = r.default.clone().into();
        }
        body
    }
}

fn error_type(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Invalid | ErrorKind::AlreadyExists | ErrorKind::NotAllowedInCurrentState => {
            "VALIDATION"
        }
        ErrorKind::NotFound => "NOT_FOUND",
        ErrorKind::Conflict => "CONFLICT",
        ErrorKind::Unauthenticated => "AUTHENTICATION",
        ErrorKind::Forbidden => "AUTHORIZATION",
        ErrorKind::Unavailable | ErrorKind::Canceled | ErrorKind::Internal => "SYSTEM",
    }
}
