//! What a subscribed library's sync writes: items with their files, and the sync
//! record.

use depot_metadata::MetadataError;
use depot_model::{ErrorKind, ItemFile, Library, LibraryId, LibraryItem, LibraryKind};

use crate::backends::{Store, conformance};
use crate::fixtures::at;
use crate::library_fixtures::blob;

conformance! {
    synced_items_are_written_with_their_files =>
        sqlite_synced_items_are_written_with_their_files,
        postgres_synced_items_are_written_with_their_files;
    synced_item_writes_are_compare_and_set =>
        sqlite_synced_item_writes_are_compare_and_set,
        postgres_synced_item_writes_are_compare_and_set;
    library_sync_is_recorded =>
        sqlite_library_sync_is_recorded, postgres_library_sync_is_recorded;
}

async fn subscribed(store: &Store) -> Library {
    let l = Library::new("mirror", LibraryKind::Subscribed, at(0));
    store.insert_library(&l, None).await.unwrap();
    l
}

fn synced(library: LibraryId, name: &str) -> LibraryItem {
    let mut i = LibraryItem::new(library, name, at(1));
    i.source_id = Some(format!("src-{name}"));
    i.source_version = Some("4".to_owned());
    i.source_href = Some(format!("{name}/item.json"));
    i.last_sync_time = Some(at(2));
    i.cached = false;
    i.size = 10;
    i
}

fn file(item: &LibraryItem, name: &str, digest: Option<u8>) -> ItemFile {
    ItemFile {
        item_id: item.id,
        name: name.to_owned(),
        size: 5,
        digest: digest.map(|n| blob(n, 5).digest),
        version: 1,
        source_href: Some(format!("{}/{name}", item.id)),
        source_etag: Some(format!("etag-{name}")),
        optional: name == "a.vmdk",
    }
}

async fn synced_items_are_written_with_their_files(store: Store) {
    let lib = subscribed(&store).await;
    let item = synced(lib.id, "a");
    let files = [file(&item, "a.ovf", None), file(&item, "a.vmdk", None)];
    assert!(store.put_synced_item(&item, &files, None).await.unwrap());
    assert_eq!(store.get_item(item.id).await.unwrap(), Some(item.clone()));
    assert_eq!(store.item_files(item.id).await.unwrap(), files.to_vec());
    assert!(store.blob_references().await.unwrap().is_empty());
    let after_insert = store.get_library(lib.id).await.unwrap().unwrap();
    assert_eq!((after_insert.version, after_insert.content_version), (2, 2));

    // Content arrives: the digests are referenced in the same write.
    let mut cached = item.clone();
    cached.version += 1;
    cached.content_version += 1;
    cached.cached = true;
    let files = [
        file(&item, "a.ovf", Some(1)),
        file(&item, "a.vmdk", Some(2)),
    ];
    assert!(
        store
            .put_synced_item(&cached, &files, Some(item.version))
            .await
            .unwrap()
    );
    assert_eq!(store.get_item(item.id).await.unwrap(), Some(cached.clone()));
    let mut expected = vec![blob(1, 5).digest, blob(2, 5).digest];
    expected.sort();
    assert_eq!(store.blob_references().await.unwrap(), expected);

    // Evicted: files stay without content, references go.
    let mut evicted = cached.clone();
    evicted.version += 1;
    evicted.cached = false;
    let files = [file(&item, "a.ovf", None), file(&item, "a.vmdk", None)];
    assert!(
        store
            .put_synced_item(&evicted, &files, Some(cached.version))
            .await
            .unwrap()
    );
    assert!(store.blob_references().await.unwrap().is_empty());
    assert_eq!(store.item_files(item.id).await.unwrap(), files.to_vec());

    // A second item of the same name is refused; an unknown library is NotFound.
    let err = store
        .put_synced_item(&synced(lib.id, "a"), &[], None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    let err = store
        .put_synced_item(&synced(LibraryId::new(), "x"), &[], None)
        .await
        .unwrap_err();
    assert!(matches!(err, MetadataError::NotFound { .. }), "{err}");
}

async fn synced_item_writes_are_compare_and_set(store: Store) {
    let lib = subscribed(&store).await;
    let item = synced(lib.id, "a");
    assert!(store.put_synced_item(&item, &[], None).await.unwrap());
    let mut stale = item.clone();
    stale.version = 7;
    stale.cached = true;
    let files = [file(&item, "x", Some(3))];
    assert!(
        !store
            .put_synced_item(&stale, &files, Some(6))
            .await
            .unwrap()
    );
    assert_eq!(store.get_item(item.id).await.unwrap(), Some(item.clone()));
    assert!(store.item_files(item.id).await.unwrap().is_empty());
    assert!(store.blob_references().await.unwrap().is_empty());
    // A deleted item is not brought back by an update.
    assert!(store.delete_item(item.id, true).await.unwrap());
    assert!(
        !store
            .put_synced_item(&stale, &files, Some(1))
            .await
            .unwrap()
    );
    assert_eq!(store.get_item(item.id).await.unwrap(), None);
}

async fn library_sync_is_recorded(store: Store) {
    let lib = subscribed(&store).await;
    assert!(
        store
            .record_library_sync(lib.id, Some("12"), at(9))
            .await
            .unwrap()
    );
    let stored = store.get_library(lib.id).await.unwrap().unwrap();
    assert_eq!(stored.source_version.as_deref(), Some("12"));
    assert_eq!(stored.last_sync_time, Some(at(9)));
    assert_eq!(
        stored.version, lib.version,
        "a sync record is no client change"
    );
    assert!(
        !store
            .record_library_sync(LibraryId::new(), None, at(9))
            .await
            .unwrap()
    );
}
