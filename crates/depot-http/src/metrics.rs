//! Request metrics: counts by family, method and status, and latency histograms.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

/// Request counter name.
pub const REQUESTS: &str = "depotd_http_requests_total";
/// Request latency histogram name (seconds).
pub const LATENCY: &str = "depotd_http_request_duration_seconds";

/// Middleware: records one request.
pub async fn layer(request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let family = family_of(request.uri().path());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(REQUESTS, "family" => family, "method" => method.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(LATENCY, "family" => family, "method" => method)
        .record(started.elapsed().as_secs_f64());
    response
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
