//! Test data for the content-library stores.

use depot_metadata::{CreateOutcome, MetadataStore};
use depot_model::{
    ClientToken, FileTransfer, Library, LibraryAuth, LibraryId, LibraryItem, LibraryKind,
    PublishSettings, SealedSecret, SessionFile, Sha256Digest, SourceType, StorageBacking,
    StoredBlob, UpdateSession, UpdateSessionId,
};

use crate::fixtures::at;

/// A local library called `name`, published with Basic authentication.
pub fn library(name: &str) -> Library {
    let mut l = Library::new(name, LibraryKind::Local, at(0));
    l.description = Some(format!("{name} for tests"));
    l.storage = StorageBacking::Other {
        storage_uri: format!("file:///srv/depot/{name}"),
    };
    l.publish = Some(PublishSettings {
        published: true,
        authentication: LibraryAuth::Basic,
        user_name: Some("vcsp".to_owned()),
        password: Some(SealedSecret::new("sealed:v1:abc")),
        persist_json_enabled: false,
    });
    l
}

/// A new item called `name` in `library`.
pub fn item(library: LibraryId, name: &str) -> LibraryItem {
    let mut i = LibraryItem::new(library, name, at(1));
    i.item_type = Some("iso".to_owned());
    i
}

/// The client token `token` of `user`.
pub fn token(user: &str, token: &str) -> ClientToken {
    ClientToken::new(user, token).expect("valid token")
}

/// An active update session of `item` by `alice`, expiring at `at(60_000)`.
pub fn update_session(item: depot_model::ItemId) -> UpdateSession {
    UpdateSession::new(item, "alice", at(2), at(60_000))
}

/// A pushed file `name` of `session`, waiting for its bytes.
pub fn push_file(session: UpdateSessionId, name: &str) -> SessionFile {
    SessionFile {
        session_id: session,
        name: name.to_owned(),
        source_type: SourceType::Push,
        declared_size: Some(10),
        declared_checksum: None,
        pull_endpoint: None,
        upload_token: format!("upload-{session}-{name}"),
        transfer: FileTransfer::waiting(),
    }
}

/// A stored blob whose digest is 32 bytes of `n`.
pub fn blob(n: u8, size: u64) -> StoredBlob {
    StoredBlob {
        digest: Sha256Digest::from_bytes([n; 32]),
        size,
    }
}

/// Stores a library and returns it.
pub async fn stored_library(store: &dyn MetadataStore, name: &str) -> Library {
    let l = library(name);
    assert_eq!(
        store.insert_library(&l, None).await.unwrap(),
        CreateOutcome::Created
    );
    l
}

/// Stores an item in `library` and returns it.
pub async fn stored_item(store: &dyn MetadataStore, library: LibraryId, name: &str) -> LibraryItem {
    let i = item(library, name);
    assert_eq!(
        store.insert_item(&i, None).await.unwrap(),
        CreateOutcome::Created
    );
    i
}

/// Opens a session on `item` with the files `(name, blob)` uploaded and ready.
pub async fn session_with_ready_files(
    store: &dyn MetadataStore,
    item: depot_model::ItemId,
    files: &[(&str, StoredBlob)],
) -> UpdateSessionId {
    let s = update_session(item);
    assert_eq!(
        store.insert_update_session(&s, None).await.unwrap(),
        CreateOutcome::Created
    );
    for (name, blob) in files {
        store
            .add_session_file(&push_file(s.id, name))
            .await
            .unwrap();
        let ready = FileTransfer::ready(*blob);
        assert!(
            store
                .update_session_file(s.id, name, &[], &ready)
                .await
                .unwrap()
        );
    }
    s.id
}

/// Uploads `files` into `item` through a completed session.
pub async fn commit_files(
    store: &dyn MetadataStore,
    item: depot_model::ItemId,
    files: &[(&str, StoredBlob)],
) -> LibraryItem {
    let id = session_with_ready_files(store, item, files).await;
    store.complete_update_session(id, at(5)).await.unwrap()
}
