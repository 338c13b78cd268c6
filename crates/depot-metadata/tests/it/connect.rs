//! Opening stores: URL forms, migrations on an existing database, ping, and rows that
//! no longer decode.

use std::sync::Arc;

#[cfg(feature = "postgres")]
use depot_metadata::PostgresStore;
#[cfg(feature = "sqlite")]
use depot_metadata::SqliteStore;
use depot_metadata::{MetadataError, MetadataStore, TaskStore, UserStore};
use depot_model::{ErrorKind, Role, UserName};

use crate::backends::{Store, conformance};
#[cfg(feature = "postgres")]
use crate::backends::{drop_schema, fresh_schema, postgres_url};
use crate::fixtures::{task, user};

conformance! {
    ping_and_backend => sqlite_ping_and_backend, postgres_ping_and_backend;
}

async fn ping_and_backend(store: Store) {
    store.ping().await.unwrap();
    assert!(
        ["sqlite", "postgres"].contains(&store.backend()),
        "{}",
        store.backend()
    );
}

/// Stores a user in `first`, then checks that `second` (opened later on the same
/// database) sees it.
async fn survives_reopen(first: &dyn MetadataStore, second: &dyn MetadataStore) {
    let alice = user("alice", Role::Admin);
    first.insert_user(&alice).await.unwrap();
    assert_eq!(second.get_user(&alice.name).await.unwrap(), Some(alice));
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_migrations_run_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metadata.db");
    let first = SqliteStore::connect(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    assert_eq!(first.backend(), "sqlite");
    let second = SqliteStore::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    survives_reopen(&first, &second).await;
    second.ping().await.unwrap();
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_migrations_run_twice() {
    let Some(url) = postgres_url() else { return };
    let schema = fresh_schema();
    let first = PostgresStore::connect_in_schema(&url, &schema)
        .await
        .unwrap();
    assert_eq!(first.backend(), "postgres");
    let again = PostgresStore::connect_in_schema(&url, &schema)
        .await
        .unwrap();
    // Plain connect, with the schema chosen through the URL's connection options.
    let sep = if url.contains('?') { '&' } else { '?' };
    let plain_url = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let plain = PostgresStore::connect(&plain_url).await.unwrap();
    survives_reopen(&first, &plain).await;
    again.ping().await.unwrap();
    drop((first, again, plain));
    drop_schema(&url, &schema).await;
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_memory_is_one_private_database() {
    let store: Store = Arc::new(SqliteStore::connect("sqlite::memory:").await.unwrap());
    let other = SqliteStore::connect("sqlite://:memory:").await.unwrap();
    survives_reopen(&*store, &*store).await;
    let alice = UserName::parse("alice").unwrap();
    assert_eq!(
        other.get_user(&alice).await.unwrap(),
        None,
        "memory databases are private"
    );
    // Many concurrent users of the one connection.
    let mut handles = Vec::new();
    for i in 0..20 {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            store.insert_task(&task("job", i)).await.unwrap();
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(store.count_tasks_by_status().await.unwrap().len(), 1);
}

#[cfg(all(feature = "sqlite", feature = "postgres"))]
#[tokio::test]
async fn connect_picks_backend_by_url() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("m.db").display());
    let store = depot_metadata::connect(&url).await.unwrap();
    assert_eq!(store.backend(), "sqlite");
    for bad in ["mysql://localhost/depot", "metadata.db"] {
        let err = depot_metadata::connect(bad)
            .await
            .err()
            .expect("unsupported");
        assert_eq!(err.kind(), ErrorKind::Invalid, "{bad}: {err}");
    }
    let err = SqliteStore::connect("postgres://x")
        .await
        .expect_err("not sqlite");
    assert!(matches!(err, MetadataError::UnsupportedUrl { .. }), "{err}");
    let err = PostgresStore::connect_in_schema("postgres://x", "Bad Name")
        .await
        .err();
    assert!(
        matches!(err, Some(MetadataError::Connect { .. })),
        "{err:?}"
    );
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_corrupt_rows_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("metadata.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    let t = task("job", 0);
    store.insert_task(&t).await.unwrap();

    let raw = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE tasks SET stages = 'not json'")
        .execute(&raw)
        .await
        .unwrap();
    let err = store.get_task(t.id).await.unwrap_err();
    assert!(
        matches!(err, MetadataError::Corrupt { what: "task", .. }),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::Internal);
    raw.close().await;
}

/// A stored digest that is not 64 hex characters is a corrupt row, wherever it is read.
#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_invalid_digests_are_corrupt_rows() {
    use depot_metadata::{BlobRefStore, CatalogStore, DepotStore, DepotSyncApply};
    use depot_model::{CatalogChange, CatalogVersion, DepotFile, Sha256Digest, TaskId};

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("metadata.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    let digest = Sha256Digest::compute(b"content");
    let file = DepotFile {
        path: "pvc.json".to_owned(),
        digest,
        size: 7,
        modified_at: crate::fixtures::at(1),
        upstream_etag: None,
        upstream_last_modified: None,
    };
    let version = CatalogVersion {
        id: 0,
        sequence_number: 1,
        content_digest: digest,
        content_size: 7,
        file_digest: digest,
        change: CatalogChange::Replace,
        accepted_by: "admin".to_owned(),
        accepted_at: crate::fixtures::at(1),
        task_id: TaskId::new(),
    };
    let apply = DepotSyncApply {
        catalog: Some((version, None)),
        files: vec![file],
        record: depot_model::SyncRecord {
            task_id: TaskId::new(),
            outcome: depot_model::SyncOutcome::Succeeded,
            error_message: None,
            completed_at: crate::fixtures::at(1),
            last_success_at: None,
        },
    };
    store.apply_depot_sync(&apply).await.unwrap();
    assert_eq!(store.blob_references().await.unwrap(), vec![digest]);

    let raw = sqlx::SqlitePool::connect(&url).await.unwrap();
    for update in [
        "UPDATE depot_files SET digest = 'not a digest'",
        "UPDATE catalog_versions SET file_digest = upper(file_digest) || '0'",
        "UPDATE blob_refs SET digest = 'sha256:' || digest",
    ] {
        sqlx::query(update).execute(&raw).await.unwrap();
    }
    let errors = [
        (
            "depot file",
            store.depot_file("pvc.json").await.unwrap_err(),
        ),
        ("depot file", store.depot_files().await.unwrap_err()),
        (
            "catalog version",
            store.current_catalog().await.unwrap_err(),
        ),
        ("blob reference", store.blob_references().await.unwrap_err()),
    ];
    for (what, err) in errors {
        assert!(
            matches!(&err, MetadataError::Corrupt { what: w, detail } if *w == what && detail.contains("digest")),
            "{err}"
        );
        assert_eq!(err.kind(), ErrorKind::Internal);
    }
    raw.close().await;
}

/// Without the `postgres` feature, a PostgreSQL URL names no backend (and no driver
/// was compiled for it).
#[cfg(all(feature = "sqlite", not(feature = "postgres")))]
#[tokio::test]
async fn connect_without_postgres_rejects_its_urls() {
    let err = depot_metadata::connect("postgres://depot@localhost/depot")
        .await
        .err()
        .expect("unsupported");
    assert!(matches!(err, MetadataError::UnsupportedUrl { .. }), "{err}");
}
