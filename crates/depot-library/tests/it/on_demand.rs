//! Content on first use: an uncached file of an on-demand subscribed item is fetched
//! from the publisher once however many ask at once, stored atomically, and served;
//! a download session prepares it through PREPARING to PREPARED, or ERROR.

use std::time::Duration;

use depot_library::{ContentLibrary, NewSubscribedLibrary, SubscriptionSpec};
use depot_model::{DomainError, DownloadFile, DownloadFileStatus, ItemId, Sha256Digest};

use crate::backends::both;
use crate::vcsp_tree::Tree;

both! {
    concurrent_requests_fetch_once =>
        sqlite_concurrent_requests_fetch_once, postgres_concurrent_requests_fetch_once;
    download_sessions_prepare_after_the_fetch =>
        sqlite_download_sessions_prepare_after_the_fetch,
        postgres_download_sessions_prepare_after_the_fetch;
}

/// An on-demand library subscribed to `tree` and synced (metadata only); its one item.
async fn on_demand_item(lib: &ContentLibrary, tree: &Tree) -> ItemId {
    let spec = NewSubscribedLibrary {
        name: Some("on-demand".to_owned()),
        subscription: Some(SubscriptionSpec {
            url: Some(tree.url.clone()),
            on_demand: Some(true),
            ..SubscriptionSpec::default()
        }),
        ..NewSubscribedLibrary::default()
    };
    let id = lib
        .create_subscribed_library("u", spec, None)
        .await
        .unwrap();
    lib.sync_library(id).await.unwrap();
    let ids = lib.item_ids(id).await.unwrap();
    assert_eq!(ids.len(), 1);
    assert!(!lib.item(ids[0]).await.unwrap().cached, "metadata only");
    ids[0]
}

async fn concurrent_requests_fetch_once(lib: ContentLibrary) {
    let tree = Tree::serve().await;
    let a = tree.item("a1", "a", 1, &[("a.iso", b"hello"), ("a.txt", b"x")]);
    tree.write_items(&[a]);
    tree.write_lib(2);
    let item = on_demand_item(&lib, &tree).await;

    tree.slow_down(Duration::from_millis(300));
    let mut asks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let lib = lib.clone();
        asks.spawn(async move { lib.cached_file(item, "a.iso").await });
    }
    while let Some(file) = asks.join_next().await {
        let file = file.unwrap().unwrap();
        assert_eq!(file.digest, Some(Sha256Digest::compute(b"hello")));
    }
    assert_eq!(tree.hits("a/a.iso"), 1, "one fetch for eight requests");
    assert!(
        !lib.item(item).await.unwrap().cached,
        "a.txt is not held yet"
    );

    // Held now: no second fetch. The last file makes the item cached.
    lib.cached_file(item, "a.iso").await.unwrap();
    assert_eq!(tree.hits("a/a.iso"), 1);
    tree.slow_down(Duration::ZERO);
    lib.cached_file(item, "a.txt").await.unwrap();
    assert!(lib.item(item).await.unwrap().cached);
    let mut referenced = lib.store().blob_references().await.unwrap();
    referenced.sort();
    let mut expected = vec![Sha256Digest::compute(b"hello"), Sha256Digest::compute(b"x")];
    expected.sort();
    assert_eq!(referenced, expected);

    // A file the item does not have is NotFound; a failed fetch stores nothing.
    let err = lib.cached_file(item, "nope").await.unwrap_err();
    assert_eq!(err.code(), "NOT_FOUND", "{err}");
    lib.evict_item(item).await.unwrap();
    std::fs::write(tree.path("a/a.iso"), b"hellO").unwrap();
    let err = lib.cached_file(item, "a.iso").await.unwrap_err();
    assert!(err.to_string().contains("etag says"), "{err}");
    let file = lib.item_file(item, "a.iso").await.unwrap();
    assert_eq!(file.digest, None);
    assert!(!lib.item(item).await.unwrap().cached);
}

/// The session's file `name` once it left PREPARING.
async fn settled(lib: &ContentLibrary, session: &str, name: &str) -> DownloadFile {
    for _ in 0..250 {
        let file = lib.download_file(session, name).await.unwrap();
        if file.status != DownloadFileStatus::Preparing {
            return file;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{name} stayed PREPARING");
}

async fn download_sessions_prepare_after_the_fetch(lib: ContentLibrary) {
    let tree = Tree::serve().await;
    let a = tree.item("a1", "a", 1, &[("a.iso", b"hello")]);
    tree.write_items(&[a]);
    tree.write_lib(2);
    let item = on_demand_item(&lib, &tree).await;
    let session = lib
        .create_download_session(&item.to_string(), "u", None)
        .await
        .unwrap()
        .to_string();

    tree.slow_down(Duration::from_millis(200));
    let preparing = lib.prepare_download_file(&session, "a.iso").await.unwrap();
    assert_eq!(preparing.status, DownloadFileStatus::Preparing);
    assert!(
        lib.served_file(&preparing.download_token, "a.iso")
            .await
            .is_err(),
        "nothing is served while it is fetched"
    );
    let prepared = settled(&lib, &session, "a.iso").await;
    assert_eq!(
        prepared.status,
        DownloadFileStatus::Prepared,
        "{prepared:?}"
    );
    assert_eq!(prepared.digest, Some(Sha256Digest::compute(b"hello")));
    let served = lib
        .served_file(&prepared.download_token, "a.iso")
        .await
        .unwrap();
    assert_eq!(served.file.digest, prepared.digest);
    assert!(lib.item(item).await.unwrap().cached);
    assert_eq!(tree.hits("a/a.iso"), 1);

    // The publisher lost the file: ERROR with why, nothing cached.
    tree.slow_down(Duration::ZERO);
    lib.evict_item(item).await.unwrap();
    std::fs::remove_file(tree.path("a/a.iso")).unwrap();
    let again = lib.prepare_download_file(&session, "a.iso").await.unwrap();
    assert_eq!(again.status, DownloadFileStatus::Preparing);
    let failed = settled(&lib, &session, "a.iso").await;
    assert_eq!(failed.status, DownloadFileStatus::Error, "{failed:?}");
    let why = failed.error_message.unwrap().default;
    assert!(why.contains("could not be fetched"), "{why}");
    assert!(!lib.item(item).await.unwrap().cached);
    assert!(
        lib.served_file(&failed.download_token, "a.iso")
            .await
            .is_err()
    );
}
