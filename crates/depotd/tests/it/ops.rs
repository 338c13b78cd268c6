//! `/health`, `/metrics` and `/openapi.json`.

use axum::http::{Method, StatusCode};

use crate::support::{self, TestApp};

#[tokio::test]
async fn health_reports_database_and_blob_store() {
    let t = TestApp::new().await;
    let r = t.send(Method::GET, "/health", &[], None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "ok");
    assert_eq!(r.body["databaseBackend"], support::database_backend());
    assert_eq!(r.body["database"], "ok");
    assert_eq!(r.body["blobStore"], "ok");
    let backend = if support::blob_backend() == "s3" {
        "s3"
    } else {
        "filesystem"
    };
    assert_eq!(r.body["blobStoreBackend"], backend);
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

/// Whether a reply says that no route serves the request (every family's form: 404
/// `OPERATION_NOT_FOUND`, 405, or vSphere's 400 for a method no route takes).
fn unrouted(reply: &crate::support::Reply) -> bool {
    reply.text.contains("OPERATION_NOT_FOUND")
        || reply.status == StatusCode::METHOD_NOT_ALLOWED
        || reply.text.contains("Method Not Allowed")
}

/// A concrete path for a documented template.
fn concrete(template: &str) -> String {
    template
        .replace("{taskId}", &uuid::Uuid::new_v4().to_string())
        .replace("{task_id}", &uuid::Uuid::new_v4().to_string())
        .replace("{*path}", "PROD/x.json")
        .replace("{task}", "x")
        .replace("{datastore}", "datastore-depot")
}

#[tokio::test]
async fn openapi_documents_exactly_the_routes_served() {
    let t = TestApp::new().await;
    let r = t.send(Method::GET, "/openapi.json", &[], None).await;
    assert_eq!(r.body["openapi"], "3.1.0");
    let operations = depotd::openapi::operations(&t.app);
    for (method, path) in [
        (Method::POST, "/api/cis/tasks/{task}"),
        (Method::POST, "/fleet-lcm/v1/depot-metadata"),
        (Method::POST, "/api"),
        (Method::HEAD, "/depot/{*path}"),
    ] {
        assert!(
            operations
                .iter()
                .any(|o| o.path == path && o.method == method),
            "{method} {path} is not documented"
        );
    }
    // Every documented route is in the document and served.
    for op in &operations {
        let doc_path = op.path.replace("{*", "{");
        let method = op.method.as_str().to_ascii_lowercase();
        assert!(
            r.body["paths"][&doc_path][&method].is_object(),
            "{method} {doc_path}"
        );
        // Routes with several actions are served only with one of them, and task-only
        // operations only with `vmw-task=true`, as the summary says.
        let uri = match op.summary.split_once("(?action=") {
            Some((_, action)) => format!(
                "{}?action={}",
                concrete(&op.path),
                action.trim_end_matches(')')
            ),
            None if op.summary.ends_with("(?vmw-task=true)") => {
                format!("{}?vmw-task=true", concrete(&op.path))
            }
            None => concrete(&op.path),
        };
        let reply = t.send(op.method.clone(), &uri, &[], None).await;
        assert!(
            !unrouted(&reply),
            "{} {} is documented but not routed: {}",
            op.method,
            op.path,
            reply.text
        );
    }
    // On every documented path, no undocumented method is served. (New paths can only
    // be served through the same declarations: `ApiRoutes` and the vSphere registry.)
    let mut paths: Vec<&str> = operations.iter().map(|o| o.path.as_str()).collect();
    paths.dedup();
    for path in paths {
        for method in [
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            let documented = operations
                .iter()
                .any(|o| o.path == path && o.method == method);
            // axum answers HEAD with the GET route.
            let head_of_get = method == Method::HEAD
                && operations
                    .iter()
                    .any(|o| o.path == path && o.method == Method::GET);
            if documented || head_of_get {
                continue;
            }
            let reply = t.send(method.clone(), &concrete(path), &[], None).await;
            // A HEAD reply has no body: its status alone tells (vSphere says 400).
            let head_refused = method == Method::HEAD
                && (matches!(
                    reply.status,
                    StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
                ) || reply.status == StatusCode::BAD_REQUEST && path.starts_with("/api"));
            assert!(
                unrouted(&reply) || head_refused,
                "{method} {path} is served but not documented: {} {}",
                reply.status,
                reply.text
            );
        }
    }
}
