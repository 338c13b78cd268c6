//! Syncs and uploads accept catalogs by one rule: the same catalog against the same
//! current version is refused the same way on both paths.

use std::sync::Arc;
use std::time::Duration;

use depot_model::{ErrorKind, Task, TaskStatus};
use tokio::sync::Semaphore;

use crate::harness::{ADMIN, Harness};
use crate::upstream::{CATALOG, FIRST_SEQUENCE, Fault, MANIFEST, SIGNATURE};

/// Publishes a catalog of `sequence` upstream and copies it (with its signature) into
/// the import directory as `name` and `name.sig`.
fn publish_and_import(h: &Harness, sequence: u64, name: &str) {
    h.upstream.publish_catalog(sequence, 3);
    std::fs::write(h.import_dir.join(name), h.upstream.content(CATALOG)).unwrap();
    let signature = h.upstream.content(SIGNATURE);
    std::fs::write(h.import_dir.join(format!("{name}.sig")), signature).unwrap();
}

fn error(task: &Task) -> (ErrorKind, String, String) {
    let e = task.error.as_ref().expect("a failed task has an error");
    (e.kind, e.code.clone(), e.message.default.clone())
}

/// A sync verified a catalog, then an upload made a newer one current before the sync
/// applied: the sync's apply refuses the rollback, as an upload of that very catalog is
/// refused, and neither changes what is current.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_and_upload_refuse_the_same_rollback_the_same_way() {
    let (h, _) = Harness::synced().await;
    let h = Arc::new(h);
    publish_and_import(&h, FIRST_SEQUENCE + 2, "newer.json");
    // What the depot serves from now on: newer than the synced catalog, older than
    // the upload below.
    publish_and_import(&h, FIRST_SEQUENCE + 1, "older.json");

    // The sync verifies the depot's catalog, then waits on the manifest.
    let gate = Arc::new(Semaphore::new(0));
    h.upstream.fault(MANIFEST, Fault::Hold(Arc::clone(&gate)));
    let manifest_requests = h.upstream.requests(MANIFEST);
    let sync = h.service.sync(ADMIN).await.unwrap();
    let runner = {
        let h = Arc::clone(&h);
        tokio::spawn(async move { h.engine.run_pending().await.unwrap() })
    };
    tokio::time::timeout(Duration::from_secs(30), async {
        while h.upstream.requests(MANIFEST) == manifest_requests {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the sync passes verify-pvc and reaches the manifest");

    // Meanwhile an upload makes a newer catalog current.
    let upload = h.upload("newer.json").await;
    assert_eq!(upload.status, TaskStatus::Succeeded, "{:?}", upload.error);
    let before = h.snapshot().await;
    let current = before.catalog.clone().expect("the upload is current");
    assert_eq!(current.task_id, upload.id);

    gate.close();
    runner.await.unwrap();
    let synced = h.engine.get(sync.id).await.unwrap();
    let code = "PRODUCT_VERSION_CATALOG_ROLLBACK";
    h.assert_failed(&synced, "apply", code, "roll back", &before)
        .await;

    // The depot's catalog uploaded: refused by the same rule, for the same reason.
    let uploaded = h.upload("older.json").await;
    assert_eq!(uploaded.status, TaskStatus::Failed);
    let (sync_kind, sync_code, sync_message) = error(&synced);
    let (upload_kind, upload_code, upload_message) = error(&uploaded);
    assert_eq!((sync_kind, sync_code.as_str()), (ErrorKind::Conflict, code));
    assert_eq!(
        (upload_kind, upload_code.as_str()),
        (ErrorKind::Conflict, code)
    );
    assert!(
        upload_message.contains(&format!("{}", FIRST_SEQUENCE + 2))
            && upload_message.contains(&format!("{}", FIRST_SEQUENCE + 1)),
        "{upload_message}"
    );
    assert_eq!(
        sync_message,
        format!("The depot's product version catalog was refused: {upload_message}")
    );
    assert_eq!(h.snapshot().await.catalog, Some(current));
}
