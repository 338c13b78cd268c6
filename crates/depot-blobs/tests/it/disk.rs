//! Read-only and full disks, on a tiny tmpfs. Needs root (to mount); skipped otherwise.

use std::path::Path;
use std::process::Command;

use depot_blobs::{BlobError, BlobStore, ErrorKind, Expected, FsBlobStore};
use tempfile::TempDir;

use crate::fixture::{assert_empty, data, put_bytes, read_all, tmp_files};

/// A tmpfs mounted on a temp dir; unmounted on drop.
struct Tmpfs {
    dir: TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. "64k"), or explains why the test is skipped.
    fn mount(test: &str, size: &str) -> Option<Self> {
        if !is_root() {
            println!("{test}: skipped, needs root to mount a tmpfs");
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let options = format!("size={size}");
        match run(
            "mount",
            &["-t", "tmpfs", "-o", &options, "tmpfs"],
            dir.path(),
        ) {
            Ok(()) => Some(Self { dir }),
            Err(why) => {
                // Root without CAP_SYS_ADMIN (an unprivileged container).
                println!("{test}: skipped, cannot mount a tmpfs: {why}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount_read_only(&self) {
        run("mount", &["-o", "remount,ro"], self.path()).expect("remount read-only");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        if let Err(why) = run("umount", &[], self.path()) {
            eprintln!("cannot unmount test tmpfs: {why}");
        }
    }
}

fn run(program: &str, args: &[&str], dir: &Path) -> Result<(), String> {
    let out = Command::new(program)
        .args(args)
        .arg(dir)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|uids| uids.split_whitespace().nth(1))
            == Some("0")
    })
}

#[tokio::test]
async fn read_only_disk_is_reported_clearly() {
    let Some(fs) = Tmpfs::mount("read_only_disk_is_reported_clearly", "64k") else {
        return;
    };
    let store = FsBlobStore::open(fs.path()).await.expect("open");
    store
        .check_writable()
        .await
        .expect("writable before remount");
    let info = put_bytes(&store, b"still readable", Expected::default())
        .await
        .expect("put");
    fs.remount_read_only();

    let err = store.check_writable().await.expect_err("read-only");
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(matches!(err, BlobError::NotWritable { .. }), "{err:?}");
    let tmp = fs.path().join("tmp");
    assert!(
        err.to_string().contains(&tmp.display().to_string()),
        "{err}"
    );
    let source = std::error::Error::source(&err).expect("source");
    assert!(source.to_string().contains("Read-only"), "{source}");

    let err = put_bytes(&store, b"new", Expected::default())
        .await
        .expect_err("put");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    let (reader, _) = store.open(&info.digest).await.expect("open");
    assert_eq!(read_all(reader).await, b"still readable");
    drop(store);
}

#[tokio::test]
async fn full_disk_fails_the_put_and_leaves_no_temp_file() {
    let Some(fs) = Tmpfs::mount("full_disk_fails_the_put_and_leaves_no_temp_file", "64k") else {
        return;
    };
    let store = FsBlobStore::open(fs.path()).await.expect("open");
    let err = put_bytes(&store, &data(1 << 20, 7), Expected::default())
        .await
        .expect_err("disk full");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    let source = std::error::Error::source(&err).expect("source");
    let source = source.downcast_ref::<std::io::Error>().expect("io error");
    assert_eq!(
        source.kind(),
        std::io::ErrorKind::StorageFull,
        "{err}: {source}"
    );
    assert_empty(fs.path(), &store).await;

    // The space came back with the temp file.
    store.check_writable().await.expect("writable again");
    put_bytes(&store, b"small", Expected::default())
        .await
        .expect("small put fits");
    assert!(tmp_files(fs.path()).is_empty());
}

#[tokio::test]
async fn capacity_is_the_size_of_the_disk_and_shrinks_with_puts() {
    let Some(fs) = Tmpfs::mount(
        "capacity_is_the_size_of_the_disk_and_shrinks_with_puts",
        "256k",
    ) else {
        return;
    };
    let store = FsBlobStore::open(fs.path()).await.expect("open");
    let before = store.capacity().await.expect("capacity").expect("known");
    assert_eq!(before.total, 256 * 1024, "{before:?}");
    assert!(before.free <= before.total, "{before:?}");
    put_bytes(&store, &data(64 * 1024, 5), Expected::default())
        .await
        .expect("put");
    let after = store.capacity().await.expect("capacity").expect("known");
    assert_eq!(after.total, before.total);
    assert!(
        after.free + 64 * 1024 <= before.free,
        "{before:?} then {after:?}"
    );
    drop(store);
}

#[tokio::test]
async fn full_disk_fails_a_staged_write_and_leaves_no_temp_file() {
    let Some(fs) = Tmpfs::mount("full_disk_fails_a_staged_write", "64k") else {
        return;
    };
    let store = FsBlobStore::open(fs.path()).await.expect("open");
    let mut staged = store.stage(Expected::default(), None).await.expect("stage");
    let bytes = data(1 << 20, 8);
    let mut failure = None;
    for chunk in bytes.chunks(64 * 1024) {
        if let Err(e) = staged.write(chunk).await {
            failure = Some(e);
            break;
        }
    }
    let err = match failure {
        Some(err) => {
            // Dropping the failed write removes its temp file and frees the space.
            drop(staged);
            err
        }
        None => staged.commit().await.expect_err("disk full at commit"),
    };
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    let source = std::error::Error::source(&err).expect("source");
    let source = source.downcast_ref::<std::io::Error>().expect("io error");
    assert_eq!(source.kind(), std::io::ErrorKind::StorageFull, "{err}");
    assert_empty(fs.path(), &store).await;
    store.check_writable().await.expect("writable again");
    drop(store);
}
