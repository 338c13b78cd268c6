//! `/health`, `/metrics` and `/openapi.json`.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::http::{Method, StatusCode};
use depot_blobs::Expected;
use depotd::blob_usage::{BlobUsage, Reading};
use depotd::jobs::BlobGc;

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
    // The first scrape started the count of the blob bytes; a later one shows it.
    let mut r = r;
    for _ in 0..200 {
        if r.text.contains("depotd_blob_bytes_timestamp_seconds") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
        r = t.send(Method::GET, "/metrics", &[], None).await;
    }
    assert!(r.text.contains("depotd_blob_bytes "), "{}", r.text);
    assert!(
        r.text.contains("depotd_blob_bytes_timestamp_seconds "),
        "{}",
        r.text
    );
}

/// Polls `usage` (as a scrape does) until it shows `bytes`; panics after 20 s.
async fn wait_for_bytes(usage: &Arc<BlobUsage>, bytes: u64) -> Reading {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reading = usage.current();
        if let Some(reading) = reading.filter(|r| r.bytes == bytes) {
            return reading;
        }
        assert!(
            Instant::now() < deadline,
            "still {reading:?}, not {bytes} bytes"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn blob_bytes_are_counted_in_the_background_at_most_once_per_interval() {
    let t = TestApp::new().await;
    let every = Duration::from_secs(3);
    let usage = BlobUsage::new(Arc::clone(&t.app.blobs), every);
    let put = |bytes: Vec<u8>| {
        let blobs = Arc::clone(&t.app.blobs);
        async move {
            blobs
                .put(&mut bytes.as_slice(), Expected::default())
                .await
                .unwrap()
        }
    };
    put(vec![1; 1000]).await;
    // The first look starts the count and does not wait for it.
    let start = Instant::now();
    assert_eq!(usage.current(), None);
    let first = wait_for_bytes(&usage, 1000).await;

    // Within the interval the figure stays what it was: no new count.
    put(vec![2; 500]).await;
    for _ in 0..20 {
        let elapsed = start.elapsed();
        let shown = usage.current().unwrap();
        if elapsed < every {
            assert_eq!(shown, first, "counted again after {elapsed:?}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // After it, a look starts a new count and a later one shows it.
    let second = wait_for_bytes(&usage, 1500).await;
    assert!(second.taken > first.taken);
    assert!(start.elapsed() >= every);
}

#[tokio::test]
async fn a_blob_gc_pass_hands_its_count_to_the_gauge() {
    let t = TestApp::new().await;
    let size = 1234;
    t.app
        .blobs
        .put(&mut vec![7u8; size].as_slice(), Expected::default())
        .await
        .unwrap();
    let before = SystemTime::now();
    t.app
        .services
        .tasks
        .submit(BlobGc::task("system"))
        .await
        .unwrap();
    t.app.services.tasks.run_pending().await.unwrap();
    // No count ran before: the figure is the pass's (the blob is within its grace).
    let reading = t.app.blob_usage.current().expect("the pass's figure");
    assert_eq!(reading.bytes, size as u64);
    assert!(reading.taken >= before);
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
