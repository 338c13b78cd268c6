//! The reads a store may serve from memory (an item, a library's item ids, a library)
//! see every write the moment it returns, whichever write it was.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use depot_model::ItemId;

use crate::backends::{Store, conformance};
use crate::fixtures::at;
use crate::library_fixtures::{blob, commit_files, stored_item, stored_library};

conformance! {
    hot_reads_follow_each_write =>
        sqlite_hot_reads_follow_each_write, postgres_hot_reads_follow_each_write;
    hot_reads_are_never_older_than_a_finished_write =>
        sqlite_hot_reads_are_never_older_than_a_finished_write,
        postgres_hot_reads_are_never_older_than_a_finished_write;
}

async fn hot_reads_follow_each_write(store: Store) {
    let lib = stored_library(&*store, "lib").await;
    let a = stored_item(&*store, lib.id, "a").await;
    // Warm every read, then change what each one shows.
    assert_eq!(store.item_ids(lib.id).await.unwrap(), Some(vec![a.id]));
    let before = store.get_library(lib.id).await.unwrap().unwrap();
    assert_eq!(store.get_item(a.id).await.unwrap(), Some(a.clone()));

    let b = stored_item(&*store, lib.id, "b").await;
    assert_eq!(
        store.item_ids(lib.id).await.unwrap(),
        Some(vec![a.id, b.id])
    );
    let after_insert = store.get_library(lib.id).await.unwrap().unwrap();
    assert!(after_insert.version > before.version);

    let committed = commit_files(&*store, a.id, &[("x.iso", blob(1, 7))]).await;
    let read = store.get_item(a.id).await.unwrap().unwrap();
    assert_eq!(
        (read.size, read.content_version),
        (7, committed.content_version)
    );

    let mut renamed = read.clone();
    "c".clone_into(&mut renamed.name);
    assert!(store.update_item(&renamed).await.unwrap().is_some());
    assert_eq!(store.get_item(a.id).await.unwrap().unwrap().name, "c");
    assert_eq!(
        store.item_ids(lib.id).await.unwrap(),
        Some(vec![b.id, a.id])
    );

    assert!(
        store
            .record_library_sync(lib.id, Some("9"), at(70))
            .await
            .unwrap()
    );
    let synced = store.get_library(lib.id).await.unwrap().unwrap();
    assert_eq!(synced.last_sync_time, Some(at(70)));

    assert!(store.delete_item(b.id, true).await.unwrap());
    assert_eq!(store.get_item(b.id).await.unwrap(), None);
    assert_eq!(store.item_ids(lib.id).await.unwrap(), Some(vec![a.id]));

    assert!(store.delete_library(lib.id, true).await.unwrap());
    assert_eq!(store.get_library(lib.id).await.unwrap(), None);
    assert_eq!(store.get_item(a.id).await.unwrap(), None);
    assert_eq!(store.item_ids(lib.id).await.unwrap(), None);
}

/// Readers hammer an item while it is renamed again and again: once a rename has
/// returned, no read may show an older name.
async fn hot_reads_are_never_older_than_a_finished_write(store: Store) {
    let lib = stored_library(&*store, "lib").await;
    let item = stored_item(&*store, lib.id, "v0").await;
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (store, done) = (Arc::clone(&store), Arc::clone(&done));
            tokio::spawn(async move {
                let mut reads = 0_u32;
                while !done.load(Ordering::Relaxed) {
                    store.get_item(item.id).await.unwrap();
                    reads += 1;
                    tokio::task::yield_now().await;
                }
                reads
            })
        })
        .collect();
    let mut current = item;
    for n in 1..=40 {
        current.name = format!("v{n}");
        current.version = store.update_item(&current).await.unwrap().unwrap();
        let read = store.get_item(current.id).await.unwrap().unwrap();
        assert_eq!(read.name, current.name, "a read after rename {n}");
        assert_eq!(read.version, current.version);
    }
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        assert!(reader.await.unwrap() > 0);
    }
    assert_eq!(store.get_item(ItemId::new()).await.unwrap(), None);
}
