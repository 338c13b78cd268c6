//! Update sessions: one active per item, state changes, files and completing.

use depot_metadata::{CreateOutcome, MetadataError};
use depot_model::{
    ErrorKind, FileTransfer, Message, TransferStatus, UpdateSessionId, UpdateSessionState,
};

use crate::backends::{Store, conformance};
use crate::fixtures::at;
use crate::library_fixtures::{
    blob, push_file, stored_item, stored_library, token, update_session,
};

conformance! {
    one_active_session_per_item =>
        sqlite_one_active_session_per_item, postgres_one_active_session_per_item;
    concurrent_opens_one_wins => sqlite_concurrent_opens_one_wins, postgres_concurrent_opens_one_wins;
    session_creation_rules => sqlite_session_creation_rules, postgres_session_creation_rules;
    session_state_changes => sqlite_session_state_changes, postgres_session_state_changes;
    session_files_lifecycle => sqlite_session_files_lifecycle, postgres_session_files_lifecycle;
    session_file_transfers => sqlite_session_file_transfers, postgres_session_file_transfers;
}

async fn one_active_session_per_item(store: Store) {
    let lib = stored_library(&*store, "lib").await;
    let item = stored_item(&*store, lib.id, "a").await;
    let other = stored_item(&*store, lib.id, "b").await;
    let mut first = update_session(item.id);
    store.insert_update_session(&first, None).await.unwrap();
    let err = store
        .insert_update_session(&update_session(item.id), None)
        .await
        .unwrap_err();
    assert!(matches!(err, MetadataError::ItemBusy { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    // Another item is not busy.
    store
        .insert_update_session(&update_session(other.id), None)
        .await
        .unwrap();

    first.state = UpdateSessionState::Canceled;
    first.version = store.update_update_session(&first).await.unwrap().unwrap();
    let mut second = update_session(item.id);
    second.creation_time = at(3);
    store.insert_update_session(&second, None).await.unwrap();
    // The canceled one cannot come back while the second is active.
    first.state = UpdateSessionState::Active;
    let err = store.update_update_session(&first).await.unwrap_err();
    assert!(matches!(err, MetadataError::ItemBusy { .. }), "{err}");
    let listed = store.list_update_sessions(Some(item.id)).await.unwrap();
    let states: Vec<_> = listed.iter().map(|s| (s.id, s.state)).collect();
    assert_eq!(
        states,
        vec![
            (first.id, UpdateSessionState::Canceled),
            (second.id, UpdateSessionState::Active)
        ]
    );
    assert_eq!(store.list_update_sessions(None).await.unwrap().len(), 3);
}

async fn concurrent_opens_one_wins(store: Store) {
    let lib = stored_library(&*store, "lib").await;
    let item = stored_item(&*store, lib.id, "a").await;
    let mut handles = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            store
                .insert_update_session(&update_session(item.id), None)
                .await
        }));
    }
    let (mut won, mut busy) = (0, 0);
    for h in handles {
        match h.await.unwrap() {
            Ok(CreateOutcome::Created) => won += 1,
            Err(MetadataError::ItemBusy { .. }) => busy += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((won, busy), (1, 7));
    let active = store.list_update_sessions(Some(item.id)).await.unwrap();
    assert_eq!(active.len(), 1);
}

async fn session_creation_rules(store: Store) {
    let lib = stored_library(&*store, "lib").await;
    let item = stored_item(&*store, lib.id, "a").await;
    let mut s = update_session(item.id);
    s.expected_content_version = Some(7);
    let err = store.insert_update_session(&s, None).await.unwrap_err();
    assert!(
        matches!(
            err,
            MetadataError::ContentVersionMismatch {
                expected: 7,
                actual: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(store.list_update_sessions(None).await.unwrap().is_empty());
    s.expected_content_version = Some(1);
    let t = token("alice", "upload-1");
    assert_eq!(
        store.insert_update_session(&s, Some(&t)).await.unwrap(),
        CreateOutcome::Created
    );
    assert_eq!(
        store.get_update_session(s.id).await.unwrap(),
        Some(s.clone())
    );
    // The same token again: the first session, not ItemBusy.
    assert_eq!(
        store
            .insert_update_session(&update_session(item.id), Some(&t))
            .await
            .unwrap(),
        CreateOutcome::Existing(s.id)
    );
    let err = store
        .insert_update_session(&update_session(depot_model::ItemId::new()), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(
        store
            .get_update_session(UpdateSessionId::new())
            .await
            .unwrap(),
        None
    );
}

async fn session_state_changes(store: Store) {
    let lib = stored_library(&*store, "lib").await;
    let item = stored_item(&*store, lib.id, "a").await;
    let mut s = update_session(item.id);
    store.insert_update_session(&s, None).await.unwrap();

    assert!(
        store
            .keep_alive_update_session(s.id, at(90_000), Some(40))
            .await
            .unwrap()
    );
    let kept = store.get_update_session(s.id).await.unwrap().unwrap();
    assert_eq!(
        (kept.expiration_time, kept.client_progress, kept.version),
        (at(90_000), 40, 2)
    );
    assert!(
        store
            .keep_alive_update_session(s.id, at(95_000), None)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .get_update_session(s.id)
            .await
            .unwrap()
            .unwrap()
            .client_progress,
        40
    );

    assert_eq!(
        store.expired_update_sessions(at(95_000)).await.unwrap(),
        vec![]
    );
    let expired = store.expired_update_sessions(at(95_001)).await.unwrap();
    assert_eq!(expired.iter().map(|s| s.id).collect::<Vec<_>>(), vec![s.id]);

    // Stale version: nothing changes.
    s.client_progress = 10;
    assert_eq!(store.update_update_session(&s).await.unwrap(), None);
    s.state = UpdateSessionState::Done;
    s.version = 3;
    let err = store.update_update_session(&s).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotAllowedInCurrentState, "{err}");
    let err = store.delete_update_session(s.id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotAllowedInCurrentState, "{err}");

    s.state = UpdateSessionState::Error;
    s.error_message = Some(Message::new(
        "com.vmware.depotd.upload_aborted",
        "upload aborted",
    ));
    assert_eq!(store.update_update_session(&s).await.unwrap(), Some(4));
    let failed = store.get_update_session(s.id).await.unwrap().unwrap();
    assert_eq!(
        failed,
        depot_model::UpdateSession {
            version: 4,
            ..s.clone()
        }
    );
    assert!(
        !store
            .keep_alive_update_session(s.id, at(99_000), None)
            .await
            .unwrap()
    );
    assert!(
        store
            .expired_update_sessions(at(999_999))
            .await
            .unwrap()
            .is_empty()
    );

    assert!(store.delete_update_session(s.id).await.unwrap());
    assert!(!store.delete_update_session(s.id).await.unwrap());
}

async fn session_files_lifecycle(store: Store) {
    let lib = stored_library(&*store, "lib").await;
    let item = stored_item(&*store, lib.id, "a").await;
    let mut s = update_session(item.id);
    store.insert_update_session(&s, None).await.unwrap();
    let mut file = push_file(s.id, "disk.vmdk");
    file.declared_checksum = Some(depot_model::Checksum {
        algorithm: depot_model::ChecksumAlgorithm::Sha256,
        value: "ab".repeat(32),
    });
    store.add_session_file(&file).await.unwrap();
    let mut pull = push_file(s.id, "pulled.iso");
    pull.source_type = depot_model::SourceType::Pull;
    pull.declared_size = None;
    pull.pull_endpoint = Some(depot_model::TransferEndpoint {
        uri: "https://mirror.example/x.iso".to_owned(),
        ssl_thumbprint: Some("AA:BB".to_owned()),
        ssl_certificate: None,
    });
    store.add_session_file(&pull).await.unwrap();
    assert_eq!(
        store.session_files(s.id).await.unwrap(),
        vec![file.clone(), pull.clone()]
    );
    assert_eq!(
        store.session_file(s.id, "pulled.iso").await.unwrap(),
        Some(pull.clone())
    );

    let mut same_name = push_file(s.id, "disk.vmdk");
    "fresh".clone_into(&mut same_name.upload_token);
    let err = store.add_session_file(&same_name).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    let mut same_token = push_file(s.id, "other");
    same_token.upload_token.clone_from(&file.upload_token);
    assert!(store.add_session_file(&same_token).await.is_err());
    assert_eq!(
        store
            .session_file_by_upload_token(&file.upload_token)
            .await
            .unwrap(),
        Some(file.clone())
    );
    assert_eq!(
        store.session_file_by_upload_token("nope").await.unwrap(),
        None
    );

    s.state = UpdateSessionState::Canceled;
    store.update_update_session(&s).await.unwrap().unwrap();
    let err = store
        .add_session_file(&push_file(s.id, "late"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotAllowedInCurrentState, "{err}");
    let ready = FileTransfer::ready(blob(1, 10));
    assert!(
        !store
            .update_session_file(s.id, "pulled.iso", &[], &ready)
            .await
            .unwrap()
    );
    assert!(!store.remove_session_file(s.id, "pulled.iso").await.unwrap());
    assert_eq!(store.session_files(s.id).await.unwrap().len(), 2);
    let err = store
        .add_session_file(&push_file(UpdateSessionId::new(), "x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

async fn session_file_transfers(store: Store) {
    let lib = stored_library(&*store, "lib").await;
    let item = stored_item(&*store, lib.id, "a").await;
    let s = update_session(item.id);
    store.insert_update_session(&s, None).await.unwrap();
    for name in ["disk.vmdk", "pulled.iso"] {
        store
            .add_session_file(&push_file(s.id, name))
            .await
            .unwrap();
    }
    // Two uploads race for the file: only one moves it to TRANSFERRING.
    let transferring = FileTransfer {
        status: TransferStatus::Transferring,
        ..FileTransfer::waiting()
    };
    let from = [TransferStatus::WaitingForTransfer];
    assert!(
        store
            .update_session_file(s.id, "disk.vmdk", &from, &transferring)
            .await
            .unwrap()
    );
    assert!(
        !store
            .update_session_file(s.id, "disk.vmdk", &from, &transferring)
            .await
            .unwrap()
    );
    assert!(
        !store
            .update_session_file(s.id, "missing", &[], &transferring)
            .await
            .unwrap()
    );
    let ready = FileTransfer::ready(blob(1, 10));
    assert!(
        store
            .update_session_file(s.id, "disk.vmdk", &[], &ready)
            .await
            .unwrap()
    );
    assert!(
        store
            .update_session_file(s.id, "pulled.iso", &[], &FileTransfer::ready(blob(2, 5)))
            .await
            .unwrap()
    );
    let stored = store
        .session_file(s.id, "disk.vmdk")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.transfer, ready);
    assert_eq!(
        store.blob_references().await.unwrap(),
        vec![blob(1, 0).digest, blob(2, 0).digest]
    );
    // Back to an error: its blob is no longer held.
    let failed = FileTransfer {
        status: TransferStatus::Error,
        bytes_transferred: 3,
        stored: None,
        error_message: Some(Message::new("x", "checksum mismatch")),
    };
    assert!(
        store
            .update_session_file(s.id, "pulled.iso", &[], &failed)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .session_file(s.id, "pulled.iso")
            .await
            .unwrap()
            .unwrap()
            .transfer,
        failed
    );
    assert_eq!(
        store.blob_references().await.unwrap(),
        vec![blob(1, 0).digest]
    );

    assert!(store.remove_session_file(s.id, "disk.vmdk").await.unwrap());
    assert!(!store.remove_session_file(s.id, "disk.vmdk").await.unwrap());
    assert!(store.blob_references().await.unwrap().is_empty());
}
