//! Libraries.

use depot_metadata::{CreateOutcome, LibraryFilter, MetadataError};
use depot_model::{ErrorKind, LibraryKind, SubscriptionSettings, UpdateSessionState};

use crate::backends::{Store, conformance};
use crate::fixtures::at;
use crate::library_fixtures::{
    blob, commit_files, library, session_with_ready_files, stored_item, stored_library, token,
    update_session,
};

conformance! {
    libraries_crud => sqlite_libraries_crud, postgres_libraries_crud;
    library_client_tokens => sqlite_library_client_tokens, postgres_library_client_tokens;
    library_update_is_compare_and_set =>
        sqlite_library_update_is_compare_and_set, postgres_library_update_is_compare_and_set;
    library_delete_with_open_session =>
        sqlite_library_delete_with_open_session, postgres_library_delete_with_open_session;
}

async fn libraries_crud(store: Store) {
    let local = stored_library(&*store, "beta").await;
    let mut subscribed = library("alpha");
    subscribed.kind = LibraryKind::Subscribed;
    subscribed.publish = None;
    subscribed.subscription = Some(SubscriptionSettings {
        url: "https://pub.example/cls/vcsp/lib/x/lib.json".to_owned(),
        authentication: depot_model::LibraryAuth::None,
        user_name: None,
        password: None,
        automatic_sync_enabled: true,
        on_demand: true,
        ssl_thumbprint: Some("AA:BB".to_owned()),
        ssl_certificate: None,
    });
    subscribed.last_sync_time = Some(at(9));
    store.insert_library(&subscribed, None).await.unwrap();

    assert_eq!(
        store.get_library(local.id).await.unwrap(),
        Some(local.clone())
    );
    assert_eq!(
        store.get_library(subscribed.id).await.unwrap(),
        Some(subscribed.clone())
    );
    assert_eq!(
        store
            .get_library(depot_model::LibraryId::new())
            .await
            .unwrap(),
        None
    );
    let all = store.list_libraries(None).await.unwrap();
    assert_eq!(all, vec![subscribed.clone(), local.clone()], "by name");
    let locals = store
        .list_libraries(Some(LibraryKind::Local))
        .await
        .unwrap();
    assert_eq!(locals, vec![local.clone()]);

    let find = |name: Option<&str>, kind| LibraryFilter {
        name: name.map(str::to_owned),
        kind,
    };
    assert_eq!(
        store.find_libraries(&find(None, None)).await.unwrap(),
        vec![subscribed.id, local.id]
    );
    assert_eq!(
        store
            .find_libraries(&find(Some("beta"), None))
            .await
            .unwrap(),
        vec![local.id]
    );
    assert_eq!(
        store
            .find_libraries(&find(Some("beta"), Some(LibraryKind::Subscribed)))
            .await
            .unwrap(),
        vec![]
    );

    let mut dup = library("beta");
    dup.description = None;
    let err = store.insert_library(&dup, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert_eq!(store.list_libraries(None).await.unwrap().len(), 2);
}

async fn library_client_tokens(store: Store) {
    let first = library("one");
    let t = token("alice", "tok-1");
    assert_eq!(
        store.insert_library(&first, Some(&t)).await.unwrap(),
        CreateOutcome::Created
    );
    // Same user, same token: the first library, even with another name.
    assert_eq!(
        store
            .insert_library(&library("two"), Some(&t))
            .await
            .unwrap(),
        CreateOutcome::Existing(first.id)
    );
    // Another user's token of the same text is another token.
    let other = library("three");
    assert_eq!(
        store
            .insert_library(&other, Some(&token("bob", "tok-1")))
            .await
            .unwrap(),
        CreateOutcome::Created
    );
    assert_eq!(store.list_libraries(None).await.unwrap().len(), 2);

    // Concurrent creates with one token: one library.
    let t = token("carol", "race");
    let mut handles = Vec::new();
    for n in 0..6 {
        let (store, t) = (store.clone(), t.clone());
        handles.push(tokio::spawn(async move {
            let l = library(&format!("race-{n}"));
            (l.id, store.insert_library(&l, Some(&t)).await.unwrap())
        }));
    }
    let mut created = Vec::new();
    let mut existing = Vec::new();
    for h in handles {
        match h.await.unwrap() {
            (id, CreateOutcome::Created) => created.push(id),
            (_, CreateOutcome::Existing(id)) => existing.push(id),
        }
    }
    assert_eq!(created.len(), 1, "{created:?}");
    assert!(existing.iter().all(|id| *id == created[0]), "{existing:?}");
    assert_eq!(store.list_libraries(None).await.unwrap().len(), 3);
}

async fn library_update_is_compare_and_set(store: Store) {
    let mut l = stored_library(&*store, "lib").await;
    stored_library(&*store, "taken").await;
    "renamed".clone_into(&mut l.name);
    l.description = None;
    l.publish = None;
    l.last_modified_time = at(100);
    assert_eq!(store.update_library(&l).await.unwrap(), Some(2));
    let stored = store.get_library(l.id).await.unwrap().unwrap();
    assert_eq!(
        stored,
        depot_model::Library {
            version: 2,
            ..l.clone()
        }
    );
    assert_eq!(
        stored.content_version, 1,
        "metadata changes leave the content version"
    );

    // Stale: the version moved on.
    assert_eq!(store.update_library(&l).await.unwrap(), None);
    assert_eq!(store.get_library(l.id).await.unwrap(), Some(stored.clone()));

    let mut clash = stored.clone();
    "taken".clone_into(&mut clash.name);
    let err = store.update_library(&clash).await.unwrap_err();
    assert!(matches!(err, MetadataError::AlreadyExists { .. }), "{err}");
    assert_eq!(store.get_library(l.id).await.unwrap(), Some(stored));

    let gone = library("gone");
    assert_eq!(store.update_library(&gone).await.unwrap(), None);
}

async fn library_delete_with_open_session(store: Store) {
    let lib = stored_library(&*store, "lib").await;
    let other = stored_library(&*store, "other").await;
    let kept = stored_item(&*store, other.id, "kept").await;
    commit_files(&*store, kept.id, &[("k.iso", blob(9, 3))]).await;
    let done = stored_item(&*store, lib.id, "done").await;
    commit_files(&*store, done.id, &[("a.iso", blob(1, 10))]).await;
    let busy = stored_item(&*store, lib.id, "busy").await;
    let open = session_with_ready_files(&*store, busy.id, &[("b.iso", blob(2, 20))]).await;
    let refs = store.blob_references().await.unwrap();
    assert_eq!(
        refs,
        vec![blob(1, 0).digest, blob(2, 0).digest, blob(9, 0).digest]
    );

    let err = store.delete_library(lib.id, false).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotAllowedInCurrentState, "{err}");
    assert!(
        matches!(err, MetadataError::OpenUpdateSessions { count: 1, .. }),
        "{err}"
    );
    assert!(store.get_library(lib.id).await.unwrap().is_some());
    assert_eq!(store.list_items(lib.id).await.unwrap().len(), 2);
    assert_eq!(store.blob_references().await.unwrap(), refs);

    // A session that is no longer active does not block.
    let mut s = store.get_update_session(open).await.unwrap().unwrap();
    assert_eq!(s.state, UpdateSessionState::Active);
    let fresh = update_session(done.id);
    store.insert_update_session(&fresh, None).await.unwrap();
    s.state = UpdateSessionState::Canceled;
    store.update_update_session(&s).await.unwrap().unwrap();
    assert!(
        store.delete_library(lib.id, false).await.is_err(),
        "fresh is active"
    );

    assert!(store.delete_library(lib.id, true).await.unwrap());
    assert_eq!(store.get_library(lib.id).await.unwrap(), None);
    assert!(store.list_items(lib.id).await.unwrap().is_empty());
    assert_eq!(store.get_item(done.id).await.unwrap(), None);
    assert!(store.item_files(done.id).await.unwrap().is_empty());
    assert_eq!(store.get_update_session(open).await.unwrap(), None);
    assert_eq!(store.get_update_session(fresh.id).await.unwrap(), None);
    assert!(store.session_files(open).await.unwrap().is_empty());
    assert_eq!(
        store.blob_references().await.unwrap(),
        vec![blob(9, 0).digest]
    );
    assert!(store.get_item(kept.id).await.unwrap().is_some());
    assert!(!store.delete_library(lib.id, true).await.unwrap());
}
