//! `/health`, `/metrics` and `/openapi.json`.

use axum::http::{Method, StatusCode};

use crate::support::TestApp;

#[tokio::test]
async fn health_reports_database_and_blob_store() {
    let t = TestApp::new().await;
    let r = t.send(Method::GET, "/health", &[], None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "ok");
    assert_eq!(r.body["databaseBackend"], "sqlite");
}

#[tokio::test]
async fn metrics_expose_requests_and_tasks() {
    let t = TestApp::new().await;
    t.send(Method::GET, "/fleet-lcm/v1/tasks", &[], None).await;
    let r = t.send(Method::GET, "/metrics", &[], None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("depotd_http_requests_total"), "{}", r.text);
    assert!(
        r.text.contains("depotd_tasks{status=\"PENDING\"}"),
        "{}",
        r.text
    );
    assert!(r.text.contains("depotd_blob_bytes"), "{}", r.text);
}

#[tokio::test]
async fn openapi_lists_only_routes_that_exist() {
    let t = TestApp::new().await;
    let r = t.send(Method::GET, "/openapi.json", &[], None).await;
    assert_eq!(r.body["openapi"], "3.1.0");
    let operations = depotd::openapi::operations(&t.app.vsphere_registry());
    assert!(
        operations
            .iter()
            .any(|o| o.path == "/api/cis/tasks/{task}" && o.method == "post")
    );
    for op in operations {
        assert!(
            r.body["paths"][&op.path][&op.method].is_object(),
            "{} {}",
            op.method,
            op.path
        );
        let path = op
            .path
            .replace("{taskId}", &uuid::Uuid::new_v4().to_string())
            .replace("{task}", "x");
        let method = Method::from_bytes(op.method.to_ascii_uppercase().as_bytes()).unwrap();
        let reply = t.send(method, &path, &[], None).await;
        let unknown = reply.text.contains("OPERATION_NOT_FOUND")
            || reply.status == StatusCode::METHOD_NOT_ALLOWED;
        assert!(
            !unknown,
            "{} {} is documented but not routed: {}",
            op.method, op.path, reply.text
        );
    }
}
