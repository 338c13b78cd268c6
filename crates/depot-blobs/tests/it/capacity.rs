//! The file-system store's capacity is its file system's, as `stat -f` reports it.

use std::process::Command;

use depot_blobs::BlobStore;

use crate::fixture::new_store;

/// `stat -f` of `path`: (total bytes, bytes available to unprivileged users).
fn stat_f(path: &std::path::Path) -> (u64, u64) {
    let out = Command::new("stat")
        .args(["-f", "--format=%S %b %a"])
        .arg(path)
        .output()
        .expect("run stat -f");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let n: Vec<u64> = text
        .split_whitespace()
        .map(|v| v.parse().expect("a number"))
        .collect();
    (n[0] * n[1], n[0] * n[2])
}

#[tokio::test]
async fn capacity_is_the_file_system_s() {
    let (dir, store) = new_store().await;
    let c = store
        .capacity()
        .await
        .expect("capacity")
        .expect("a file system has a size");
    let (total, free) = stat_f(dir.path());
    assert_eq!(c.total, total);
    // Other processes write to the same file system meanwhile: within 64 MiB.
    assert!(c.free.abs_diff(free) < 64 << 20, "{c:?} vs stat -f {free}");
    assert!(c.free > 0 && c.free <= c.total, "{c:?}");
}

#[tokio::test]
async fn capacity_of_a_missing_root_is_an_error() {
    let (dir, store) = new_store().await;
    std::fs::remove_dir_all(dir.path()).expect("remove the store's root");
    let err = store.capacity().await.expect_err("no root");
    assert_eq!(err.kind(), depot_blobs::ErrorKind::Unavailable, "{err}");
    assert!(err.to_string().contains("statvfs"), "{err}");
}
