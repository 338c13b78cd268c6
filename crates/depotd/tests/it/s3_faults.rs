//! depotd when its object store fails (a fault proxy in front of the S3 test server):
//! an upload while the store disappears fails as retriable (503) and leaves nothing
//! visible, `/health` reports the blob store down and the database up, and both recover
//! when the store is back; a depot sync while the store disappears fails as a retriable
//! task, the previous catalog is still served, and the retried task succeeds.

use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use depot_blobs::Sha256Digest;
use depot_catalog::testkit::generate_catalog;
use serde_json::Value;

use crate::depot_sync::{Fixture, PVC, UPSTREAM_PASSWORD, URM, manifest};
use crate::fault_proxy::FaultProxy;
use crate::s3_crash::{files_under, upload_files};
use crate::support::{ADMIN, ADMIN_PASSWORD, TestApp, basic, s3_test_server, use_s3};

async fn vum_upload(t: &TestApp, sid: &str, body: Vec<u8>) -> crate::support::Reply {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/vum-fileupload")
        .header("vmware-api-session-id", sid)
        .header("content-type", "application/octet-stream")
        .body(Body::from(body))
        .unwrap();
    t.call(request).await
}

#[tokio::test]
async fn an_upload_while_the_store_disappears_is_retriable_and_leaves_the_old_state() {
    let Some((endpoint, _)) = s3_test_server() else {
        return;
    };
    let proxy = FaultProxy::start(&endpoint).await;
    let url = proxy.url.clone();
    let t = TestApp::with(
        |c| {
            use_s3(c);
            c.s3.endpoint = Some(url);
        },
        Vec::new(),
    )
    .await;
    let sid = t.vsphere_session(ADMIN, ADMIN_PASSWORD).await;
    let old = vec![7u8; 100_000];
    let r = vum_upload(&t, &sid, old.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let before = t.app.blobs.list().await.unwrap();
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].digest, Sha256Digest::compute(&old));

    // The store goes away a part and a half into a 24 MiB upload.
    proxy.faults.die_after(12 * 1024 * 1024);
    let big: Vec<u8> = (0..24 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let r = vum_upload(&t, &sid, big.clone()).await;
    assert!(proxy.faults.is_dead());
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert!(r.text.contains("send the file again later"), "{}", r.text);
    assert!(
        !r.text.contains("staging"),
        "store details shown: {}",
        r.text
    );

    let r = t.send(Method::GET, "/health", &[], None).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert_eq!(r.body["blobStore"], "unavailable", "{}", r.text);
    assert_eq!(r.body["database"], "ok", "{}", r.text);
    let metrics = t.send(Method::GET, "/metrics", &[], None).await.text;
    assert!(
        metrics.contains("depotd_object_store_errors_total{op=\"put part\"}")
            || metrics.contains("depotd_object_store_errors_total{op=\"create multipart\"}"),
        "{metrics}"
    );

    // Back: healthy, the old blob intact, nothing of the failed upload visible.
    proxy.faults.revive();
    let r = t.send(Method::GET, "/health", &[], None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(t.app.blobs.list().await.unwrap(), before);
    assert_eq!(
        t.app
            .blobs
            .read_all(&before[0].digest, 1 << 20)
            .await
            .unwrap(),
        old
    );
    // The retried upload succeeds.
    let r = vum_upload(&t, &sid, big.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let (reader, size) = t
        .app
        .blobs
        .open(&Sha256Digest::compute(&big))
        .await
        .unwrap();
    assert_eq!(size, big.len() as u64);
    drop(reader);
}

/// The status of stage `id` of a fleet-lcm task.
fn stage<'a>(task: &'a Value, id: &str) -> &'a Value {
    task["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .map_or(&Value::Null, |s| &s["status"])
}

/// The depot's `path` as the downstream depot serves it.
async fn depot_file(f: &Fixture, path: &str) -> Vec<u8> {
    let r =
        f.t.send(
            Method::GET,
            &format!("/depot/{path}"),
            &[("authorization", &basic(ADMIN, ADMIN_PASSWORD))],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    r.raw
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_while_the_store_disappears_fails_retriable_and_keeps_the_old_catalog() {
    let Some((endpoint, bucket)) = s3_test_server() else {
        return;
    };
    let root = PathBuf::from(
        std::env::var("DEPOTD_TEST_S3_ROOT").expect("DEPOTD_TEST_S3_ROOT (scripts/s3.sh)"),
    );
    let prefix = format!("depotd-it-{}", uuid::Uuid::new_v4().simple());
    let proxy = FaultProxy::start(&endpoint).await;
    let url = proxy.url.clone();
    let f = Fixture::with(|c| {
        use_s3(c);
        c.blob_store = Some(format!("s3://{bucket}/{prefix}"));
        c.s3.endpoint = Some(url);
    })
    .await;
    let r = f.configure(UPSTREAM_PASSWORD).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(f.sync().await["status"], "SUCCEEDED");
    let old_manifest = manifest(&["9.1.0.0"]);
    assert_eq!(depot_file(&f, URM).await, old_manifest);

    // A newer catalog of more than one part (8 MiB): the store goes away 4 MiB into
    // writing it.
    let catalog = generate_catalog(6, 12_000);
    assert!(catalog.len() > 9 << 20, "{} bytes", catalog.len());
    let digest = Sha256Digest::compute(&catalog);
    f.publish_catalog(catalog.clone(), &["9.1.0.0", "9.2.0.0"]);
    proxy.faults.die_after(4 << 20);
    let failed = f.sync().await;
    assert!(
        proxy.faults.is_dead(),
        "the store did not go away: {failed}"
    );
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert_eq!(failed["retriable"], true, "{failed}");
    assert_eq!(
        failed["additionalDetails"]["errorCode"], "DEPOT_STORE_FAILED",
        "{failed}"
    );
    assert_eq!(stage(&failed, "download-pvc"), "FAILED", "{failed}");
    assert_eq!(stage(&failed, "apply"), "PENDING", "{failed}");
    // The upload's marker and parts stay while the store is away.
    let staging = root.join(&bucket).join(&prefix).join("staging");
    let uploads: Vec<String> = files_under(&staging)
        .iter()
        .map(|marker| std::fs::read_to_string(marker).unwrap())
        .filter_map(|record| record.lines().nth(1).map(str::to_owned))
        .collect();
    assert!(!uploads.is_empty(), "no upload marker");

    // Back: the old state is intact and served, nothing of the new catalog visible.
    proxy.faults.revive();
    assert_eq!(f.catalog_sequence().await, 5);
    assert_eq!(depot_file(&f, URM).await, old_manifest);
    assert_eq!(depot_file(&f, PVC).await, generate_catalog(5, 4));
    assert_eq!(f.t.app.blobs.stat(&digest).await.unwrap(), None);

    // The retried task succeeds and the new catalog is served.
    let id = failed["id"].as_str().unwrap();
    let done = f.retry(id).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(f.catalog_sequence().await, 6);
    assert_eq!(depot_file(&f, PVC).await, catalog);
    assert_eq!(
        f.t.app.blobs.stat(&digest).await.unwrap(),
        Some(catalog.len() as u64)
    );
    leftovers_are_collected(&f, &root, &staging, &uploads).await;
}

/// A garbage collection with no grace period removes what the failed write left in
/// the bucket (the abort could not reach the store): its markers and parts.
async fn leftovers_are_collected(f: &Fixture, root: &Path, staging: &Path, uploads: &[String]) {
    let referenced = f.t.app.store.blob_references().await.unwrap();
    f.t.app
        .blobs
        .collect_garbage(&|d| referenced.contains(d), Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(files_under(staging), Vec::<PathBuf>::new());
    for upload in uploads {
        assert_eq!(upload_files(root, upload), Vec::<String>::new());
    }
}
