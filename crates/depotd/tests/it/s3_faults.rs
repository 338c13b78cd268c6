//! depotd when its object store fails (a fault proxy in front of the S3 test server):
//! an upload while the store disappears fails as retriable (503) and leaves nothing
//! visible, `/health` reports the blob store down and the database up, and both recover
//! when the store is back.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use depot_blobs::Sha256Digest;

use crate::fault_proxy::FaultProxy;
use crate::support::{ADMIN, ADMIN_PASSWORD, TestApp, s3_test_server, use_s3};

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
