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
