//! Request metrics: counts by family, route, method and status, and latency histograms.
//!
//! Every label takes its value from a closed set, so that no client can add series: the
//! method is one of the standard ones or `OTHER`, the route is the template a request
//! matched (`/v1/tasks/{id}`) or `unmatched`, never the raw path, and the family is
//! derived from the path's prefix.

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

/// Request counter name.
pub const REQUESTS: &str = "depotd_http_requests_total";
/// Request latency histogram name (seconds).
pub const LATENCY: &str = "depotd_http_request_duration_seconds";

/// The `method` label of a method outside the standard ones.
pub const OTHER_METHOD: &str = "OTHER";
/// The `route` label of a request no route matched.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Middleware: records one request.
pub async fn layer(request: Request, next: Next) -> Response {
    let method = method_label(request.method());
    let family = family_of(request.uri().path());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED_ROUTE.to_owned(), |p| p.as_str().to_owned());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(REQUESTS, "family" => family, "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!(LATENCY, "family" => family, "route" => route, "method" => method)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The methods whose names are label values.
const STANDARD_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
];

/// The `method` label: the method's name when it is a standard one, else `OTHER`.
pub fn method_label(method: &Method) -> &'static str {
    STANDARD_METHODS
        .into_iter()
        .find(|m| *m == method.as_str())
        .unwrap_or(OTHER_METHOD)
}

/// The API family a path belongs to, for labels.
pub fn family_of(path: &str) -> &'static str {
    if path.starts_with("/fleet-lcm/") {
        "fleet-lcm"
    } else if path == "/api" || path.starts_with("/api/") || path.starts_with("/rest/") {
        "vsphere"
    } else if path.starts_with("/v1/") {
        "sddc-manager"
    } else {
        "ops"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_standard_methods_keep_their_name() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        assert_eq!(method_label(&Method::CONNECT), "CONNECT");
        let made_up = Method::from_bytes(&[b'X'; 4096]).unwrap();
        assert_eq!(method_label(&made_up), OTHER_METHOD);
        assert_eq!(
            method_label(&Method::from_bytes(b"PROPFIND").unwrap()),
            OTHER_METHOD
        );
    }
}
