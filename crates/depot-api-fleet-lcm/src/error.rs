//! The family's error body: `ErrorResponse`.

use axum::http::StatusCode;
use depot_http::{Family, Problem};

use crate::wire::message::LocalizableMessage;

/// Fleet LCM's error dialect.
pub struct FleetFamily;

impl Family for FleetFamily {
    fn body(problem: &Problem, _status: StatusCode, reference: &str) -> serde_json::Value {
        serde_json::json!({
            "code": problem.code,
            "message": LocalizableMessage::from(&problem.message),
            "resolution": problem.resolution.as_ref().map(LocalizableMessage::from),
            "referenceId": reference,
            "timestamp": depot_http::wire_time::format(depot_model::now()),
        })
    }
}
