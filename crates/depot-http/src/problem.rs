//! A family-neutral error, rendered by each family's [`crate::Family`].

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use depot_model::{DomainError, ErrorKind, Message};
use tracing::error;

/// An error on its way to a client: what kind it is, a stable code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Category; each family maps it to a status and error type.
    pub kind: ErrorKind,
    /// Stable machine-readable code, e.g. `TASK_NOT_FOUND`.
    pub code: String,
    /// What went wrong.
    pub message: Message,
    /// What the caller can do.
    pub resolution: Option<Message>,
    /// A transport status that overrides the family's mapping of `kind` (413, 405, …).
    pub status: Option<StatusCode>,
    /// When a refusal that passes with time may be retried (`Retry-After`).
    pub retry_after: Option<std::time::Duration>,
    /// Structured data of the error (vAPI errors' `data`), if any.
    pub data: Option<serde_json::Value>,
}

impl Problem {
    /// A problem of `kind`.
    pub fn new(kind: ErrorKind, code: impl Into<String>, message: Message) -> Self {
        Self {
            kind,
            code: code.into(),
            message,
            resolution: None,
            status: None,
            retry_after: None,
            data: None,
        }
    }

    /// Adds structured data (vAPI errors' `data`).
    #[must_use]
    pub fn with_data(mut self, data: serde_json::Value) -> Self {
        self.data = Some(data);
        self
    }

    /// Bad input, with a message naming what is wrong.
    pub fn invalid(code: impl Into<String>, text: impl Into<String>) -> Self {
        Self::new(
            ErrorKind::Invalid,
            code,
            Message::new("com.vmware.depotd.invalid_argument", text),
        )
    }

    /// Adds a resolution hint.
    #[must_use]
    pub fn with_resolution(mut self, resolution: Message) -> Self {
        self.resolution = Some(resolution);
        self
    }

    /// Forces a transport status.
    #[must_use]
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = Some(status);
        self
    }

    /// An internal failure: the detail goes to the log, the client sees a reference.
    pub fn internal(detail: &dyn std::fmt::Display) -> Self {
        let reference = crate::request_id::current();
        error!(reference, error = %detail, "internal error");
        Self::new(
            ErrorKind::Internal,
            "INTERNAL_SERVER_ERROR",
            Message::new(
                "com.vmware.depotd.internal",
                format!("Internal server error (reference {reference})"),
            )
            .arg("reference", reference),
        )
    }

    /// No route matches under a family prefix.
    pub fn no_route(method: &str, path: &str) -> Self {
        Self::new(
            ErrorKind::NotFound,
            "OPERATION_NOT_FOUND",
            Message::new(
                "com.vmware.depotd.operation_not_found",
                format!("No operation {method} {path}"),
            )
            .arg("method", method)
            .arg("path", path),
        )
    }

    /// Builds a problem from a framework response that carried no problem.
    pub fn from_status(status: StatusCode, text: &str) -> Self {
        let (kind, code) = match status {
            StatusCode::NOT_FOUND => (ErrorKind::NotFound, "OPERATION_NOT_FOUND"),
            StatusCode::METHOD_NOT_ALLOWED => (ErrorKind::Invalid, "METHOD_NOT_ALLOWED"),
            StatusCode::PAYLOAD_TOO_LARGE => (ErrorKind::Invalid, "PAYLOAD_TOO_LARGE"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (ErrorKind::Invalid, "UNSUPPORTED_MEDIA_TYPE"),
            StatusCode::UNAUTHORIZED => (ErrorKind::Unauthenticated, "UNAUTHENTICATED"),
            StatusCode::FORBIDDEN => (ErrorKind::Forbidden, "UNAUTHORIZED"),
            StatusCode::REQUEST_TIMEOUT => (ErrorKind::Invalid, "REQUEST_TIMEOUT"),
            s if s.is_client_error() => (ErrorKind::Invalid, "BAD_REQUEST"),
            StatusCode::SERVICE_UNAVAILABLE => (ErrorKind::Unavailable, "SERVICE_UNAVAILABLE"),
            _ => (ErrorKind::Internal, "INTERNAL_SERVER_ERROR"),
        };
        let text = if text.trim().is_empty() {
            status.canonical_reason().unwrap_or("Error").to_owned()
        } else {
            text.trim().to_owned()
        };
        let status = match status {
            // Data errors are plain bad requests for every family.
            StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
            s => s,
        };
        Self::new(
            kind,
            code,
            Message::new("com.vmware.depotd.request.rejected", text),
        )
        .with_status(status)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message.default)
    }
}

impl IntoResponse for Problem {
    /// The response carries the problem as an extension; the family layer renders the
    /// body. Without a layer a minimal JSON body is sent, never plain text.
    fn into_response(self) -> Response {
        let status = self.status.unwrap_or_else(|| default_status(self.kind));
        let body = serde_json::json!({"code": self.code, "message": self.message.default});
        let mut response = (status, axum::Json(body)).into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// The status most families use for `kind`.
pub fn default_status(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::AlreadyExists | ErrorKind::Invalid | ErrorKind::NotAllowedInCurrentState => {
            StatusCode::BAD_REQUEST
        }
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::Canceled | ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl<E: DomainError> From<E> for Problem {
    fn from(e: E) -> Self {
        Problem::from_domain(&e)
    }
}

impl Problem {
    /// The problem a service error shows: the carried error's, if it carries one; an
    /// internal error (details logged) for the server's faults; else its kind, code
    /// and message.
    pub fn from_domain(e: &dyn DomainError) -> Self {
        if let Some(inner) = e.carried() {
            return Problem::from_domain(inner);
        }
        if e.is_internal() {
            return Problem::internal(&e);
        }
        Problem {
            retry_after: e.retry_after(),
            data: e.data(),
            ..Problem::new(e.kind(), e.code(), e.message())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framework_statuses_become_problems() {
        let p = Problem::from_status(StatusCode::UNPROCESSABLE_ENTITY, "missing field `x`");
        assert_eq!(p.status, Some(StatusCode::BAD_REQUEST));
        assert_eq!(p.kind, ErrorKind::Invalid);
        assert_eq!(p.message.default, "missing field `x`");
        let p = Problem::from_status(StatusCode::METHOD_NOT_ALLOWED, "");
        assert_eq!(p.message.default, "Method Not Allowed");
    }
}
