//! Completing update sessions: all files or nothing.

use depot_metadata::MetadataError;
use depot_model::{ErrorKind, FileTransfer, TransferStatus, UpdateSessionId, UpdateSessionState};

use crate::backends::{Store, conformance};
use crate::fixtures::at;
use crate::library_fixtures::{
    blob, commit_files, push_file, session_with_ready_files, stored_item, stored_library,
};

conformance! {
    complete_refuses_files_not_ready =>
        sqlite_complete_refuses_files_not_ready, postgres_complete_refuses_files_not_ready;
    complete_commits_files_and_moves_refs =>
        sqlite_complete_commits_files_and_moves_refs, postgres_complete_commits_files_and_moves_refs;
}

async fn complete_refuses_files_not_ready(store: Store) {
    let lib = stored_library(&*store, "lib").await;
    let item = stored_item(&*store, lib.id, "a").await;
    let id = session_with_ready_files(&*store, item.id, &[("ready.iso", blob(1, 10))]).await;
    store
        .add_session_file(&push_file(id, "short.iso"))
        .await
        .unwrap();
    let partial = FileTransfer {
        status: TransferStatus::Transferring,
        bytes_transferred: 4,
        ..FileTransfer::waiting()
    };
    assert!(
        store
            .update_session_file(id, "short.iso", &[], &partial)
            .await
            .unwrap()
    );
    store
        .add_session_file(&push_file(id, "missing.iso"))
        .await
        .unwrap();
    let before = (
        store.get_library(lib.id).await.unwrap(),
        store.get_item(item.id).await.unwrap(),
        store.get_update_session(id).await.unwrap(),
        store.blob_references().await.unwrap(),
    );

    let err = store.complete_update_session(id, at(9)).await.unwrap_err();
    let MetadataError::FilesNotReady { files, .. } = &err else {
        panic!("unexpected {err}");
    };
    assert_eq!(files, &["missing.iso", "short.iso"]);
    assert_eq!(err.kind(), ErrorKind::NotAllowedInCurrentState);
    let after = (
        store.get_library(lib.id).await.unwrap(),
        store.get_item(item.id).await.unwrap(),
        store.get_update_session(id).await.unwrap(),
        store.blob_references().await.unwrap(),
    );
    assert_eq!(after, before, "a refused complete changes nothing");
    assert!(store.item_files(item.id).await.unwrap().is_empty());

    let err = store
        .complete_update_session(UpdateSessionId::new(), at(9))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

async fn complete_commits_files_and_moves_refs(store: Store) {
    let lib = stored_library(&*store, "lib").await;
    let item = stored_item(&*store, lib.id, "a").await;
    let first = commit_files(
        &*store,
        item.id,
        &[("a.ovf", blob(1, 10)), ("b.vmdk", blob(2, 20))],
    )
    .await;
    assert_eq!(
        (first.content_version, first.version, first.size),
        (2, 2, 30)
    );
    assert!(first.cached);
    let lib_before = store.get_library(lib.id).await.unwrap().unwrap();

    let id = session_with_ready_files(
        &*store,
        item.id,
        &[("a.ovf", blob(3, 11)), ("c.mf", blob(4, 1))],
    )
    .await;
    assert_eq!(
        store.blob_references().await.unwrap(),
        [1, 2, 3, 4].map(|n| blob(n, 0).digest).to_vec()
    );
    let done = store.complete_update_session(id, at(77)).await.unwrap();
    assert_eq!(done, store.get_item(item.id).await.unwrap().unwrap());
    assert_eq!(
        (done.content_version, done.version, done.size),
        (3, 3, 11 + 20 + 1)
    );
    assert_eq!(done.metadata_version, 1);
    assert_eq!(done.last_modified_time, at(77));
    assert!(done.cached);
    let files: Vec<_> = store
        .item_files(item.id)
        .await
        .unwrap()
        .into_iter()
        .map(|f| (f.name, f.size, f.digest, f.version))
        .collect();
    assert_eq!(
        files,
        vec![
            ("a.ovf".to_owned(), 11, Some(blob(3, 0).digest), 3),
            ("b.vmdk".to_owned(), 20, Some(blob(2, 0).digest), 2),
            ("c.mf".to_owned(), 1, Some(blob(4, 0).digest), 3),
        ]
    );
    let lib_after = store.get_library(lib.id).await.unwrap().unwrap();
    assert_eq!(lib_after.version, lib_before.version + 1);
    assert_eq!(lib_after.content_version, lib_before.content_version + 1);
    // The replaced a.ovf is no longer held; the session holds nothing any more.
    assert_eq!(
        store.blob_references().await.unwrap(),
        [2, 3, 4].map(|n| blob(n, 0).digest).to_vec()
    );
    assert_eq!(
        store
            .remove_blob_refs(&format!("update-session:{id}"))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .remove_blob_refs(&format!("library-item:{}", item.id))
            .await
            .unwrap(),
        3
    );
    let session = store.get_update_session(id).await.unwrap().unwrap();
    assert_eq!(session.state, UpdateSessionState::Done);

    let err = store.complete_update_session(id, at(78)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotAllowedInCurrentState, "{err}");
    // A session with no files commits nothing but is still a new content version.
    let empty = session_with_ready_files(&*store, item.id, &[]).await;
    let again = store.complete_update_session(empty, at(79)).await.unwrap();
    assert_eq!((again.content_version, again.size), (4, 32));
}
