//! A failing depot: each fault fails the sync with a code saying why, the task can be
//! retried, and the metadata of the previous sync stays current — untouched.

use std::time::Duration;

use depot_model::{Level, TaskStatus};
use depot_sync::SyncConfig;

use crate::harness::{ADMIN, Harness, Snapshot, offline, quick_config, synced_digest};
use crate::upstream::{
    Access, CATALOG, COMPATIBILITY, FIRST_SEQUENCE, Fault, MANIFEST, PASSWORD, SIGNATURE, USER,
    catalog, manifest, pki, sign,
};

/// A depot synced once with `config`.
async fn synced_with(config: SyncConfig) -> (Harness, Snapshot) {
    let h = Harness::with(config, Access::Basic(USER.into(), PASSWORD.into())).await;
    let task = h.sync().await;
    assert_eq!(task.status, TaskStatus::Succeeded, "{:?}", task.error);
    let before = h.snapshot().await;
    (h, before)
}

#[tokio::test]
async fn refused_connection() {
    let (h, before) = Harness::synced().await;
    h.upstream.stop().await;
    let task = h.sync().await;
    h.assert_failed(
        &task,
        "connect",
        "DEPOT_NOT_AVAILABLE",
        "connection refused",
        &before,
    )
    .await;
    assert_eq!(
        h.depot_status().await.as_deref(),
        Some("DEPOT_NOT_AVAILABLE")
    );
}

#[tokio::test]
async fn rejected_credentials() {
    let (h, before) = Harness::synced().await;
    h.upstream
        .set_access(Access::Basic(USER.into(), "rotated-pw".into()));
    let task = h.sync().await;
    h.assert_failed(
        &task,
        "connect",
        "DEPOT_INVALID_CREDENTIAL",
        "HTTP 401",
        &before,
    )
    .await;
    assert_eq!(
        h.depot_status().await.as_deref(),
        Some("DEPOT_INVALID_CREDENTIAL")
    );
    assert!(!serde_json::to_string(&task).unwrap().contains(PASSWORD));
}

#[tokio::test]
async fn one_file_refused_once_fails_one_sync_only() {
    let (h, before) = Harness::synced().await;
    h.upstream.fault_times(COMPATIBILITY, Fault::Status(401), 1);
    let task = h.sync().await;
    h.assert_failed(
        &task,
        "download-urm",
        "DEPOT_INVALID_CREDENTIAL",
        "Compatibility",
        &before,
    )
    .await;
    assert_eq!(h.sync().await.status, TaskStatus::Succeeded);
}

#[tokio::test]
async fn untrusted_tls_certificate() {
    let (h, before) = Harness::synced().await;
    let input = offline(&h.upstream.url(), PASSWORD, &pki().other_ca);
    let view = h.service.put_settings(input, ADMIN).await.unwrap();
    let status = view.offline_account.unwrap().status;
    assert_eq!(status.as_deref(), Some("DEPOT_UNTRUSTED_CERTIFICATE"));
    let task = h.sync().await;
    h.assert_failed(
        &task,
        "connect",
        "DEPOT_UNTRUSTED_CERTIFICATE",
        "not trusted",
        &before,
    )
    .await;
}

#[tokio::test]
async fn missing_signature_file() {
    let (h, before) = Harness::synced().await;
    h.upstream.publish_catalog(FIRST_SEQUENCE + 1, 4);
    h.upstream.fault(SIGNATURE, Fault::Status(404));
    let task = h.sync().await;
    h.assert_failed(
        &task,
        "download-pvc",
        "DEPOT_FILE_NOT_FOUND",
        "productVersionCatalog.sig (HTTP 404)",
        &before,
    )
    .await;
    // A missing file says nothing about the connection.
    assert_eq!(
        h.depot_status().await.as_deref(),
        Some("DEPOT_CONNECTION_SUCCESSFUL")
    );
}

#[tokio::test]
async fn server_errors_that_persist() {
    let (h, before) = Harness::synced().await;
    h.upstream.fault(SIGNATURE, Fault::Status(503));
    let requests = h.upstream.requests(SIGNATURE);
    let task = h.sync().await;
    h.assert_failed(
        &task,
        "download-pvc",
        "DEPOT_NOT_AVAILABLE",
        "HTTP 503",
        &before,
    )
    .await;
    assert_eq!(
        h.upstream.requests(SIGNATURE),
        requests + 3,
        "1 try + 2 retries"
    );
}

#[tokio::test]
async fn server_error_once_is_retried_by_the_client() {
    let (h, before) = Harness::synced().await;
    h.upstream
        .publish(MANIFEST, manifest(2, &[("9.2.0.0", "9.2.0.0.1")]));
    h.upstream.fault_times(MANIFEST, Fault::Status(500), 1);
    let task = h.sync().await;
    assert_eq!(task.status, TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(h.upstream.answers(MANIFEST, 500), 1);
    let now = h.snapshot().await;
    assert_eq!(
        synced_digest(&now, MANIFEST),
        Some(h.upstream.digest(MANIFEST))
    );
    assert_eq!(now.catalog, before.catalog);
    assert_eq!(now.releases[0].version, "9.2.0.0");
}

#[tokio::test]
async fn signature_of_other_bytes() {
    let (h, before) = Harness::synced().await;
    h.upstream.publish(CATALOG, catalog(FIRST_SEQUENCE + 1, 4));
    h.upstream.publish(SIGNATURE, sign(b"not the catalog"));
    let task = h.sync().await;
    let code = "PRODUCT_VERSION_CATALOG_SIGNATURE_INVALID";
    h.assert_failed(&task, "verify-pvc", code, "does not match", &before)
        .await;
}

#[tokio::test]
async fn signed_catalog_that_fails_validation() {
    let (h, before) = Harness::synced().await;
    let bad = format!(
        r#"{{"version": 1, "sequenceNumber": {}, "creationTime": "2025-01-01T00:00:00Z",
            "publishedTime": "2025-01-01T00:00:00Z",
            "patches": {{"VCENTER": [{{"productVersion": "9.1.0.0.1", "artifacts": {{"bundles": [
              {{"id": "not-a-uuid", "type": "PATCH", "name": "b", "binaries": []}}]}}}}]}}}}"#,
        FIRST_SEQUENCE + 1
    );
    h.upstream.publish(CATALOG, bad.clone().into_bytes());
    h.upstream.publish(SIGNATURE, sign(bad.as_bytes()));
    let task = h.sync().await;
    let code = "PRODUCT_VERSION_CATALOG_INVALID_FIELD";
    h.assert_failed(&task, "verify-pvc", code, "bundles[0].id", &before)
        .await;
}

#[tokio::test]
async fn manifest_that_is_not_json_keeps_the_new_catalog_out() {
    let (h, before) = Harness::synced().await;
    h.upstream.publish_catalog(FIRST_SEQUENCE + 1, 4);
    h.upstream.publish(MANIFEST, &b"{\"releases\": [ oops"[..]);
    let task = h.sync().await;
    h.assert_failed(
        &task,
        "validate-urm",
        "DEPOT_MANIFEST_INVALID",
        "not valid",
        &before,
    )
    .await;
}

#[tokio::test]
async fn manifest_with_a_duplicate_release() {
    let (h, before) = Harness::synced().await;
    let twice = manifest(2, &[("9.1.0.0", "9.1.0.0.100"), ("9.1.0.0", "9.1.0.0.200")]);
    h.upstream.publish(MANIFEST, twice);
    let task = h.sync().await;
    h.assert_failed(
        &task,
        "validate-urm",
        "DEPOT_MANIFEST_INVALID",
        "twice",
        &before,
    )
    .await;
}

#[tokio::test]
async fn catalog_rollback_and_sequence_conflict() {
    let (h, before) = Harness::synced().await;
    h.upstream.publish_catalog(FIRST_SEQUENCE - 1, 3);
    let task = h.sync().await;
    let code = "PRODUCT_VERSION_CATALOG_ROLLBACK";
    h.assert_failed(&task, "verify-pvc", code, "roll back", &before)
        .await;

    // The same sequence number with other content.
    h.upstream.publish_catalog(FIRST_SEQUENCE, 4);
    let task = h.sync().await;
    let code = "PRODUCT_VERSION_CATALOG_SEQUENCE_CONFLICT";
    h.assert_failed(&task, "verify-pvc", code, "already stored", &before)
        .await;
}

#[tokio::test]
async fn stalled_body() {
    let mut config = quick_config();
    config.retry.max_retries = 1;
    let (h, before) = synced_with(config).await;
    h.upstream
        .fault(MANIFEST, Fault::Slow(Duration::from_secs(4)));
    let task = h.sync().await;
    h.assert_failed(
        &task,
        "download-urm",
        "DEPOT_NOT_AVAILABLE",
        "sent no data",
        &before,
    )
    .await;
    assert_eq!(h.upstream.answers(MANIFEST, 200), 1 + 2);
}

#[tokio::test]
async fn truncated_body() {
    let (h, before) = Harness::synced().await;
    h.upstream.fault(MANIFEST, Fault::Truncated);
    let len = h.upstream.content(MANIFEST).len();
    let requests = h.upstream.requests(MANIFEST);
    let task = h.sync().await;
    h.assert_failed(
        &task,
        "download-urm",
        "DEPOT_TRUNCATED_DOWNLOAD",
        "cut off",
        &before,
    )
    .await;
    let message = &task.error.as_ref().unwrap().message.default;
    assert!(
        message.contains(&format!(" of {len} bytes (3 attempts)")),
        "{message}"
    );
    assert_eq!(h.upstream.requests(MANIFEST), requests + 3);
}

#[tokio::test]
async fn compatibility_data_the_depot_dropped_is_skipped() {
    let (h, before) = Harness::synced().await;
    h.upstream.remove(COMPATIBILITY);
    let task = h.sync().await;
    assert_eq!(task.status, TaskStatus::Succeeded, "{:?}", task.error);
    let warned = task.stages[3]
        .messages
        .iter()
        .any(|m| m.level == Level::Warn && m.message.default.contains("skipped"));
    assert!(warned, "{:?}", task.stages[3].messages);
    let now = h.snapshot().await;
    assert_eq!(
        synced_digest(&now, COMPATIBILITY),
        None,
        "the mirror follows the depot"
    );
    assert_eq!(
        (now.catalog, now.releases),
        (before.catalog, before.releases)
    );
}
