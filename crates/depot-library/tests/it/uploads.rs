//! Pushed uploads: a declared SHA-256 is checked (by the blob store, hashing once) as
//! any other checksum is; item listings come in name order.

use depot_library::{ContentLibrary, LibraryError, NewItem, NewLibrary, Upload};
use depot_model::{
    Checksum, ChecksumAlgorithm, FileTransfer, ItemId, LibraryId, SessionFile, Sha256Digest,
    SourceType, TransferStatus, UpdateSession,
};

use crate::backends::both;

both! {
    a_declared_sha256_is_checked => sqlite_a_declared_sha256_is_checked,
        postgres_a_declared_sha256_is_checked;
    item_ids_come_in_name_order => sqlite_item_ids_come_in_name_order,
        postgres_item_ids_come_in_name_order;
}

async fn new_item(lib: &ContentLibrary, name: &str) -> (LibraryId, ItemId) {
    let library = NewLibrary {
        name: Some(format!("lib-{name}")),
        ..NewLibrary::default()
    };
    let library = lib.create_local_library("u", library, None).await.unwrap();
    let spec = NewItem {
        library_id: Some(library),
        name: Some(name.to_owned()),
        ..NewItem::default()
    };
    (library, lib.create_item("u", spec, None).await.unwrap())
}

async fn put(lib: &ContentLibrary, token: &str, body: &[u8]) -> Result<SessionFile, LibraryError> {
    let mut reader = body;
    let upload = Upload {
        token,
        name: "disk.iso",
        length: Some(body.len() as u64),
        body: &mut reader,
    };
    lib.receive_upload(upload).await
}

async fn a_declared_sha256_is_checked(lib: ContentLibrary) {
    let (_, id) = new_item(&lib, "disk").await;
    let now = depot_model::now();
    let session = UpdateSession::new(id, "u", now, now + std::time::Duration::from_mins(5));
    lib.store()
        .insert_update_session(&session, None)
        .await
        .unwrap();
    let content = b"0123456789abcdef".repeat(100_000);
    let digest = Sha256Digest::compute(&content);
    let token = format!("t-{}", ItemId::new());
    let file = SessionFile {
        session_id: session.id,
        name: "disk.iso".to_owned(),
        source_type: SourceType::Push,
        declared_size: Some(content.len() as u64),
        declared_checksum: Some(Checksum {
            algorithm: ChecksumAlgorithm::Sha256,
            value: digest.to_string().to_uppercase(),
        }),
        pull_endpoint: None,
        upload_token: token.clone(),
        transfer: FileTransfer::waiting(),
    };
    lib.store().add_session_file(&file).await.unwrap();

    let mut changed = content.clone();
    changed[123_456] ^= 1;
    let err = put(&lib, &token, &changed).await.unwrap_err();
    assert!(matches!(err, LibraryError::TransferFailed(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("checksum mismatch: expected SHA256:"),
        "{text}"
    );
    assert!(text.contains(&digest.to_string()), "{text}");
    let files = lib.store().session_files(session.id).await.unwrap();
    assert_eq!(files[0].transfer.status, TransferStatus::Error);
    let message = files[0].transfer.error_message.as_ref().unwrap();
    assert!(message.default.contains("checksum"), "{message:?}");
    assert!(
        lib.blobs().list().await.unwrap().is_empty(),
        "nothing stored"
    );

    let done = put(&lib, &token, &content).await.unwrap();
    assert_eq!(done.transfer.status, TransferStatus::Ready);
    let stored = done.transfer.stored.unwrap();
    assert_eq!((stored.digest, stored.size), (digest, content.len() as u64));
}

async fn item_ids_come_in_name_order(lib: ContentLibrary) {
    let (library, b) = new_item(&lib, "b").await;
    let mut want = vec![b];
    for name in ["c", "a"] {
        let spec = NewItem {
            library_id: Some(library),
            name: Some(name.to_owned()),
            ..NewItem::default()
        };
        want.push(lib.create_item("u", spec, None).await.unwrap());
    }
    want.rotate_right(1);
    assert_eq!(lib.item_ids(library).await.unwrap(), want, "a, b, c");
    let empty = NewLibrary {
        name: Some("empty".into()),
        ..NewLibrary::default()
    };
    let empty = lib.create_local_library("u", empty, None).await.unwrap();
    assert!(lib.item_ids(empty).await.unwrap().is_empty());
    let err = lib.item_ids(LibraryId::new()).await.unwrap_err();
    assert!(matches!(err, LibraryError::NotFound { .. }), "{err:?}");
}
