//! depotd on an S3-compatible blob store (s3s-fs from `scripts/s3.sh`), through the real
//! binary: the flags, the credentials file, the refusals at start-up, `/health` and the
//! object-store metrics.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::process::{Server, client, command, free_port, wait_exit};
use crate::support::s3_test_server;

/// `depotd serve` on the test server's bucket under a fresh prefix; `extra` adds flags.
fn s3_args(c: &mut Command, endpoint: &str, bucket: &str, extra: &[&str]) {
    let prefix = format!("depotd-process-{}", uuid::Uuid::new_v4().simple());
    c.arg("--blob-store")
        .arg(format!("s3://{bucket}/{prefix}"))
        .arg("--s3-endpoint")
        .arg(endpoint)
        .args(extra);
}

/// Runs `depotd serve` with `tweak`, expecting it to refuse to start; returns stderr.
fn refused(dir: &Path, tweak: impl FnOnce(&mut Command)) -> String {
    let logs = dir.join("refused-log");
    let mut c = command(&dir.join("data"), &logs);
    c.arg("--listen").arg(format!("127.0.0.1:{}", free_port()));
    tweak(&mut c);
    let mut child = c.spawn().unwrap();
    let status = wait_exit(&mut child, Duration::from_mins(1));
    let stderr = std::fs::read_to_string(logs.with_extension("err")).unwrap();
    assert!(!status.success(), "depotd started: {stderr}");
    stderr
}

#[tokio::test]
async fn serves_from_a_bucket_with_a_credentials_file_and_reports_it() {
    let Some((endpoint, bucket)) = s3_test_server() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("s3.toml");
    std::fs::write(
        &credentials,
        format!(
            "access_key_id = \"{}\"\nsecret_access_key = \"{}\"\n",
            std::env::var("AWS_ACCESS_KEY_ID").unwrap(),
            std::env::var("AWS_SECRET_ACCESS_KEY").unwrap()
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    let mut s = Server::start(&data, |c| {
        s3_args(c, &endpoint, &bucket, &[]);
        c.arg("--s3-credentials-file").arg(&credentials);
        // The file, not the environment, must be what works.
        c.env("AWS_ACCESS_KEY_ID", "not-the-key")
            .env("AWS_SECRET_ACCESS_KEY", "not-the-secret");
    });
    s.wait_healthy().await;
    let health: serde_json::Value = client()
        .get(s.url("/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["blobStore"], "ok", "{health}");
    assert_eq!(health["blobStoreBackend"], "s3", "{health}");
    assert_eq!(health["database"], "ok", "{health}");
    let metrics = client()
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "depotd_object_store_requests_total{op=\"put\"}",
        "depotd_object_store_bytes_total{direction=\"out\"}",
        "depotd_object_store_requests_total{op=\"list\"}",
    ] {
        assert!(metrics.contains(name), "{name} missing:\n{metrics}");
    }
    assert!(
        !data.join("blobs").exists(),
        "an S3-backed server made a local blob directory"
    );
}

#[test]
fn start_refuses_a_missing_bucket_wrong_credentials_and_a_dead_endpoint() {
    let Some((endpoint, bucket)) = s3_test_server() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let err = refused(dir.path(), |c| {
        s3_args(c, &endpoint, "no-such-bucket-here", &[]);
    });
    assert!(err.contains("the bucket does not exist"), "{err}");
    assert!(err.contains("no-such-bucket-here"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let err = refused(dir.path(), |c| {
        s3_args(c, &endpoint, &bucket, &[]);
        c.env("AWS_SECRET_ACCESS_KEY", "wrong-secret");
    });
    assert!(err.contains("the credentials were refused"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let dead = format!("http://127.0.0.1:{}", free_port());
    let err = refused(dir.path(), |c| {
        s3_args(c, &dead, &bucket, &[]);
    });
    assert!(err.contains("the endpoint is unreachable"), "{err}");
    assert!(err.contains(&dead), "{err}");
}

#[test]
fn plain_http_off_loopback_needs_allow_http() {
    let dir = tempfile::tempdir().unwrap();
    let err = refused(dir.path(), |c| {
        c.args([
            "--blob-store",
            "s3://b/p",
            "--s3-endpoint",
            "http://s3.example.com:9000",
        ]);
    });
    assert!(err.contains("--s3-allow-http"), "{err}");
}

/// A metric's value in a Prometheus text (`name` with its labels), if present.
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// The object-store LIST requests counter.
const LISTS: &str = "depotd_object_store_requests_total{op=\"list\"}";

/// Many scrapes list the bucket once: `depotd_blob_bytes` is counted in the background at
/// most once per interval (a minute), not on every scrape.
#[tokio::test]
async fn scrapes_list_the_bucket_at_most_once_per_interval() {
    let Some((endpoint, bucket)) = s3_test_server() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut s = Server::start(&dir.path().join("data"), |c| {
        s3_args(c, &endpoint, &bucket, &["--plain-http"]);
    });
    s.scheme = "http";
    s.wait_healthy().await;
    let http = client();
    let scrape = || async {
        http.get(s.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    // /health lists too (its write probe): the count before the first scrape.
    let before = metric(&scrape().await, LISTS).unwrap_or(0.0);
    // The first scrape started the count; scrapes show it once it is done.
    let mut text = scrape().await;
    for _ in 0..200 {
        if metric(&text, "depotd_blob_bytes").is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
        text = scrape().await;
    }
    assert_eq!(metric(&text, "depotd_blob_bytes"), Some(0.0), "{text}");
    assert!(
        metric(&text, "depotd_blob_bytes_timestamp_seconds").is_some_and(|t| t > 1.7e9),
        "{text}"
    );
    let counted = metric(&text, LISTS).unwrap();
    for _ in 0..50 {
        text = scrape().await;
    }
    assert_eq!(
        metric(&text, LISTS),
        Some(counted),
        "50 more scrapes listed the bucket:\n{text}"
    );
    // Each listing of the (empty) prefix is one LIST request; the first scrape (before
    // any figure) and the polling ones sent one between them.
    assert!(counted - before <= 1.0, "{before} -> {counted}:\n{text}");
}
