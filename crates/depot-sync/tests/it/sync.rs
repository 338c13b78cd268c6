//! Syncs against a healthy depot: the first sync, an unchanged depot, a new catalog and
//! manifest, and release versions derived from them.

use depot_metadata::DepotStore as _;
use depot_model::{Sha256Digest, StageStatus, TaskStatus};
use depot_sync::SyncState;

use crate::harness::{Harness, stages, synced_digest};
use crate::upstream::{
    CATALOG, COMPATIBILITY, FILES, FIRST_SEQUENCE, MANIFEST, SIGNATURE, manifest,
};

#[tokio::test]
async fn first_sync_makes_the_depot_metadata_current() {
    let h = Harness::offline().await;
    assert_eq!(
        h.service.sync_info().await.unwrap().state,
        SyncState::NotSynced
    );
    assert!(h.service.release_versions().await.unwrap().is_empty());

    let task = h.sync().await;

    assert_eq!(task.status, TaskStatus::Succeeded, "{:?}", task.error);
    assert!(
        task.stages
            .iter()
            .all(|s| s.status == StageStatus::Succeeded),
        "{:?}",
        stages(&task)
    );
    let ids: Vec<&str> = task.stages.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "connect",
            "download-pvc",
            "verify-pvc",
            "download-urm",
            "validate-urm",
            "apply"
        ]
    );
    let now = h.snapshot().await;
    let mut expected: Vec<(String, Sha256Digest)> = FILES
        .iter()
        .map(|p| ((*p).to_owned(), h.upstream.digest(p)))
        .collect();
    expected.sort();
    let synced: Vec<(String, Sha256Digest)> = now
        .files
        .iter()
        .map(|f| (f.path.clone(), f.digest))
        .collect();
    assert_eq!(synced, expected);
    let catalog = now.catalog.expect("a current catalog");
    assert_eq!(
        catalog.sequence_number,
        i64::try_from(FIRST_SEQUENCE).unwrap()
    );
    assert_eq!(catalog.file_digest, h.upstream.digest(CATALOG));
    assert_eq!(catalog.task_id, task.id);
    let info = h.service.sync_info().await.unwrap();
    assert_eq!(
        (info.state, info.error_message),
        (SyncState::Succeeded, None)
    );
    assert!(info.last_completion.is_some());
    let versions: Vec<&str> = now.releases.iter().map(|r| r.version.as_str()).collect();
    assert_eq!(versions, ["9.1.0.0", "9.0.0.0"]);
    let vcenter = &now.releases[0].components[0];
    assert_eq!(
        (
            vcenter.component_type.as_str(),
            vcenter.public_name.as_str()
        ),
        ("VCENTER", "vCenter")
    );
    assert_eq!(vcenter.versions, ["9.1.0.0.100"]);
    assert_eq!(
        h.depot_status().await.as_deref(),
        Some("DEPOT_CONNECTION_SUCCESSFUL")
    );
    assert_eq!(
        task.result.as_ref().unwrap()["changedFiles"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

#[tokio::test]
async fn unchanged_depot_is_not_downloaded_again() {
    let (h, before) = Harness::synced().await;
    let tally = h.upstream.tally();

    let task = h.sync().await;

    assert_eq!(task.status, TaskStatus::Succeeded, "{:?}", task.error);
    // Each file is asked for conditionally and answered 304; the only other request is
    // the connection check (a plain GET of the catalog).
    let after = h.upstream.tally();
    for (i, path) in FILES.iter().enumerate() {
        let probe = u32::from(*path == CATALOG);
        assert_eq!(after[i], [tally[i][0] + probe, tally[i][1] + 1], "{path}");
    }
    let now = h.snapshot().await;
    assert_eq!(now.catalog, before.catalog);
    assert_eq!(now.history, before.history);
    assert_eq!(now.files, before.files, "same digests, same modified_at");
    assert_eq!(now.releases, before.releases);
    assert!(now.last_completion > before.last_completion);
    assert_eq!(
        task.result.as_ref().unwrap()["changedFiles"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn new_catalog_and_manifest_become_current_together() {
    let (h, before) = Harness::synced().await;
    h.upstream.publish_catalog(FIRST_SEQUENCE + 1, 6);
    h.upstream.publish(
        MANIFEST,
        manifest(
            2,
            &[
                ("9.2.0.0", "9.2.0.0.7"),
                ("9.1.0.0", "9.1.0.0.100"),
                ("9.0.0.0", "9.0.0.0.100000"),
            ],
        ),
    );

    let task = h.sync().await;

    assert_eq!(task.status, TaskStatus::Succeeded, "{:?}", task.error);
    let now = h.snapshot().await;
    let catalog = now.catalog.clone().unwrap();
    assert_eq!(
        catalog.sequence_number,
        i64::try_from(FIRST_SEQUENCE).unwrap() + 1
    );
    assert_eq!(now.history.len(), 2);
    assert_eq!(now.history[0], before.catalog.clone().unwrap());
    for path in [CATALOG, SIGNATURE, MANIFEST] {
        assert_eq!(
            synced_digest(&now, path),
            Some(h.upstream.digest(path)),
            "{path}"
        );
    }
    let compat =
        |s: &crate::harness::Snapshot| s.files.iter().find(|f| f.path == COMPATIBILITY).cloned();
    assert_eq!(
        compat(&now),
        compat(&before),
        "unchanged file keeps its modified_at"
    );
    let versions: Vec<&str> = now.releases.iter().map(|r| r.version.as_str()).collect();
    assert_eq!(versions, ["9.2.0.0", "9.1.0.0", "9.0.0.0"]);
    // 9.0.0.0 allows the VCENTER patches of the new catalog on its line.
    assert_eq!(
        now.releases[2].components[0].versions,
        ["9.0.0.0.100000", "9.0.0.0.100005"]
    );

    // A new catalog alone (same manifest) changes the release versions too.
    h.upstream.publish_catalog(FIRST_SEQUENCE + 2, 11);
    let task = h.sync().await;
    assert_eq!(task.status, TaskStatus::Succeeded, "{:?}", task.error);
    let releases = h.service.release_versions().await.unwrap();
    assert_eq!(
        releases[2].components[0].versions,
        ["9.0.0.0.100000", "9.0.0.0.100005", "9.0.0.0.100010"]
    );
    assert_eq!(h.store.depot_files().await.unwrap().len(), 4);
}

#[tokio::test]
async fn online_depot_takes_the_token_in_the_path_and_never_shows_it() {
    let h = Harness::online().await;

    let task = h.sync().await;
    assert_eq!(task.status, TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(h.snapshot().await.files.len(), 4);
    assert!(h.upstream.answers(MANIFEST, 200) >= 1);

    h.upstream.remove(MANIFEST);
    let failed = h.sync().await;
    let error = failed.error.clone().unwrap();
    assert_eq!(error.code, "DEPOT_FILE_NOT_FOUND", "{error:?}");
    assert!(
        error
            .message
            .default
            .contains("/***/PROD/metadata/manifest"),
        "{error:?}"
    );

    let token = crate::upstream::TOKEN;
    for task in [&task, &failed] {
        let text = serde_json::to_string(task).unwrap();
        assert!(!text.contains(token), "token in task {text}");
    }
    let info = h.service.sync_info().await.unwrap();
    let settings = h.service.settings().await.unwrap();
    let stored = h.store.depot_settings().await.unwrap().unwrap();
    for text in [
        format!("{info:?}"),
        format!("{settings:?}"),
        stored.document,
    ] {
        assert!(!text.contains(token), "token shown in {text}");
    }
}
