//! Subscribed libraries synced from a static VCSP tree on loopback: the sync rules,
//! content on demand or at once, eviction, and faults that leave the library usable.

use depot_library::{
    ContentLibrary, ItemSyncOutcome, LibraryError, NewSubscribedLibrary, SubscriptionSpec,
};
use depot_model::{DomainError, LibraryId, LibraryItem};

use crate::backends::both;
use crate::vcsp_tree::Tree;

both! {
    library_sync_follows_the_publisher =>
        sqlite_library_sync_follows_the_publisher, postgres_library_sync_follows_the_publisher;
    content_comes_on_demand_or_at_once =>
        sqlite_content_comes_on_demand_or_at_once, postgres_content_comes_on_demand_or_at_once;
    faults_leave_the_library_usable =>
        sqlite_faults_leave_the_library_usable, postgres_faults_leave_the_library_usable;
    subscriptions_are_checked_first =>
        sqlite_subscriptions_are_checked_first, postgres_subscriptions_are_checked_first;
}

async fn subscribe(lib: &ContentLibrary, tree: &Tree, on_demand: bool) -> LibraryId {
    let spec = NewSubscribedLibrary {
        name: Some(format!("mirror-{on_demand}")),
        subscription: Some(SubscriptionSpec {
            url: Some(tree.url.clone()),
            on_demand: Some(on_demand),
            ..SubscriptionSpec::default()
        }),
        ..NewSubscribedLibrary::default()
    };
    lib.create_subscribed_library("u", spec, None)
        .await
        .unwrap()
}

async fn items(lib: &ContentLibrary, id: LibraryId) -> Vec<LibraryItem> {
    let mut all = Vec::new();
    for item in lib.item_ids(id).await.unwrap() {
        all.push(lib.item(item).await.unwrap());
    }
    all
}

async fn library_sync_follows_the_publisher(lib: ContentLibrary) {
    let tree = Tree::serve().await;
    let a = tree.item("a1", "a", 1, &[("a.iso", b"aaa")]);
    let b = tree.item("b1", "b", 1, &[("b.iso", b"bb")]);
    tree.write_items(&[a.clone(), b]);
    tree.write_lib(2);
    let id = subscribe(&lib, &tree, true).await;
    let report = lib.sync_library(id).await.unwrap();
    assert_eq!((report.added, report.deleted), (2, 0));
    let synced = items(&lib, id).await;
    let names: Vec<_> = synced
        .iter()
        .map(|i| (i.name.as_str(), i.size, i.cached))
        .collect();
    assert_eq!(names, [("a", 3, false), ("b", 2, false)], "metadata only");
    assert_eq!(synced[0].source_id.as_deref(), Some("a1"));
    assert_eq!(synced[0].item_type.as_deref(), Some("iso"));
    let library = lib.library(id).await.unwrap();
    assert_eq!(library.source_version.as_deref(), Some("2"));
    assert!(library.last_sync_time.is_some());

    // lib.json's version did not grow: items.json is not read.
    std::fs::remove_file(tree.path("items.json")).unwrap();
    assert!(lib.sync_library(id).await.unwrap().unchanged);

    // b goes, a changes; items.json without files: item.json only for a.
    std::fs::remove_file(tree.path("b/item.json")).unwrap();
    let mut a2 = tree.item("a1", "a", 2, &[("a.iso", b"aaaa")]);
    a2.as_object_mut().unwrap().remove("files");
    let mut a_old = a.clone();
    a_old.as_object_mut().unwrap().remove("files");
    tree.write_items(&[a2]);
    tree.write_lib(3);
    let report = lib.sync_library(id).await.unwrap();
    assert_eq!((report.updated, report.deleted), (1, 1), "{report:?}");
    let synced = items(&lib, id).await;
    assert_eq!(synced.len(), 1);
    assert_eq!((synced[0].size, synced[0].content_version), (4, 2));
    assert_eq!(synced[0].source_version.as_deref(), Some("2"));

    // An unchanged item's item.json is not read.
    std::fs::remove_file(tree.path("a/item.json")).unwrap();
    tree.write_lib(4);
    let mut a2 = a_old;
    a2["version"] = "2".into();
    tree.write_items(&[a2]);
    let report = lib.sync_library(id).await.unwrap();
    assert_eq!(report.skipped, 1, "{report:?}");
}

async fn content_comes_on_demand_or_at_once(lib: ContentLibrary) {
    let tree = Tree::serve().await;
    let a = tree.item("a1", "a", 1, &[("a.iso", b"hello"), ("a.txt", b"x")]);
    tree.write_items(&[a]);
    tree.write_lib(2);
    let on_demand = subscribe(&lib, &tree, true).await;
    lib.sync_library(on_demand).await.unwrap();
    let item = items(&lib, on_demand).await.remove(0);
    // On demand: content only when forced.
    let outcome = lib.sync_item(item.id, false, false).await.unwrap();
    assert_eq!(outcome, ItemSyncOutcome::Synced { cached: false });
    let outcome = lib.sync_item(item.id, true, false).await.unwrap();
    assert_eq!(outcome, ItemSyncOutcome::Synced { cached: true });
    let file = lib.item_file(item.id, "a.iso").await.unwrap();
    assert_eq!(
        file.digest,
        Some(depot_model::Sha256Digest::compute(b"hello"))
    );
    lib.check_item_sync(item.id).await.unwrap();
    // Evict: metadata stays, content and references go.
    lib.evict_item(item.id).await.unwrap();
    let evicted = lib.item(item.id).await.unwrap();
    assert!(!evicted.cached);
    assert!(
        lib.item_files(item.id)
            .await
            .unwrap()
            .iter()
            .all(|f| f.digest.is_none())
    );
    assert!(lib.store().blob_references().await.unwrap().is_empty());

    // Not on demand: a library sync downloads everything; evicting is refused.
    let immediate = subscribe(&lib, &tree, false).await;
    lib.sync_library(immediate).await.unwrap();
    let item = items(&lib, immediate).await.remove(0);
    assert!(item.cached);
    let err = lib.evict_item(item.id).await.unwrap_err();
    assert_eq!(err.code(), "INVALID_ELEMENT_CONFIGURATION", "{err}");
    let err = lib.evict_library(immediate).await.unwrap_err();
    assert_eq!(err.code(), "INVALID_ELEMENT_CONFIGURATION", "{err}");

    // The publisher deletes the item: the next item sync deletes it here.
    tree.write_items(&[]);
    std::fs::remove_file(tree.path("a/item.json")).unwrap();
    let outcome = lib.sync_item(item.id, false, false).await.unwrap();
    assert_eq!(outcome, ItemSyncOutcome::Deleted);
    assert!(lib.item(item.id).await.is_err());
}

async fn faults_leave_the_library_usable(lib: ContentLibrary) {
    let tree = Tree::serve().await;
    let a = tree.item("a1", "a", 1, &[("a.iso", b"hello")]);
    let b = tree.item("b1", "b", 1, &[("b.iso", b"world")]);
    tree.write_items(&[a.clone(), b.clone()]);
    tree.write_lib(2);
    let id = subscribe(&lib, &tree, false).await;
    lib.sync_library(id).await.unwrap();
    assert!(items(&lib, id).await.iter().all(|i| i.cached));

    // b's file is now shorter than item.json says: b keeps its old content.
    let mut b2 = b.clone();
    b2["version"] = "2".into();
    b2["files"][0]["etag"] = "changed".into();
    std::fs::write(tree.path("b/b.iso"), b"wor").unwrap();
    // a's new href leaves the library.
    let mut a2 = a.clone();
    a2["version"] = "2".into();
    a2["files"][0]["hrefs"] = serde_json::json!(["../../etc/passwd"]);
    tree.write_items(&[a2, b2]);
    tree.write_lib(3);
    let err = lib.sync_library(id).await.unwrap_err();
    assert!(matches!(err, LibraryError::SyncFailed(_)), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("2 of 2 items") && text.contains("refused"),
        "{text}"
    );
    let kept = items(&lib, id).await;
    assert!(kept.iter().all(|i| i.cached && i.size == 5), "{kept:?}");
    assert_eq!(
        lib.library(id).await.unwrap().source_version.as_deref(),
        Some("2")
    );

    // An absolute href to another host, and a hostile items.json.
    let mut a3 = a.clone();
    a3["version"] = "3".into();
    a3["files"][0]["hrefs"] = serde_json::json!(["http://evil.example.com/a.iso"]);
    tree.write_items(&[a3, b.clone()]);
    tree.write_lib(4);
    assert!(lib.sync_library(id).await.is_err());
    std::fs::write(tree.path("items.json"), "[".repeat(100_000)).unwrap();
    tree.write_lib(5);
    let err = lib.sync_library(id).await.unwrap_err();
    assert!(err.to_string().contains("items.json"), "{err}");
    assert_eq!(items(&lib, id).await.len(), 2, "nothing was deleted");

    // A 404 for one item.json: the other item syncs, none is deleted.
    let mut a4 = a.clone();
    a4["version"] = "4".into();
    a4.as_object_mut().unwrap().remove("files");
    std::fs::remove_file(tree.path("a/item.json")).unwrap();
    let mut b4 = tree.item("b1", "b", 4, &[("b.iso", b"world!")]);
    b4.as_object_mut().unwrap().remove("files");
    tree.write_items(&[a4, b4]);
    tree.write_lib(6);
    let err = lib.sync_library(id).await.unwrap_err();
    assert!(err.to_string().contains("1 of 2"), "{err}");
    let now = items(&lib, id).await;
    assert_eq!((now[0].size, now[1].size), (5, 6));
}

async fn subscriptions_are_checked_first(lib: ContentLibrary) {
    let tree = Tree::serve().await;
    let mut spec = NewSubscribedLibrary {
        name: Some("m".to_owned()),
        subscription: Some(SubscriptionSpec {
            url: Some(tree.url.replace("lib.json", "nope.json")),
            ..SubscriptionSpec::default()
        }),
        ..NewSubscribedLibrary::default()
    };
    let err = lib
        .create_subscribed_library("u", spec.clone(), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "RESOURCE_INACCESSIBLE", "{err}");
    spec.subscription = Some(SubscriptionSpec {
        url: Some("http://127.0.0.1:9/lib.json".to_owned()),
        ..SubscriptionSpec::default()
    });
    let err = lib
        .create_subscribed_library("u", spec.clone(), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "RESOURCE_INACCESSIBLE", "{err}");
    spec.subscription = Some(SubscriptionSpec {
        url: Some("ftp://x/lib.json".to_owned()),
        ..SubscriptionSpec::default()
    });
    let err = lib
        .create_subscribed_library("u", spec, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "INVALID_ARGUMENT", "{err}");
    assert!(lib.library_ids(None).await.unwrap().is_empty());

    // Local items are not subscribed items.
    let local = lib
        .create_local_library(
            "u",
            depot_library::NewLibrary {
                name: Some("l".to_owned()),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let item = lib
        .create_item(
            "u",
            depot_library::NewItem {
                library_id: Some(local),
                name: Some("i".to_owned()),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let err = lib.check_item_sync(item).await.unwrap_err();
    assert_eq!(err.code(), "INVALID_ELEMENT_TYPE");
    assert_eq!(
        err.message().id,
        "com.vmware.vdcs.cls-main.item_not_in_subscribed_library"
    );
    assert_eq!(err.message().positional_args(), [item.to_string()]);
}
