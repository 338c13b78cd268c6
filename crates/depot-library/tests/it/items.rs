//! Items: create, versions, copy with the same blobs, storage URIs.

use depot_blobs::Expected;
use depot_library::{ContentLibrary, CopySpec, ItemChange, LibraryError, NewItem, NewLibrary};
use depot_model::{
    FileTransfer, ItemId, LibraryId, SessionFile, SourceType, StoredBlob, TransferStatus,
    UpdateSession,
};

use crate::backends::both;

async fn library(lib: &ContentLibrary, name: &str) -> LibraryId {
    let spec = NewLibrary {
        name: Some(name.to_owned()),
        ..NewLibrary::default()
    };
    lib.create_local_library("u", spec, None).await.unwrap()
}

async fn item(lib: &ContentLibrary, library_id: LibraryId, name: &str) -> ItemId {
    let spec = NewItem {
        library_id: Some(library_id),
        name: Some(name.to_owned()),
        item_type: Some("iso".into()),
        ..NewItem::default()
    };
    lib.create_item("u", spec, None).await.unwrap()
}

async fn upload(lib: &ContentLibrary, id: ItemId, name: &str, content: &[u8]) {
    let now = depot_model::now();
    let session = UpdateSession::new(id, "u", now, now + chrono_minutes());
    lib.store()
        .insert_update_session(&session, None)
        .await
        .unwrap();
    let mut reader = content;
    let blob = lib
        .blobs()
        .put(&mut reader, Expected::default())
        .await
        .unwrap();
    let file = SessionFile {
        session_id: session.id,
        name: name.to_owned(),
        source_type: SourceType::Push,
        declared_size: None,
        declared_checksum: None,
        pull_endpoint: None,
        upload_token: format!("t-{}", ItemId::new()),
        transfer: FileTransfer {
            status: TransferStatus::Ready,
            bytes_transferred: blob.size,
            stored: Some(StoredBlob {
                digest: blob.digest,
                size: blob.size,
            }),
            error_message: None,
        },
    };
    lib.store().add_session_file(&file).await.unwrap();
    lib.store()
        .complete_update_session(session.id, now)
        .await
        .unwrap();
}

fn chrono_minutes() -> std::time::Duration {
    std::time::Duration::from_mins(5)
}

async fn versions_and_copies(lib: ContentLibrary) {
    let a = library(&lib, "a").await;
    let b = library(&lib, "b").await;
    let id = item(&lib, a, "esx.iso").await;
    let e = lib
        .create_item(
            "u",
            NewItem {
                library_id: Some(a),
                name: Some("esx.iso".into()),
                ..NewItem::default()
            },
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(depot_model::DomainError::code(&e), "ALREADY_EXISTS");
    let change = ItemChange {
        description: Some("d".into()),
        ..ItemChange::default()
    };
    lib.update_item(id, change).await.unwrap();
    let it = lib.item(id).await.unwrap();
    assert_eq!(
        (it.version, it.metadata_version, it.content_version),
        (2, 2, 1)
    );
    let stale = ItemChange {
        name: Some("n".into()),
        version: Some("1".into()),
        ..ItemChange::default()
    };
    let e = lib.update_item(id, stale).await.unwrap_err();
    assert!(matches!(e, LibraryError::ConcurrentChange(_)), "{e:?}");

    upload(&lib, id, "esx.iso", b"iso").await;
    let it = lib.item(id).await.unwrap();
    assert_eq!(
        (it.size, it.content_version, it.metadata_version),
        (3, 2, 2)
    );
    let spec = CopySpec {
        library_id: Some(b),
        ..CopySpec::default()
    };
    let copy = lib
        .copy_item("u", id, spec.clone(), Some("c"))
        .await
        .unwrap();
    assert_eq!(lib.copy_item("u", id, spec, Some("c")).await.unwrap(), copy);
    let files = lib.item_files(copy).await.unwrap();
    let original = lib.item_files(id).await.unwrap();
    assert_eq!(files[0].digest, original[0].digest);
    let stored = lib.item_storage(copy, None).await.unwrap();
    let digest = original[0].digest.unwrap();
    assert_eq!(stored[0].uris, [format!("depotd:blobs/sha256/{digest}")]);
    lib.delete_library(a, None, false).await.unwrap();
    assert_eq!(lib.blobs().read_all(&digest, 10).await.unwrap(), b"iso");
    assert_eq!(lib.item(copy).await.unwrap().size, 3);
    let e = lib.item_ids(a).await.unwrap_err();
    assert!(matches!(e, LibraryError::NotFound { .. }), "{e:?}");
}

both! {
    versions_and_copies => sqlite_versions_and_copies, postgres_versions_and_copies;
}
