//! Rendering problems in each family's own error body.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::Problem;

/// Longest framework error text kept as a message.
const MAX_REJECTION_TEXT: usize = 4096;

/// An API family's error dialect.
pub trait Family: Send + Sync + 'static {
    /// The status for `problem` (the problem's own status wins when set).
    fn status(problem: &Problem) -> StatusCode {
        problem
            .status
            .unwrap_or_else(|| crate::problem::default_status(problem.kind))
    }

    /// The family's JSON error body for `problem`, with the request id as reference.
    fn body(problem: &Problem, status: StatusCode, reference: &str) -> serde_json::Value;

    /// Extra headers for the response (e.g. `WWW-Authenticate`).
    fn decorate(_problem: &Problem, _response: &mut Response) {}
}

/// Middleware: turns every error response under a family's routes into that family's
/// body — problems raised by handlers and extractors, and any plain-text or empty
/// error the framework produced (unknown route, wrong method, body too large).
pub async fn render_errors<F: Family>(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    // A 416 says what the file's length is (RFC 9110 §15.5.17), a 405 which methods
    // the resource has (§15.5.6), whoever renders them.
    let kept = match status {
        StatusCode::RANGE_NOT_SATISFIABLE => Some(header::CONTENT_RANGE),
        StatusCode::METHOD_NOT_ALLOWED => Some(header::ALLOW),
        _ => None,
    }
    .and_then(|name| Some((name.clone(), response.headers().get(name)?.clone())));
    let problem = match response.extensions().get::<Problem>() {
        Some(p) => p.clone(),
        None if is_json(&response) => return response,
        None => {
            let bytes = axum::body::to_bytes(response.into_body(), MAX_REJECTION_TEXT)
                .await
                .unwrap_or_default();
            Problem::from_status(status, &String::from_utf8_lossy(&bytes))
        }
    };
    let mut rendered = render::<F>(&problem);
    if let Some((name, value)) = kept {
        rendered.headers_mut().insert(name, value);
    }
    rendered
}

/// Renders a problem in family `F`'s form.
pub fn render<F: Family>(problem: &Problem) -> Response {
    let status = F::status(problem);
    let reference = crate::request_id::current();
    let body = F::body(problem, status, &reference);
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(after) = problem.retry_after {
        // Whole seconds, rounded up: never an invitation to retry at once.
        let seconds = u64::try_from(after.as_millis().div_ceil(1000).max(1)).unwrap_or(u64::MAX);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    F::decorate(problem, &mut response);
    response
}

fn is_json(response: &Response<Body>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}
