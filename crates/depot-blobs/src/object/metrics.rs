//! Counters of the requests to the object store, for `/metrics`:
//! `depotd_object_store_requests_total{op}`, `depotd_object_store_errors_total{op}`
//! and `depotd_object_store_bytes_total{direction="in"|"out"}` (in: read from the
//! store; out: written to it).

use std::future::Future;

/// Requests sent, by operation.
pub const REQUESTS: &str = "depotd_object_store_requests_total";
/// Requests that failed (after retries), by operation; "not found" is an answer, not
/// an error.
pub const ERRORS: &str = "depotd_object_store_errors_total";
/// Payload bytes moved, by direction.
pub const BYTES: &str = "depotd_object_store_bytes_total";

/// Runs one request, counting it and its failure.
pub(super) async fn call<T>(
    op: &'static str,
    request: impl Future<Output = object_store::Result<T>>,
) -> object_store::Result<T> {
    metrics::counter!(REQUESTS, "op" => op).increment(1);
    let result = request.await;
    if let Err(e) = &result
        && !matches!(e, object_store::Error::NotFound { .. })
    {
        metrics::counter!(ERRORS, "op" => op).increment(1);
    }
    result
}

/// Counts payload bytes read from the store.
pub(super) fn bytes_in(n: usize) {
    metrics::counter!(BYTES, "direction" => "in").increment(n as u64);
}

/// Counts payload bytes written to the store.
pub(super) fn bytes_out(n: usize) {
    metrics::counter!(BYTES, "direction" => "out").increment(n as u64);
}
