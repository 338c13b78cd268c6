//! Download sessions and their prepared files.

use depot_metadata::{CreateOutcome, MetadataError};
use depot_model::{
    DownloadFile, DownloadFileStatus, DownloadSession, DownloadSessionId, DownloadSessionState,
    ErrorKind, ItemId, Message,
};

use crate::backends::{Store, conformance};
use crate::fixtures::at;
use crate::library_fixtures::{blob, commit_files, stored_item, stored_library, token};

conformance! {
    download_sessions_lifecycle =>
        sqlite_download_sessions_lifecycle, postgres_download_sessions_lifecycle;
    prepared_files_hold_their_content =>
        sqlite_prepared_files_hold_their_content, postgres_prepared_files_hold_their_content;
    files_fetched_first_are_marked =>
        sqlite_files_fetched_first_are_marked, postgres_files_fetched_first_are_marked;
}

fn download_session(item: ItemId) -> DownloadSession {
    DownloadSession::new(item, 2, "alice", at(3), at(60_000))
}

async fn download_sessions_lifecycle(store: Store) {
    let lib = stored_library(&*store, "lib").await;
    let item = stored_item(&*store, lib.id, "a").await;
    let mut s = download_session(item.id);
    let t = token("alice", "dl-1");
    assert_eq!(
        store.insert_download_session(&s, Some(&t)).await.unwrap(),
        CreateOutcome::Created
    );
    assert_eq!(
        store
            .insert_download_session(&download_session(item.id), Some(&t))
            .await
            .unwrap(),
        CreateOutcome::Existing(s.id)
    );
    let second = download_session(item.id);
    store.insert_download_session(&second, None).await.unwrap();
    let err = store
        .insert_download_session(&download_session(ItemId::new()), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(
        store.get_download_session(s.id).await.unwrap(),
        Some(s.clone())
    );
    assert_eq!(
        store
            .get_download_session(DownloadSessionId::new())
            .await
            .unwrap(),
        None
    );
    let ids: Vec<_> = store
        .list_download_sessions(Some(item.id))
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&s.id) && ids.contains(&second.id));
    assert!(
        store
            .list_download_sessions(Some(ItemId::new()))
            .await
            .unwrap()
            .is_empty()
    );

    s.client_progress = 50;
    s.expiration_time = at(120_000);
    assert_eq!(store.update_download_session(&s).await.unwrap(), Some(2));
    assert_eq!(
        store.update_download_session(&s).await.unwrap(),
        None,
        "stale"
    );
    assert_eq!(
        store
            .get_download_session(s.id)
            .await
            .unwrap()
            .unwrap()
            .client_progress,
        50
    );
    let expired: Vec<_> = store
        .expired_download_sessions(at(100_000))
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(expired, vec![second.id]);

    assert!(store.delete_download_session(second.id).await.unwrap());
    assert!(!store.delete_download_session(second.id).await.unwrap());
    assert_eq!(store.list_download_sessions(None).await.unwrap().len(), 1);
}

async fn prepared_files_hold_their_content(store: Store) {
    let lib = stored_library(&*store, "lib").await;
    let item = stored_item(&*store, lib.id, "a").await;
    commit_files(&*store, item.id, &[("x.iso", blob(1, 10))]).await;
    let mut s = download_session(item.id);
    store.insert_download_session(&s, None).await.unwrap();

    let err = store
        .prepare_download_file(s.id, "nope", "tok-0")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let prepared = store
        .prepare_download_file(s.id, "x.iso", "tok-1")
        .await
        .unwrap();
    assert_eq!(prepared.status, DownloadFileStatus::Prepared);
    assert_eq!(
        (prepared.size, prepared.digest),
        (10, Some(blob(1, 0).digest))
    );
    assert_eq!(
        store.download_file_by_token("tok-1").await.unwrap(),
        Some(prepared.clone())
    );
    assert_eq!(store.download_files(s.id).await.unwrap(), vec![prepared]);
    // Preparing again replaces the token.
    store
        .prepare_download_file(s.id, "x.iso", "tok-2")
        .await
        .unwrap();
    assert_eq!(store.download_file_by_token("tok-1").await.unwrap(), None);
    assert!(
        store
            .download_file_by_token("tok-2")
            .await
            .unwrap()
            .is_some()
    );
    let other = download_session(item.id);
    store.insert_download_session(&other, None).await.unwrap();
    let err = store
        .prepare_download_file(other.id, "x.iso", "tok-2")
        .await
        .unwrap_err();
    assert!(matches!(err, MetadataError::AlreadyExists { .. }), "{err}");

    // The item's content changes: the prepared file still serves, and holds, the old blob.
    commit_files(&*store, item.id, &[("x.iso", blob(2, 12))]).await;
    let held = store
        .download_file_by_token("tok-2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.digest, Some(blob(1, 0).digest));
    assert_eq!(
        store.blob_references().await.unwrap(),
        vec![blob(1, 0).digest, blob(2, 0).digest]
    );

    // Canceling lets go of it; a canceled session prepares nothing.
    s.state = DownloadSessionState::Canceled;
    store.update_download_session(&s).await.unwrap().unwrap();
    assert_eq!(
        store.blob_references().await.unwrap(),
        vec![blob(2, 0).digest]
    );
    let err = store
        .prepare_download_file(s.id, "x.iso", "tok-3")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotAllowedInCurrentState, "{err}");
    let err = store
        .prepare_download_file(DownloadSessionId::new(), "x.iso", "tok-4")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");

    // Deleting the item takes its download sessions and their references along.
    store
        .prepare_download_file(other.id, "x.iso", "tok-5")
        .await
        .unwrap();
    assert!(store.delete_item(item.id, false).await.unwrap());
    assert_eq!(store.get_download_session(other.id).await.unwrap(), None);
    assert_eq!(store.download_file_by_token("tok-5").await.unwrap(), None);
    assert!(store.blob_references().await.unwrap().is_empty());
}

fn marked(session: DownloadSessionId, status: DownloadFileStatus, token: &str) -> DownloadFile {
    DownloadFile {
        session_id: session,
        name: "x.iso".to_owned(),
        status,
        size: 10,
        digest: None,
        download_token: token.to_owned(),
        error_message: (status == DownloadFileStatus::Error)
            .then(|| Message::new("test.fetch_failed", "the publisher answered 404")),
    }
}

async fn files_fetched_first_are_marked(store: Store) {
    let lib = stored_library(&*store, "lib").await;
    let item = stored_item(&*store, lib.id, "a").await;
    commit_files(&*store, item.id, &[("x.iso", blob(1, 10))]).await;
    let mut s = download_session(item.id);
    store.insert_download_session(&s, None).await.unwrap();

    // PREPARING, then ERROR with its message: listed, never served, no blob held.
    let preparing = marked(s.id, DownloadFileStatus::Preparing, "m-1");
    store.mark_download_file(&preparing).await.unwrap();
    assert_eq!(store.download_files(s.id).await.unwrap(), vec![preparing]);
    let failed = marked(s.id, DownloadFileStatus::Error, "m-2");
    store.mark_download_file(&failed).await.unwrap();
    assert_eq!(store.download_files(s.id).await.unwrap(), vec![failed]);
    assert_eq!(
        store.blob_references().await.unwrap().len(),
        1,
        "the item's only"
    );

    // Prepared, then fetched again: the mark replaces it and lets go of its blob.
    store
        .prepare_download_file(s.id, "x.iso", "tok-1")
        .await
        .unwrap();
    commit_files(&*store, item.id, &[("x.iso", blob(2, 12))]).await;
    assert_eq!(
        store.blob_references().await.unwrap().len(),
        2,
        "held by the session"
    );
    let again = marked(s.id, DownloadFileStatus::Preparing, "m-3");
    store.mark_download_file(&again).await.unwrap();
    assert_eq!(store.download_files(s.id).await.unwrap(), vec![again]);
    assert_eq!(store.download_file_by_token("tok-1").await.unwrap(), None);
    assert_eq!(
        store.blob_references().await.unwrap(),
        vec![blob(2, 0).digest]
    );
    let other = download_session(item.id);
    store.insert_download_session(&other, None).await.unwrap();
    let err = store
        .mark_download_file(&marked(other.id, DownloadFileStatus::Error, "m-3"))
        .await
        .unwrap_err();
    assert!(matches!(err, MetadataError::AlreadyExists { .. }), "{err}");

    // Only active sessions are marked.
    s.state = DownloadSessionState::Canceled;
    store.update_download_session(&s).await.unwrap().unwrap();
    let err = store
        .mark_download_file(&marked(s.id, DownloadFileStatus::Preparing, "m-5"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotAllowedInCurrentState, "{err}");
    let err = store
        .mark_download_file(&marked(
            DownloadSessionId::new(),
            DownloadFileStatus::Preparing,
            "m-6",
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}
