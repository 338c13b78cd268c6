//! The fallback handler of every family router.

use axum::extract::OriginalUri;
use axum::http::Method;

use crate::Problem;

/// Answers a request no route matched, naming the full original path.
pub async fn unknown_route(method: Method, uri: OriginalUri) -> Problem {
    Problem::no_route(method.as_str(), uri.path())
}
