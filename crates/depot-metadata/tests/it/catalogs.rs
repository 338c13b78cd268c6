//! Accepted catalog versions.

use depot_model::{CatalogChange, CatalogVersion, Sha256Digest, TaskId};

use crate::backends::{Store, conformance};
use crate::fixtures::at;

conformance! {
    catalogs_accept_in_order => sqlite_catalogs_accept_in_order, postgres_catalogs_accept_in_order;
    concurrent_accepts_have_one_winner =>
        sqlite_concurrent_accepts_have_one_winner, postgres_concurrent_accepts_have_one_winner;
}

/// A version whose content digest is `digit` 64 times.
fn version(sequence: i64, digit: &str) -> CatalogVersion {
    let digest = |text: String| text.parse::<Sha256Digest>().expect("hex digits");
    CatalogVersion {
        id: 0,
        sequence_number: sequence,
        content_digest: digest(digit.repeat(64)),
        content_size: 1234,
        file_digest: digest("f".repeat(64)),
        change: CatalogChange::Replace,
        accepted_by: "admin".to_owned(),
        accepted_at: at(1_000 * sequence),
        task_id: TaskId::new(),
    }
}

async fn catalogs_accept_in_order(store: Store) {
    assert_eq!(store.current_catalog().await.unwrap(), None);
    let first = store
        .accept_catalog(&version(5, "a"), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.id, 1);
    assert_eq!(store.current_catalog().await.unwrap(), Some(first.clone()));
    // A writer that did not see the first version loses.
    assert_eq!(
        store.accept_catalog(&version(6, "b"), None).await.unwrap(),
        None
    );
    let mut merged = version(7, "c");
    merged.change = CatalogChange::Merge;
    let second = store
        .accept_catalog(&merged, Some(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.id, 2);
    assert_eq!(store.current_catalog().await.unwrap(), Some(second.clone()));
    assert_eq!(
        store
            .accept_catalog(&version(8, "d"), Some(1))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.catalog_history().await.unwrap(),
        vec![first.clone(), second.clone()]
    );
    // Both contents are kept alive for garbage collection.
    let refs = store.blob_references().await.unwrap();
    assert!(refs.contains(&first.content_digest) && refs.contains(&second.content_digest));
}

async fn concurrent_accepts_have_one_winner(store: Store) {
    let mut handles = Vec::new();
    for i in 0..20 {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            store.accept_catalog(&version(i, "e"), None).await.unwrap()
        }));
    }
    let mut winners = 0;
    for h in handles {
        if h.await.unwrap().is_some() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
    assert_eq!(store.catalog_history().await.unwrap().len(), 1);
}
