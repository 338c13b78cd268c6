//! Operations endpoints: `/health`, `/metrics`, `/openapi.json`.

use std::sync::OnceLock;

use axum::Router;
use axum::extract::State;
use axum::http::{Method, StatusCode, header};
use axum::response::IntoResponse;
use depot_http::{ApiRoutes, RouteDoc};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::json;

use crate::app::App;
use crate::openapi;

/// The routes, with the app as state. Errors (a wrong method) answer in JSON too.
pub fn router(app: App) -> Router {
    routes()
        .into_parts()
        .0
        .with_state(app)
        .layer(axum::middleware::from_fn(
            depot_http::render_errors::<OpsFamily>,
        ))
}

/// The error body of the operations endpoints: `{"code": …, "message": …}`.
struct OpsFamily;

impl depot_http::Family for OpsFamily {
    fn body(problem: &depot_http::Problem, _: StatusCode, reference: &str) -> serde_json::Value {
        json!({
            "code": problem.code,
            "message": problem.message.default,
            "referenceId": reference,
        })
    }
}

/// The documentation of the routes.
pub fn route_docs() -> Vec<RouteDoc> {
    routes().into_parts().1
}

/// Every route, declared once for the router and its documentation.
fn routes() -> ApiRoutes<App> {
    ApiRoutes::new("operations")
        .route(
            Method::GET,
            "/health",
            (
                "health",
                "Health of database and blob store",
                StatusCode::OK,
            ),
            health,
        )
        .route(
            Method::GET,
            "/metrics",
            ("metrics", "Prometheus metrics", StatusCode::OK),
            metrics,
        )
        .route(
            Method::GET,
            "/openapi.json",
            ("openapi", "This document", StatusCode::OK),
            openapi_doc,
        )
}

/// `GET /health`: 200 only when the database answers and the blob store is writable.
async fn health(State(app): State<App>) -> impl IntoResponse {
    let database = app.store.ping().await.map_err(|e| e.to_string());
    let blobs = app.blobs.check_writable().await.map_err(|e| e.to_string());
    let ok = database.is_ok() && blobs.is_ok();
    if let Err(e) = &database {
        tracing::warn!(error = %e, "health: database unusable");
    }
    if let Err(e) = &blobs {
        tracing::warn!(error = %e, "health: blob store unusable");
    }
    let word = |r: &Result<(), String>| if r.is_ok() { "ok" } else { "unavailable" };
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        axum::Json(json!({
            "status": if ok { "ok" } else { "unavailable" },
            "database": word(&database),
            "databaseBackend": app.store.backend(),
            "blobStore": word(&blobs),
            "blobStoreBackend": match app.config.blob_store() {
                Ok(crate::config::BlobStoreChoice::S3 { .. }) => "s3",
                _ => "filesystem",
            },
        })),
    )
}

/// `GET /metrics`: Prometheus text format.
async fn metrics(State(app): State<App>) -> impl IntoResponse {
    let handle = recorder();
    if let Ok(counts) = app.services.tasks.counts().await {
        for status in depot_model::TaskStatus::ALL {
            let n = counts
                .iter()
                .find(|(s, _)| *s == status)
                .map_or(0, |(_, n)| *n);
            #[expect(clippy::cast_precision_loss, reason = "task counts are far below 2^52")]
            metrics::gauge!("depotd_tasks", "status" => status.as_str()).set(n as f64);
        }
    }
    // Cached: a scrape never lists the store (see `blob_usage`).
    if let Some(reading) = app.blob_usage.current() {
        #[expect(
            clippy::cast_precision_loss,
            reason = "a gauge is a float; byte counts stay exact below 2^52"
        )]
        metrics::gauge!("depotd_blob_bytes").set(reading.bytes as f64);
        let taken = reading
            .taken
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        metrics::gauge!("depotd_blob_bytes_timestamp_seconds").set(taken.as_secs_f64());
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
}

/// `GET /openapi.json`.
async fn openapi_doc(State(app): State<App>) -> impl IntoResponse {
    axum::Json(openapi::document(&app))
}

/// The process-wide Prometheus recorder, installed on first use.
pub fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Fails only when another recorder is installed (never in this binary).
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}
