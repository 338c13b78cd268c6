//! Library items and their files.

use depot_metadata::{CreateOutcome, ItemFilter, MetadataError};
use depot_model::{ErrorKind, ItemId, LibraryId};

use crate::backends::{Store, conformance};
use crate::fixtures::at;
use crate::library_fixtures::{
    blob, commit_files, item, session_with_ready_files, stored_item, stored_library, token,
};

conformance! {
    items_crud => sqlite_items_crud, postgres_items_crud;
    find_items_by_each_field => sqlite_find_items_by_each_field, postgres_find_items_by_each_field;
    item_client_tokens => sqlite_item_client_tokens, postgres_item_client_tokens;
    item_update_is_compare_and_set =>
        sqlite_item_update_is_compare_and_set, postgres_item_update_is_compare_and_set;
    item_delete_with_open_session =>
        sqlite_item_delete_with_open_session, postgres_item_delete_with_open_session;
}

async fn items_crud(store: Store) {
    let lib = stored_library(&*store, "lib").await;
    let other = stored_library(&*store, "other").await;
    let b = stored_item(&*store, lib.id, "b").await;
    let a = stored_item(&*store, lib.id, "a").await;
    assert_eq!(store.get_item(a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(store.get_item(ItemId::new()).await.unwrap(), None);
    assert_eq!(
        store.list_items(lib.id).await.unwrap(),
        vec![a.clone(), b.clone()]
    );
    assert_eq!(
        store.item_ids(lib.id).await.unwrap(),
        Some(vec![a.id, b.id])
    );
    let empty = stored_library(&*store, "empty").await;
    assert_eq!(store.item_ids(empty.id).await.unwrap(), Some(vec![]));
    assert_eq!(store.item_ids(LibraryId::new()).await.unwrap(), None);
    // Each new item changes the library's item set.
    let stored = store.get_library(lib.id).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.content_version), (3, 3));

    let err = store
        .insert_item(&item(lib.id, "a"), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    // The same name in another library is fine.
    stored_item(&*store, other.id, "a").await;
    let err = store
        .insert_item(&item(LibraryId::new(), "x"), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let unchanged = store.get_library(lib.id).await.unwrap().unwrap();
    assert_eq!(unchanged.version, 3, "failed inserts change nothing");

    assert!(store.item_files(a.id).await.unwrap().is_empty());
    let committed = commit_files(&*store, a.id, &[("x.iso", blob(1, 7))]).await;
    let file = store.item_file(a.id, "x.iso").await.unwrap().unwrap();
    assert_eq!(file.size, 7);
    assert_eq!(file.digest, Some(blob(1, 7).digest));
    assert_eq!(file.version, committed.content_version);
    assert!(file.cached());
    assert_eq!(store.item_files(a.id).await.unwrap(), vec![file.clone()]);
    assert_eq!(store.item_file(a.id, "nope").await.unwrap(), None);

    // A library's files in one read: by item, then name; other libraries' not.
    let d = stored_item(&*store, lib.id, "d").await;
    commit_files(
        &*store,
        d.id,
        &[("z.bin", blob(2, 3)), ("m.bin", blob(3, 4))],
    )
    .await;
    commit_files(
        &*store,
        stored_item(&*store, other.id, "c").await.id,
        &[("c", blob(4, 1))],
    )
    .await;
    let mut expected = vec![
        file,
        store.item_file(d.id, "m.bin").await.unwrap().unwrap(),
        store.item_file(d.id, "z.bin").await.unwrap().unwrap(),
    ];
    expected.sort_by_key(|f| (f.item_id.to_string(), f.name.clone()));
    assert_eq!(store.library_files(lib.id).await.unwrap(), expected);
    assert!(
        store
            .library_files(LibraryId::new())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn find_items_by_each_field(store: Store) {
    let lib = stored_library(&*store, "lib").await;
    let other = stored_library(&*store, "other").await;
    let mut ovf = item(lib.id, "ovf");
    ovf.item_type = Some("ovf".to_owned());
    ovf.source_id = Some("src-1".to_owned());
    ovf.cached = false;
    store.insert_item(&ovf, None).await.unwrap();
    let iso = stored_item(&*store, lib.id, "iso").await;
    let elsewhere = stored_item(&*store, other.id, "iso").await;
    let find = |f: ItemFilter| {
        let store = store.clone();
        async move { store.find_items(&f).await.unwrap() }
    };
    let mut both_isos = vec![iso.id, elsewhere.id];
    both_isos.sort();
    assert_eq!(
        find(ItemFilter {
            name: Some("iso".into()),
            ..ItemFilter::default()
        })
        .await,
        both_isos
    );
    assert_eq!(
        find(ItemFilter {
            library_id: Some(lib.id),
            ..ItemFilter::default()
        })
        .await,
        vec![iso.id, ovf.id]
    );
    assert_eq!(
        find(ItemFilter {
            source_id: Some("src-1".into()),
            ..ItemFilter::default()
        })
        .await,
        vec![ovf.id]
    );
    assert_eq!(
        find(ItemFilter {
            item_type: Some("iso".into()),
            library_id: Some(other.id),
            ..ItemFilter::default()
        })
        .await,
        vec![elsewhere.id]
    );
    assert_eq!(
        find(ItemFilter {
            cached: Some(false),
            ..ItemFilter::default()
        })
        .await,
        vec![ovf.id]
    );
    assert_eq!(find(ItemFilter::default()).await.len(), 3);
}

async fn item_client_tokens(store: Store) {
    let lib = stored_library(&*store, "lib").await;
    let first = item(lib.id, "first");
    let t = token("alice", "item-token");
    assert_eq!(
        store.insert_item(&first, Some(&t)).await.unwrap(),
        CreateOutcome::Created
    );
    assert_eq!(
        store
            .insert_item(&item(lib.id, "second"), Some(&t))
            .await
            .unwrap(),
        CreateOutcome::Existing(first.id)
    );
    assert_eq!(store.list_items(lib.id).await.unwrap().len(), 1);
    // Once the item is gone its token may be used again.
    assert!(store.delete_item(first.id, false).await.unwrap());
    assert_eq!(
        store
            .insert_item(&item(lib.id, "third"), Some(&t))
            .await
            .unwrap(),
        CreateOutcome::Created
    );
}

async fn item_update_is_compare_and_set(store: Store) {
    let lib = stored_library(&*store, "lib").await;
    let mut a = stored_item(&*store, lib.id, "a").await;
    stored_item(&*store, lib.id, "taken").await;
    let before = store.get_library(lib.id).await.unwrap().unwrap();
    "renamed".clone_into(&mut a.name);
    a.description = Some("new text".to_owned());
    a.item_type = Some("ovf".to_owned());
    a.last_modified_time = at(50);
    assert_eq!(store.update_item(&a).await.unwrap(), Some(2));
    let stored = store.get_item(a.id).await.unwrap().unwrap();
    assert_eq!(
        stored,
        depot_model::LibraryItem {
            version: 2,
            metadata_version: 2,
            ..a.clone()
        }
    );
    assert_eq!(stored.content_version, 1);
    let after = store.get_library(lib.id).await.unwrap().unwrap();
    assert_eq!(after.version, before.version + 1);
    assert_eq!(after.content_version, before.content_version);

    assert_eq!(store.update_item(&a).await.unwrap(), None, "stale version");
    let mut clash = stored.clone();
    "taken".clone_into(&mut clash.name);
    let err = store.update_item(&clash).await.unwrap_err();
    assert!(matches!(err, MetadataError::AlreadyExists { .. }), "{err}");
    assert_eq!(store.get_item(a.id).await.unwrap(), Some(stored));
    assert_eq!(store.get_library(lib.id).await.unwrap(), Some(after));
}

async fn item_delete_with_open_session(store: Store) {
    let lib = stored_library(&*store, "lib").await;
    let a = stored_item(&*store, lib.id, "a").await;
    let b = stored_item(&*store, lib.id, "b").await;
    commit_files(&*store, a.id, &[("one", blob(1, 1))]).await;
    commit_files(&*store, b.id, &[("two", blob(2, 2))]).await;
    let open = session_with_ready_files(&*store, a.id, &[("three", blob(3, 3))]).await;
    let before = store.get_library(lib.id).await.unwrap().unwrap();

    let err = store.delete_item(a.id, false).await.unwrap_err();
    assert!(
        matches!(err, MetadataError::OpenUpdateSessions { count: 1, .. }),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::NotAllowedInCurrentState);
    assert!(store.get_item(a.id).await.unwrap().is_some());
    assert_eq!(store.blob_references().await.unwrap().len(), 3);

    assert!(store.delete_item(a.id, true).await.unwrap());
    assert_eq!(store.get_item(a.id).await.unwrap(), None);
    assert!(store.item_files(a.id).await.unwrap().is_empty());
    assert_eq!(store.get_update_session(open).await.unwrap(), None);
    assert!(
        store
            .list_update_sessions(Some(a.id))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.blob_references().await.unwrap(),
        vec![blob(2, 0).digest]
    );
    let after = store.get_library(lib.id).await.unwrap().unwrap();
    assert_eq!(after.version, before.version + 1);
    assert_eq!(after.content_version, before.content_version + 1);
    assert!(!store.delete_item(a.id, true).await.unwrap());
    // Without an open session a plain delete works.
    assert!(store.delete_item(b.id, false).await.unwrap());
    assert!(store.blob_references().await.unwrap().is_empty());
}
