//! The upstream depot: settings, synced files, the sync record and schedule slots.

use depot_metadata::{DepotSyncApplied, DepotSyncApply};
use depot_model::{
    CatalogChange, CatalogVersion, DepotFile, Sha256Digest, StoredDepotSettings, SyncOutcome,
    SyncRecord, TaskId,
};

use crate::backends::{Store, conformance};
use crate::fixtures::at;

conformance! {
    depot_settings_put_replace_delete =>
        sqlite_depot_settings_put_replace_delete, postgres_depot_settings_put_replace_delete;
    settings_document_update_is_compare_and_set =>
        sqlite_settings_document_update_is_compare_and_set,
        postgres_settings_document_update_is_compare_and_set;
    sync_replaces_files_and_their_refs =>
        sqlite_sync_replaces_files_and_their_refs, postgres_sync_replaces_files_and_their_refs;
    sync_accepts_a_catalog => sqlite_sync_accepts_a_catalog, postgres_sync_accepts_a_catalog;
    stale_catalog_sync_writes_nothing =>
        sqlite_stale_catalog_sync_writes_nothing, postgres_stale_catalog_sync_writes_nothing;
    concurrent_catalog_syncs_have_one_winner =>
        sqlite_concurrent_catalog_syncs_have_one_winner,
        postgres_concurrent_catalog_syncs_have_one_winner;
    sync_record_is_independent_of_the_slot =>
        sqlite_sync_record_is_independent_of_the_slot,
        postgres_sync_record_is_independent_of_the_slot;
    sync_slot_is_compare_and_set =>
        sqlite_sync_slot_is_compare_and_set, postgres_sync_slot_is_compare_and_set;
    concurrent_slot_claims_have_one_winner =>
        sqlite_concurrent_slot_claims_have_one_winner,
        postgres_concurrent_slot_claims_have_one_winner;
    depot_file_by_path => sqlite_depot_file_by_path, postgres_depot_file_by_path;
}

/// The digest written as 64 times the hex digit `c` (so digests sort as their digits).
fn digest(c: char) -> Sha256Digest {
    c.to_string().repeat(64).parse().expect("a hex digit")
}

fn file(path: &str, digest_char: char) -> DepotFile {
    DepotFile {
        path: path.to_owned(),
        digest: digest(digest_char),
        size: 4096,
        modified_at: at(100),
        upstream_etag: Some(format!("\"{path}\"")),
        upstream_last_modified: Some("Wed, 21 Oct 2015 07:28:00 GMT".to_owned()),
    }
}

fn succeeded(completed_ms: i64) -> SyncRecord {
    SyncRecord {
        task_id: TaskId::new(),
        outcome: SyncOutcome::Succeeded,
        error_message: None,
        completed_at: at(completed_ms),
        last_success_at: Some(at(completed_ms)),
    }
}

fn failed(completed_ms: i64, last_success_ms: Option<i64>) -> SyncRecord {
    SyncRecord {
        task_id: TaskId::new(),
        outcome: SyncOutcome::Failed,
        error_message: Some("upstream answered 503".to_owned()),
        completed_at: at(completed_ms),
        last_success_at: last_success_ms.map(at),
    }
}

fn catalog(sequence: i64, digest_char: char) -> CatalogVersion {
    CatalogVersion {
        id: 0,
        sequence_number: sequence,
        content_digest: digest(digest_char),
        content_size: 77,
        file_digest: digest('0'),
        change: CatalogChange::Replace,
        accepted_by: "sync".to_owned(),
        accepted_at: at(sequence),
        task_id: TaskId::new(),
    }
}

fn apply(
    catalog: Option<(CatalogVersion, Option<i64>)>,
    files: Vec<DepotFile>,
    record: SyncRecord,
) -> DepotSyncApply {
    DepotSyncApply {
        catalog,
        files,
        record,
    }
}

async fn depot_settings_put_replace_delete(store: Store) {
    assert_eq!(store.depot_settings().await.unwrap(), None);
    let first = StoredDepotSettings {
        document: r#"{"url":"https://dl.example.com/depot"}"#.to_owned(),
        updated_at: at(1),
        updated_by: "admin".to_owned(),
    };
    store.put_depot_settings(Some(&first)).await.unwrap();
    assert_eq!(store.depot_settings().await.unwrap(), Some(first));
    let second = StoredDepotSettings {
        document: r#"{"url":"https://mirror.example.com/"}"#.to_owned(),
        updated_at: at(2),
        updated_by: "operator".to_owned(),
    };
    store.put_depot_settings(Some(&second)).await.unwrap();
    assert_eq!(store.depot_settings().await.unwrap(), Some(second));
    store.put_depot_settings(None).await.unwrap();
    assert_eq!(store.depot_settings().await.unwrap(), None);
    // Deleting what is not there is fine.
    store.put_depot_settings(None).await.unwrap();
}

async fn settings_document_update_is_compare_and_set(store: Store) {
    assert!(
        !store
            .update_depot_settings_document(at(1), "{}")
            .await
            .unwrap(),
        "no settings, nothing to update"
    );
    let first = StoredDepotSettings {
        document: r#"{"url":"https://dl.example.com/depot"}"#.to_owned(),
        updated_at: at(1),
        updated_by: "admin".to_owned(),
    };
    store.put_depot_settings(Some(&first)).await.unwrap();
    let noted = r#"{"url":"https://dl.example.com/depot","status":"OK"}"#;
    assert!(
        store
            .update_depot_settings_document(at(1), noted)
            .await
            .unwrap()
    );
    let stored = store.depot_settings().await.unwrap().unwrap();
    assert_eq!(stored.document, noted);
    assert_eq!(
        (stored.updated_at, stored.updated_by),
        (at(1), "admin".to_owned())
    );

    // Replaced meanwhile: an update for the old version changes nothing.
    let second = StoredDepotSettings {
        document: r#"{"url":"https://mirror.example.com/"}"#.to_owned(),
        updated_at: at(2),
        updated_by: "operator".to_owned(),
    };
    store.put_depot_settings(Some(&second)).await.unwrap();
    assert!(
        !store
            .update_depot_settings_document(at(1), noted)
            .await
            .unwrap()
    );
    assert_eq!(store.depot_settings().await.unwrap(), Some(second));
}

async fn sync_replaces_files_and_their_refs(store: Store) {
    store
        .add_blob_ref(&digest('f'), "library-item:1")
        .await
        .unwrap();
    // Two files share a digest: one reference.
    let first = vec![file("b/two", 'b'), file("a/one", 'a'), file("c/three", 'a')];
    let record = succeeded(10);
    assert_eq!(
        store
            .apply_depot_sync(&apply(None, first.clone(), record.clone()))
            .await
            .unwrap(),
        DepotSyncApplied::Applied(None)
    );
    let mut by_path = first.clone();
    by_path.sort_by(|x, y| x.path.cmp(&y.path));
    assert_eq!(store.depot_files().await.unwrap(), by_path);
    assert_eq!(
        store.blob_references().await.unwrap(),
        vec![digest('a'), digest('b'), digest('f')]
    );
    assert_eq!(store.sync_record().await.unwrap(), Some(record));
    assert_eq!(store.current_catalog().await.unwrap(), None);

    // The next sync replaces the set wholesale, and its references with it.
    let mut changed = file("b/two", 'd');
    changed.upstream_etag = None;
    changed.upstream_last_modified = None;
    let second = vec![changed, file("e/five", 'e')];
    let record = failed(20, Some(10));
    store
        .apply_depot_sync(&apply(None, second.clone(), record.clone()))
        .await
        .unwrap();
    assert_eq!(store.depot_files().await.unwrap(), second);
    assert_eq!(
        store.blob_references().await.unwrap(),
        vec![digest('d'), digest('e'), digest('f')]
    );
    assert_eq!(store.sync_record().await.unwrap(), Some(record));
    // Owned by `depot-files`, exactly the two new digests.
    assert_eq!(store.remove_blob_refs("depot-files").await.unwrap(), 2);
    assert_eq!(store.blob_references().await.unwrap(), vec![digest('f')]);

    // An empty set clears everything.
    store
        .apply_depot_sync(&apply(None, second, succeeded(30)))
        .await
        .unwrap();
    store
        .apply_depot_sync(&apply(None, Vec::new(), succeeded(40)))
        .await
        .unwrap();
    assert_eq!(store.depot_files().await.unwrap(), Vec::new());
    assert_eq!(store.blob_references().await.unwrap(), vec![digest('f')]);
}

async fn sync_accepts_a_catalog(store: Store) {
    let first = store
        .apply_depot_sync(&apply(
            Some((catalog(1, 'c'), None)),
            vec![file("pvc.json", '1')],
            succeeded(1),
        ))
        .await
        .unwrap();
    let DepotSyncApplied::Applied(Some(first)) = first else {
        panic!("not applied: {first:?}");
    };
    assert_eq!(first.id, 1);
    assert_eq!(first.content_digest, digest('c'));
    let upload = store
        .accept_catalog(&catalog(2, 'f'), Some(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(upload.id, 2);

    let record = succeeded(3);
    let files = vec![file("pvc.json", 'd')];
    let third = catalog(3, 'e');
    let accepted = CatalogVersion {
        id: 3,
        ..third.clone()
    };
    assert_eq!(
        store
            .apply_depot_sync(&apply(
                Some((third, Some(2))),
                files.clone(),
                record.clone()
            ))
            .await
            .unwrap(),
        DepotSyncApplied::Applied(Some(accepted.clone()))
    );
    assert_eq!(store.current_catalog().await.unwrap(), Some(accepted));
    assert_eq!(store.catalog_history().await.unwrap().len(), 3);
    assert_eq!(store.depot_files().await.unwrap(), files);
    assert_eq!(store.sync_record().await.unwrap(), Some(record));
    // Every catalog content and the current file are kept alive; the replaced file is not.
    assert_eq!(
        store.blob_references().await.unwrap(),
        vec![digest('c'), digest('d'), digest('e'), digest('f')]
    );
}

async fn stale_catalog_sync_writes_nothing(store: Store) {
    let files = vec![file("a", 'a')];
    let record = succeeded(1);
    let DepotSyncApplied::Applied(Some(current)) = store
        .apply_depot_sync(&apply(
            Some((catalog(1, 'c'), None)),
            files.clone(),
            record.clone(),
        ))
        .await
        .unwrap()
    else {
        panic!("first sync not applied");
    };
    let refs = store.blob_references().await.unwrap();
    for previous in [None, Some(7)] {
        assert_eq!(
            store
                .apply_depot_sync(&apply(
                    Some((catalog(2, 'd'), previous)),
                    vec![file("b", 'b')],
                    failed(2, None),
                ))
                .await
                .unwrap(),
            DepotSyncApplied::CatalogChanged
        );
    }
    assert_eq!(store.depot_files().await.unwrap(), files);
    assert_eq!(store.sync_record().await.unwrap(), Some(record));
    assert_eq!(
        store.current_catalog().await.unwrap(),
        Some(current.clone())
    );
    assert_eq!(store.catalog_history().await.unwrap(), vec![current]);
    assert_eq!(store.blob_references().await.unwrap(), refs);
}

async fn concurrent_catalog_syncs_have_one_winner(store: Store) {
    let mut handles = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            let files = vec![file(&format!("f{i}"), 'a'), file("shared", 'b')];
            let sync = apply(Some((catalog(i, 'c'), None)), files, succeeded(i));
            store.apply_depot_sync(&sync).await.unwrap()
        }));
    }
    let mut winners = 0;
    for h in handles {
        if h.await.unwrap() != DepotSyncApplied::CatalogChanged {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
    assert_eq!(store.catalog_history().await.unwrap().len(), 1);
    assert_eq!(store.depot_files().await.unwrap().len(), 2);
}

async fn sync_record_is_independent_of_the_slot(store: Store) {
    assert_eq!(store.sync_record().await.unwrap(), None);
    assert!(store.claim_sync_slot(None, at(1)).await.unwrap());
    assert_eq!(store.sync_record().await.unwrap(), None);
    let first = failed(5, None);
    store.put_sync_record(&first).await.unwrap();
    assert_eq!(store.sync_record().await.unwrap(), Some(first));
    assert_eq!(store.last_sync_slot().await.unwrap(), Some(at(1)));
    let second = succeeded(6);
    store.put_sync_record(&second).await.unwrap();
    assert!(store.claim_sync_slot(Some(at(1)), at(2)).await.unwrap());
    assert_eq!(store.sync_record().await.unwrap(), Some(second.clone()));
    // A sync leaves the slot alone.
    store
        .apply_depot_sync(&apply(None, Vec::new(), second))
        .await
        .unwrap();
    assert_eq!(store.last_sync_slot().await.unwrap(), Some(at(2)));
}

async fn sync_slot_is_compare_and_set(store: Store) {
    assert_eq!(store.last_sync_slot().await.unwrap(), None);
    // Nothing claimed yet: only `None` matches.
    assert!(!store.claim_sync_slot(Some(at(0)), at(1)).await.unwrap());
    assert_eq!(store.last_sync_slot().await.unwrap(), None);
    assert!(store.claim_sync_slot(None, at(1)).await.unwrap());
    assert_eq!(store.last_sync_slot().await.unwrap(), Some(at(1)));
    assert!(!store.claim_sync_slot(None, at(2)).await.unwrap());
    assert!(!store.claim_sync_slot(Some(at(0)), at(2)).await.unwrap());
    assert_eq!(store.last_sync_slot().await.unwrap(), Some(at(1)));
    assert!(store.claim_sync_slot(Some(at(1)), at(2)).await.unwrap());
    assert!(!store.claim_sync_slot(Some(at(1)), at(3)).await.unwrap());
    assert_eq!(store.last_sync_slot().await.unwrap(), Some(at(2)));
}

async fn concurrent_slot_claims_have_one_winner(store: Store) {
    let mut previous = None;
    // First from no slot (racing inserts), then from the winner's slot (racing updates).
    for round in 0..2 {
        let mut handles = Vec::new();
        for i in 0..8 {
            let store = store.clone();
            let slot = at(1_000 * (round + 1) + i);
            handles.push(tokio::spawn(async move {
                (slot, store.claim_sync_slot(previous, slot).await.unwrap())
            }));
        }
        let mut winners = Vec::new();
        for h in handles {
            let (slot, won) = h.await.unwrap();
            if won {
                winners.push(slot);
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        assert_eq!(store.last_sync_slot().await.unwrap(), Some(winners[0]));
        previous = Some(winners[0]);
    }
}

async fn depot_file_by_path(store: Store) {
    let present = file("PROD/metadata/productVersionCatalog/v1/pvc.json", '9');
    assert_eq!(store.depot_file(&present.path).await.unwrap(), None);
    store
        .apply_depot_sync(&apply(
            None,
            vec![present.clone(), file("other", '8')],
            succeeded(1),
        ))
        .await
        .unwrap();
    assert_eq!(
        store.depot_file(&present.path).await.unwrap(),
        Some(present)
    );
    assert_eq!(store.depot_file("PROD/absent.json").await.unwrap(), None);
}
