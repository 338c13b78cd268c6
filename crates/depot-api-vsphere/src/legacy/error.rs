//! The legacy family's error body: vCenter 6.5–7's `/rest` form of a vAPI standard
//! error, `{"type": "<error id>", "value": {messages, error_type, challenge?}}`.

use axum::http::StatusCode;
use axum::response::Response;
use depot_http::{Family, Problem};
use depot_model::ErrorKind;

use crate::error::{CHALLENGE, VsphereFamily, error_type};
use crate::vapi::std_types::error_id;
use crate::wire::message::LocalizableMessage;

/// vSphere's legacy `/rest` error dialect: the same statuses and error types as
/// `/api` (see [`VsphereFamily`]), wrapped as `/rest` wraps every answer.
pub struct LegacyFamily;

impl Family for LegacyFamily {
    fn status(problem: &Problem) -> StatusCode {
        VsphereFamily::status(problem)
    }

    fn body(problem: &Problem, _status: StatusCode, _reference: &str) -> serde_json::Value {
        let error_type = error_type(problem);
        let mut value = serde_json::json!({
            "messages": [LocalizableMessage::from(&problem.message)],
            "error_type": error_type,
        });
        if problem.kind == ErrorKind::Unauthenticated {
            value["challenge"] = CHALLENGE.into();
        }
        serde_json::json!({"type": error_id(error_type), "value": value})
    }

    fn decorate(problem: &Problem, response: &mut Response) {
        VsphereFamily::decorate(problem, response);
    }
}

#[cfg(test)]
mod tests {
    use depot_model::Message;

    use super::*;

    #[test]
    fn errors_are_wrapped_with_their_id() {
        let problem = Problem::new(
            ErrorKind::NotFound,
            "X",
            Message::new("m.id", "gone").arg("what", "x"),
        );
        let status = LegacyFamily::status(&problem);
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            LegacyFamily::body(&problem, status, "ref"),
            serde_json::json!({
                "type": "com.vmware.vapi.std.errors.not_found",
                "value": {
                    "messages": [{"id": "m.id", "default_message": "gone", "args": ["x"]}],
                    "error_type": "NOT_FOUND",
                }
            })
        );
    }
}
