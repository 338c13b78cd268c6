//! Retrying a failed sync resumes at the failed stage; concurrent triggers share one sync.

use std::sync::Arc;
use std::time::Duration;

use depot_metadata::{PageRequest, TaskFilter};
use depot_model::{StageStatus, TaskStatus};
use depot_sync::JOB_NAME;
use tokio::sync::Semaphore;

use crate::harness::{ADMIN, Harness, quick_config, stages, synced_digest};
use crate::upstream::{
    Access, CATALOG, FIRST_SEQUENCE, Fault, MANIFEST, PASSWORD, SIGNATURE, USER, manifest, sign,
};

#[tokio::test]
async fn retry_after_a_missing_manifest_resumes_at_download_urm() {
    let h = Harness::offline().await;
    h.upstream.fault(MANIFEST, Fault::Status(404));
    let failed = h.sync().await;
    assert_eq!(failed.error.as_ref().unwrap().code, "DEPOT_FILE_NOT_FOUND");
    let expected = [
        ("connect", StageStatus::Succeeded),
        ("download-pvc", StageStatus::Succeeded),
        ("verify-pvc", StageStatus::Succeeded),
        ("download-urm", StageStatus::Failed),
        ("validate-urm", StageStatus::Pending),
        ("apply", StageStatus::Pending),
    ];
    assert_eq!(stages(&failed), expected);
    assert!(h.store_is_empty().await, "nothing applied");
    let pvc_requests = [h.upstream.requests(CATALOG), h.upstream.requests(SIGNATURE)];

    h.upstream.heal();
    let task = h.retry(&failed).await;

    assert_eq!(task.status, TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(task.attempts, 2);
    assert!(
        task.stages
            .iter()
            .all(|s| s.status == StageStatus::Succeeded)
    );
    for i in 0..3 {
        assert_eq!(
            task.stages[i].start_time, failed.stages[i].start_time,
            "{} ran again",
            task.stages[i].id
        );
    }
    let pvc_after = [h.upstream.requests(CATALOG), h.upstream.requests(SIGNATURE)];
    assert_eq!(pvc_after, pvc_requests, "the catalog was fetched again");
    let now = h.snapshot().await;
    assert_eq!(now.files.len(), 4);
    let catalog = now.catalog.unwrap();
    assert_eq!(
        catalog.sequence_number,
        i64::try_from(FIRST_SEQUENCE).unwrap()
    );
    assert_eq!(catalog.file_digest, h.upstream.digest(CATALOG));
    assert_eq!(catalog.task_id, task.id);
}

#[tokio::test]
async fn retry_after_a_bad_signature_fetches_the_fixed_signature() {
    let h = Harness::offline().await;
    h.upstream.publish(SIGNATURE, sign(b"some other catalog"));
    let failed = h.sync().await;
    let error = failed.error.clone().unwrap();
    assert_eq!(
        error.code, "PRODUCT_VERSION_CATALOG_SIGNATURE_INVALID",
        "{error:?}"
    );
    assert_eq!(failed.stages[2].status, StageStatus::Failed);

    h.upstream
        .publish(SIGNATURE, sign(&h.upstream.content(CATALOG)));
    let task = h.retry(&failed).await;

    assert_eq!(task.status, TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(task.stages[1].start_time, failed.stages[1].start_time);
    let now = h.snapshot().await;
    assert_eq!(
        synced_digest(&now, SIGNATURE),
        Some(h.upstream.digest(SIGNATURE))
    );
    assert!(now.catalog.is_some());
}

#[tokio::test]
async fn retry_after_an_invalid_manifest_fetches_the_fixed_manifest() {
    let (h, before) = Harness::synced().await;
    h.upstream.publish(
        MANIFEST,
        manifest(2, &[("9.1.0.0", ""), ("9.2.0.0", "9.2.0.0.1")]),
    );
    let failed = h.sync().await;
    h.assert_failed(
        &failed,
        "validate-urm",
        "DEPOT_MANIFEST_INVALID",
        "bom[0]",
        &before,
    )
    .await;

    h.upstream
        .publish(MANIFEST, manifest(3, &[("9.2.0.0", "9.2.0.0.1")]));
    let task = h.retry(&failed).await;

    assert_eq!(task.status, TaskStatus::Succeeded, "{:?}", task.error);
    let now = h.snapshot().await;
    assert_eq!(
        synced_digest(&now, MANIFEST),
        Some(h.upstream.digest(MANIFEST))
    );
    assert_eq!(now.releases.len(), 1);
    assert_eq!(now.catalog, before.catalog);
}

/// A rollback is refused at verify-pvc, whose retry asks the depot again: the fix is
/// picked up.
#[tokio::test]
async fn retry_after_a_rollback_picks_up_the_fixed_catalog() {
    let (h, before) = Harness::synced().await;
    h.upstream.publish_catalog(FIRST_SEQUENCE - 1, 3);
    let failed = h.sync().await;
    let code = "PRODUCT_VERSION_CATALOG_ROLLBACK";
    h.assert_failed(&failed, "verify-pvc", code, "roll back", &before)
        .await;

    // The publisher fixes the depot: a newer catalog than the synced one.
    h.upstream.publish_catalog(FIRST_SEQUENCE + 1, 4);
    let task = h.retry(&failed).await;

    assert_eq!(task.status, TaskStatus::Succeeded, "{:?}", task.error);
    let catalog = h.snapshot().await.catalog.unwrap();
    assert_eq!(
        catalog.sequence_number,
        i64::try_from(FIRST_SEQUENCE).unwrap() + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_triggers_share_one_sync() {
    // Long read timeout: the manifest is held while 500 triggers run.
    let mut config = quick_config();
    config.timeouts.read = Duration::from_mins(1);
    let h = Arc::new(Harness::with(config, Access::Basic(USER.into(), PASSWORD.into())).await);
    let gate = Arc::new(Semaphore::new(0));
    h.upstream.fault(MANIFEST, Fault::Hold(Arc::clone(&gate)));
    let first = h.service.sync(ADMIN).await.unwrap();
    let runner = {
        let h = Arc::clone(&h);
        tokio::spawn(async move { h.engine.run_pending().await.unwrap() })
    };
    tokio::time::timeout(Duration::from_secs(30), async {
        while h.upstream.requests(MANIFEST) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the sync reaches the manifest");

    let triggers: Vec<_> = (0..500)
        .map(|_| {
            let h = Arc::clone(&h);
            tokio::spawn(async move { h.service.sync(ADMIN).await.unwrap().id })
        })
        .collect();
    for trigger in triggers {
        assert_eq!(trigger.await.unwrap(), first.id);
    }
    let running = h.service.active_sync().await.unwrap().unwrap();
    assert_eq!(
        (running.id, running.status),
        (first.id, TaskStatus::Running)
    );
    let info = h.service.sync_info().await.unwrap();
    assert_eq!(info.state, depot_sync::SyncState::InProgress);
    gate.close();
    let ran = tokio::time::timeout(Duration::from_secs(30), runner)
        .await
        .expect("the sync ends")
        .unwrap();

    assert_eq!(ran, 1);
    let filter = TaskFilter {
        names: vec![JOB_NAME.to_owned()],
        include_system: true,
        ..TaskFilter::default()
    };
    let page = PageRequest {
        number: 1,
        size: 10,
    };
    let tasks = h.engine.list(&filter, page).await.unwrap();
    assert_eq!(tasks.total, 1);
    assert_eq!(
        tasks.items[0].status,
        TaskStatus::Succeeded,
        "{:?}",
        tasks.items[0].error
    );
    assert_eq!(h.upstream.requests(MANIFEST), 1);
}
