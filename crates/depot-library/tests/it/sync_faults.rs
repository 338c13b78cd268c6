//! Subscription syncs through the download engine against a loopback publisher that
//! fails on purpose: each fault leaves the library consistent (no item `cached` without
//! its content, the previous state usable, no partial blob left behind).

use std::path::Path;
use std::time::Duration;

use depot_library::{
    ContentLibrary, ItemSyncOutcome, LibraryConfig, NewSubscribedLibrary, ProbeStatus,
    SubscriptionSpec,
};
use depot_model::{LibraryId, Sha256Digest};
use depot_upstream::DownloadProgress;
use serde_json::Value;
use tokio::sync::watch;

use crate::backends::both_with_blobs;
use crate::vcsp_tree::{Fault, Tree};

both_with_blobs! {
    publisher_failures_keep_the_previous_state =>
        sqlite_publisher_failures_keep_the_previous_state,
        postgres_publisher_failures_keep_the_previous_state;
    files_retry_and_resume_with_range =>
        sqlite_files_retry_and_resume_with_range, postgres_files_retry_and_resume_with_range;
    bad_content_is_never_cached =>
        sqlite_bad_content_is_never_cached, postgres_bad_content_is_never_cached;
    canceled_syncs_leave_nothing_partial =>
        sqlite_canceled_syncs_leave_nothing_partial, postgres_canceled_syncs_leave_nothing_partial;
    items_are_stored_while_a_slow_file_downloads =>
        sqlite_items_are_stored_while_a_slow_file_downloads,
        postgres_items_are_stored_while_a_slow_file_downloads;
    optional_files_and_known_content =>
        sqlite_optional_files_and_known_content, postgres_optional_files_and_known_content;
    full_disks_fail_the_sync_cleanly =>
        sqlite_full_disks_fail_the_sync_cleanly, postgres_full_disks_fail_the_sync_cleanly;
    probes_report_the_certificate =>
        sqlite_probes_report_the_certificate, postgres_probes_report_the_certificate;
}

async fn subscribe(lib: &ContentLibrary, url: &str, thumbprint: Option<String>) -> LibraryId {
    let spec = NewSubscribedLibrary {
        name: Some(format!("mirror-{}", uuid::Uuid::new_v4())),
        subscription: Some(SubscriptionSpec {
            url: Some(url.to_owned()),
            on_demand: Some(false),
            ssl_thumbprint: thumbprint,
            ..SubscriptionSpec::default()
        }),
        ..NewSubscribedLibrary::default()
    };
    lib.create_subscribed_library("u", spec, None)
        .await
        .unwrap()
}

/// Content of `len` bytes that differs per `seed`.
fn content(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from(i % 251).unwrap() ^ seed)
        .collect()
}

/// Asserts the library's invariants: every cached item has the content of each of its
/// required files in the store with the right size, and no staged write is left.
async fn assert_consistent(lib: &ContentLibrary, id: LibraryId, blobs: &Path) {
    for item_id in lib.item_ids(id).await.unwrap() {
        let item = lib.item(item_id).await.unwrap();
        for file in lib.item_files(item_id).await.unwrap() {
            if let Some(digest) = file.digest {
                let size = lib.blobs().stat(&digest).await.unwrap();
                assert_eq!(size, Some(file.size), "{} of {}", file.name, item.name);
            } else {
                assert!(
                    !item.cached || file.optional,
                    "{} is cached without {}",
                    item.name,
                    file.name
                );
            }
        }
    }
    let staged: Vec<_> = std::fs::read_dir(blobs.join("tmp"))
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(staged.is_empty(), "partial blobs left: {staged:?}");
}

async fn cached(lib: &ContentLibrary, id: LibraryId) -> Vec<(String, bool)> {
    let mut all = Vec::new();
    for item in lib.item_ids(id).await.unwrap() {
        let item = lib.item(item).await.unwrap();
        all.push((item.name, item.cached));
    }
    all.sort();
    all
}

fn owned(pairs: &[(&str, bool)]) -> Vec<(String, bool)> {
    pairs.iter().map(|(n, c)| ((*n).to_owned(), *c)).collect()
}

async fn publisher_failures_keep_the_previous_state(
    lib: ContentLibrary,
    blobs: std::path::PathBuf,
) {
    let tree = Tree::serve().await;
    let a = tree.item("a1", "a", 1, &[("a.iso", &content(1, 5000))]);
    tree.write_items(std::slice::from_ref(&a));
    tree.write_lib(2);
    let id = subscribe(&lib, &tree.url, None).await;
    lib.sync_library(id).await.unwrap();
    let synced = owned(&[("a", true)]);
    assert_eq!(cached(&lib, id).await, synced);

    // A new item b arrives, but: 401 on lib.json, 404 on items.json, a 404 item.json,
    // a 404 file. Each sync fails with why; a stays as it was; b is never cached.
    let b = tree.item("b1", "b", 1, &[("b.iso", &content(2, 3000))]);
    let mut b_listed = b.clone();
    b_listed.as_object_mut().unwrap().remove("files");
    tree.write_items(&[a.clone(), b_listed]);
    tree.write_lib(3);
    for (path, fault, says) in [
        ("lib.json", Fault::Status(401), "401"),
        ("items.json", Fault::Status(404), "items.json"),
        ("b/item.json", Fault::Status(404), "item.json is missing"),
        ("b/b.iso", Fault::Status(404), "b.iso"),
        ("b/b.iso", Fault::Status(503), "503"),
    ] {
        tree.fault_always(path, fault);
        let err = lib.sync_library(id).await.unwrap_err();
        assert!(err.to_string().contains(says), "{path}: {err}");
        tree.heal();
        assert_eq!(cached(&lib, id).await, synced, "{path}");
        assert_consistent(&lib, id, &blobs).await;
        let library = lib.library(id).await.unwrap();
        assert_eq!(library.source_version.as_deref(), Some("2"), "{path}");
    }

    // The publisher deletes b between items.json and its item.json: b is not added,
    // nothing is deleted; an item sync of a whose item.json is gone but still listed
    // fails and keeps it.
    std::fs::remove_file(tree.path("b/item.json")).unwrap();
    assert!(lib.sync_library(id).await.is_err());
    assert_eq!(cached(&lib, id).await, synced);

    // Unreachable: the sync fails, the library is as it was.
    tree.stop();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let err = lib.sync_library(id).await.unwrap_err();
    assert!(err.to_string().contains("lib.json"), "{err}");
    assert_eq!(cached(&lib, id).await, synced);
    assert_consistent(&lib, id, &blobs).await;
}

async fn files_retry_and_resume_with_range(lib: ContentLibrary, blobs: std::path::PathBuf) {
    let tree = Tree::serve().await;
    let big = content(3, 300_000);
    let a = tree.item("a1", "a", 1, &[("a.iso", &big)]);
    let b = tree.item("b1", "b", 1, &[("b.iso", &content(4, 1000))]);
    tree.write_items(&[a, b]);
    tree.write_lib(2);
    let id = subscribe(&lib, &tree.url, None).await;
    // a's connection breaks after 100,000 bytes; b answers 500 once.
    tree.fault_once("a/a.iso", Fault::Cut(100_000));
    tree.fault_once("b/b.iso", Fault::Status(500));
    let (progress, watcher) = watch::channel(DownloadProgress::default());
    let report = lib.sync_library_reporting(id, &progress).await.unwrap();
    assert_eq!(report.added, 2);
    assert_eq!(cached(&lib, id).await, owned(&[("a", true), ("b", true)]));

    let asked = tree.requests("a/a.iso");
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert_eq!(asked[0].range, None);
    let resumed_at: u64 = asked[1]
        .range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes=")?.strip_suffix('-')?.parse().ok())
        .expect("the second request asks for the rest");
    assert!(resumed_at > 0 && resumed_at <= 100_000, "{asked:?}");
    assert!(asked[1].if_range.is_some(), "{asked:?}");
    assert_eq!(tree.requests("b/b.iso").len(), 2);
    let item = lib.item_ids(id).await.unwrap();
    let mut digests = Vec::new();
    for i in item {
        digests.extend(
            lib.item_files(i)
                .await
                .unwrap()
                .into_iter()
                .map(|f| f.digest),
        );
    }
    assert!(digests.contains(&Some(Sha256Digest::compute(&big))));
    let done = *watcher.borrow();
    assert_eq!((done.bytes_done, done.bytes_total), (301_000, 301_000));
    assert_eq!((done.files_done, done.files_failed), (2, 0));
    assert_consistent(&lib, id, &blobs).await;
}

async fn bad_content_is_never_cached(lib: ContentLibrary, blobs: std::path::PathBuf) {
    let tree = Tree::serve().await;
    let files: [(&str, &[u8]); 1] = [("a.iso", &content(5, 4000))];
    let a = tree.item("a1", "a", 1, &files);
    let b = tree.item("b1", "b", 1, &[("b.iso", &content(6, 4000))]);
    let c = tree.item("c1", "c", 1, &[("c.iso", &content(7, 4000))]);
    // a: cut every time (truncated); b: item.json says a bigger size; c: its sha256
    // etag names other content.
    tree.fault_always("a/a.iso", Fault::Cut(1000));
    let mut b = b;
    b["files"][0]["size"] = 4001.into();
    let mut c = c;
    c["files"][0]["etag"] = Sha256Digest::compute(b"other").to_string().into();
    tree.write_items(&[a, b, c]);
    tree.write_lib(2);
    let id = subscribe(&lib, &tree.url, None).await;
    let err = lib.sync_library(id).await.unwrap_err().to_string();
    assert!(err.contains("3 of 3 items"), "{err}");
    assert!(err.contains("cut off"), "{err}");
    assert!(err.contains("4001"), "{err}");
    assert!(err.contains("expected sha256:"), "{err}");
    assert!(
        cached(&lib, id).await.is_empty(),
        "nothing half-synced is stored"
    );
    assert_consistent(&lib, id, &blobs).await;
    let kept = lib.blobs().list().await.unwrap();
    assert!(
        kept.iter().all(|b| b.size < 1000),
        "only the documents: {kept:?}"
    );
}

async fn canceled_syncs_leave_nothing_partial(lib: ContentLibrary, blobs: std::path::PathBuf) {
    let tree = Tree::serve().await;
    let a = tree.item("a1", "a", 1, &[("a.iso", &content(8, 200_000))]);
    tree.write_items(&[a]);
    tree.write_lib(2);
    let id = subscribe(&lib, &tree.url, None).await;
    // The file arrives in part, then the connection hangs: the sync is dropped.
    tree.fault_once("a/a.iso", Fault::Cut(50_000));
    tree.fault_always("a/a.iso", Fault::Slow(Duration::from_secs(30)));
    let (progress, watcher) = watch::channel(DownloadProgress::default());
    let sync = lib.sync_library_reporting(id, &progress);
    assert!(
        tokio::time::timeout(Duration::from_secs(2), sync)
            .await
            .is_err()
    );
    assert_eq!(watcher.borrow().bytes_total, 200_000);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(cached(&lib, id).await.is_empty());
    assert_consistent(&lib, id, &blobs).await;
    // The next sync gets it all.
    tree.heal();
    lib.sync_library(id).await.unwrap();
    assert_eq!(cached(&lib, id).await, owned(&[("a", true)]));
    assert_consistent(&lib, id, &blobs).await;
}

async fn items_are_stored_while_a_slow_file_downloads(
    lib: ContentLibrary,
    blobs: std::path::PathBuf,
) {
    let tree = Tree::serve().await;
    let a = tree.item("a1", "a", 1, &[("a.iso", &content(1, 100_000))]);
    let b = tree.item("b1", "b", 1, &[("b.iso", &content(2, 100_000))]);
    tree.write_items(&[b, a]);
    tree.write_lib(2);
    let id = subscribe(&lib, &tree.url, None).await;
    tree.fault_always("b/b.iso", Fault::Slow(Duration::from_millis(1500)));
    let sync = lib.sync_library(id);
    tokio::pin!(sync);
    // Item a is stored, complete and cached, while b's file is still on its way.
    let a_stored = async {
        while cached(&lib, id).await != owned(&[("a", true)]) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::select! {
        done = &mut sync => panic!("the sync ended before it stored a: {done:?}"),
        () = a_stored => {}
    }
    sync.await.unwrap();
    assert_eq!(cached(&lib, id).await, owned(&[("a", true), ("b", true)]));
    assert_consistent(&lib, id, &blobs).await;
}

async fn optional_files_and_known_content(lib: ContentLibrary, blobs: std::path::PathBuf) {
    let tree = Tree::serve().await;
    let mut a = tree.item(
        "a1",
        "a",
        1,
        &[("a.ovf", &content(9, 700)), ("a.mf", &content(10, 70))],
    );
    let mf = a["files"]
        .as_array()
        .unwrap()
        .iter()
        .position(|f| f["name"] == "a.mf")
        .unwrap();
    a["files"][mf]["optional"] = Value::Bool(true);
    tree.write_item("a", &a);
    tree.write_items(&[a]);
    tree.write_lib(2);
    let on_demand = SubscriptionSpec {
        url: Some(tree.url.clone()),
        on_demand: Some(true),
        ..SubscriptionSpec::default()
    };
    let spec = NewSubscribedLibrary {
        name: Some("od".to_owned()),
        subscription: Some(on_demand),
        ..NewSubscribedLibrary::default()
    };
    let id = lib
        .create_subscribed_library("u", spec, None)
        .await
        .unwrap();
    lib.sync_library(id).await.unwrap();
    let item = lib.item_ids(id).await.unwrap()[0];
    let optional = |files: &[depot_model::ItemFile]| {
        files
            .iter()
            .map(|f| (f.name.clone(), f.optional, f.digest.is_some()))
            .collect::<Vec<_>>()
    };
    let files = lib.item_files(item).await.unwrap();
    let expect = [("a.mf", true, false), ("a.ovf", false, false)];
    let expect: Vec<_> = expect
        .iter()
        .map(|(n, o, d)| ((*n).to_owned(), *o, *d))
        .collect();
    assert_eq!(optional(&files), expect, "the optional flag is stored");

    let outcome = lib.sync_item(item, true, false).await.unwrap();
    assert_eq!(outcome, ItemSyncOutcome::Synced { cached: true });
    let files = lib.item_files(item).await.unwrap();
    assert_eq!(optional(&files)[0], ("a.mf".to_owned(), true, false));
    assert!(tree.requests("a/a.mf").is_empty());
    lib.sync_item(item, true, true).await.unwrap();
    let files = lib.item_files(item).await.unwrap();
    assert!(files.iter().all(|f| f.digest.is_some()), "{files:?}");
    assert_eq!(tree.requests("a/a.mf").len(), 1);

    // A second library of the same publisher: content already in the store (named by
    // the SHA-256 etags) is not downloaded again.
    let before = tree.requests("a/a.ovf").len();
    let again = subscribe(&lib, &tree.url, None).await;
    lib.sync_library(again).await.unwrap();
    assert_eq!(cached(&lib, again).await, owned(&[("a", true)]));
    assert_eq!(tree.requests("a/a.ovf").len(), before);
    assert_consistent(&lib, again, &blobs).await;
}

async fn full_disks_fail_the_sync_cleanly(lib: ContentLibrary, _blobs: std::path::PathBuf) {
    let Some(tmpfs) = Tmpfs::mount("full_disks_fail_the_sync_cleanly") else {
        return;
    };
    let small =
        crate::backends::service_at(lib.store().clone(), tmpfs.path(), LibraryConfig::default())
            .await;
    let tree = Tree::serve().await;
    let a = tree.item("a1", "a", 1, &[("a.iso", &content(11, 30_000))]);
    let b = tree.item("b1", "b", 1, &[("b.iso", &content(12, 300_000))]);
    tree.write_items(&[a, b]);
    tree.write_lib(2);
    let id = subscribe(&small, &tree.url, None).await;
    let err = small.sync_library(id).await.unwrap_err().to_string();
    assert!(
        err.contains("1 of 2 items") && err.contains("b.iso"),
        "{err}"
    );
    assert!(err.contains("not enough space"), "{err}");
    assert_eq!(cached(&small, id).await, owned(&[("a", true)]));
    assert_consistent(&small, id, tmpfs.path()).await;
}

async fn probes_report_the_certificate(lib: ContentLibrary, _blobs: std::path::PathBuf) {
    let (tree, cert) = Tree::serve_https().await;
    let spec = |thumbprint: Option<String>| SubscriptionSpec {
        url: Some(tree.url.clone()),
        ssl_thumbprint: thumbprint,
        ..SubscriptionSpec::default()
    };
    let untrusted = lib.probe(spec(None)).await;
    assert_eq!(
        untrusted.status,
        ProbeStatus::CertificateError,
        "{untrusted:?}"
    );
    let thumbprint = untrusted.ssl_thumbprint.clone().expect("thumbprint");
    assert_eq!(thumbprint.len(), 59, "SHA-1 as AA:BB:…: {thumbprint}");
    let pem = untrusted.ssl_certificate.expect("certificate");
    let bare = |pem: &str| pem.split_whitespace().collect::<String>();
    assert_eq!(bare(&pem), bare(&cert), "the certificate it presented");
    // Accepting it: probe and create with the thumbprint.
    let pinned = lib.probe(spec(Some(thumbprint.clone()))).await;
    assert_eq!(pinned.status, ProbeStatus::Success, "{pinned:?}");
    assert_eq!(pinned.ssl_thumbprint.as_deref(), Some(thumbprint.as_str()));
    let id = subscribe(&lib, &tree.url, Some(thumbprint)).await;
    lib.sync_library(id).await.unwrap();
    // Another thumbprint is a certificate error too.
    let other = "AA:".repeat(19) + "AA";
    let wrong = lib.probe(spec(Some(other))).await;
    assert_eq!(wrong.status, ProbeStatus::CertificateError, "{wrong:?}");
}

/// A 64 KiB tmpfs on a temp dir (root only; the test is skipped otherwise).
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(test: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(Self(dir)),
            other => {
                println!("{test}: skipped, cannot mount a tmpfs (needs root): {other:?}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.0.path())
            .output();
    }
}
