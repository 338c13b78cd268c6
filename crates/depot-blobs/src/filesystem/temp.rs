//! Temporary files in `<root>/tmp/`: naming, clean-up on failure, clean-up after a crash,
//! and the write probe.
//!
//! Every temp file name starts with the prefix of the store instance that made it
//! (`<pid>-<64 random bits>-`). At open, a store removes every file in `tmp/` that does not
//! carry its own (fresh) prefix: those were left by an earlier process that crashed. This is
//! safe because the caller locks the data directory against a second server, and it means
//! a temp file is never removed while its writer is alive.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::AsyncWriteExt as _;

use crate::error::BlobError;

/// Hands out unique temp file names carrying this store instance's prefix.
#[derive(Debug)]
pub(super) struct TempNamer {
    prefix: String,
    counter: AtomicU64,
}

impl TempNamer {
    /// A namer with a fresh prefix (process id plus 64 random bits).
    pub(super) fn new() -> Result<Self, BlobError> {
        let random = getrandom::u64().map_err(BlobError::Random)?;
        Ok(Self {
            prefix: format!("{}-{random:016x}-", std::process::id()),
            counter: AtomicU64::new(0),
        })
    }

    /// A new, unique name such as `1234-0123456789abcdef-put-7`.
    pub(super) fn next(&self, kind: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{}{kind}-{n}", self.prefix)
    }

    /// Whether a file name was handed out by this instance.
    pub(super) fn owns(&self, name: &str) -> bool {
        name.starts_with(&self.prefix)
    }
}

/// A temp file path that is removed when this guard is dropped, unless it was
/// [`disarm`](Self::disarm)ed (after the file was renamed into place).
///
/// Dropping is the safety net for cancellation (a `put` future dropped mid-stream) and
/// panics; the normal error path calls [`discard`](Self::discard) so the unlink runs off the
/// async executor.
#[derive(Debug)]
pub(super) struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    /// Creates a new, empty temp file (failing if the name is taken).
    pub(super) async fn create(path: PathBuf) -> Result<(Self, tokio::fs::File), BlobError> {
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .map_err(BlobError::io("create", &path))?;
        Ok((Self { path, armed: true }, file))
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps the file: it has been renamed away.
    pub(super) fn disarm(mut self) {
        self.armed = false;
    }

    /// Removes the file now, on the blocking pool.
    pub(super) async fn discard(mut self) {
        let path = std::mem::take(&mut self.path);
        self.armed = false;
        let removed = tokio::task::spawn_blocking(move || remove_logged(&path)).await;
        if let Err(e) = removed {
            tracing::warn!(error = %e, "temp file removal task failed");
        }
    }

    /// Removes the file now, on the current (blocking) thread.
    pub(super) fn discard_blocking(mut self) {
        self.armed = false;
        remove_logged(&self.path);
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            // A blocking unlink on whatever thread drops us: rare (cancellation, panic)
            // and short, and leaving the file behind would be worse.
            remove_logged(&self.path);
        }
    }
}

fn remove_logged(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(path = %path.display(), error = %e, "cannot remove temp file"),
    }
}

/// Removes every file in `tmp` that `namer` did not hand out; returns how many. Blocking.
pub(super) fn remove_stale(tmp: &Path, namer: &TempNamer) -> Result<u64, BlobError> {
    let mut removed = 0;
    for entry in std::fs::read_dir(tmp).map_err(BlobError::io("list", tmp))? {
        let entry = entry.map_err(BlobError::io("list", tmp))?;
        let path = entry.path();
        let is_dir = entry
            .file_type()
            .map_err(BlobError::io("stat", &path))?
            .is_dir();
        if is_dir || entry.file_name().to_str().is_some_and(|n| namer.owns(n)) {
            if is_dir {
                tracing::warn!(path = %path.display(), "unexpected directory in blob tmp dir");
            }
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(BlobError::io("remove", &path)(e)),
        }
    }
    Ok(removed)
}

/// Writes, syncs and removes a small probe file in `tmp`.
pub(super) async fn probe(tmp: &Path, namer: &TempNamer) -> Result<(), BlobError> {
    let not_writable = |source| BlobError::NotWritable {
        path: tmp.to_path_buf(),
        source,
    };
    let path = tmp.join(namer.next("probe"));
    let (guard, mut file) = TempFile::create(path.clone()).await.map_err(|e| match e {
        BlobError::Io { source, .. } => not_writable(source),
        other => other,
    })?;
    let written = async {
        file.write_all(b"depot-blobs write probe\n").await?;
        file.flush().await?;
        file.sync_all().await
    }
    .await;
    drop(file);
    let removed = tokio::fs::remove_file(&path).await;
    guard.disarm();
    written.map_err(not_writable)?;
    // A file system that takes writes but not unlinks is not healthy either.
    removed.map_err(not_writable)
}

/// Writes a file synchronously; test fixture for stale-file clean-up.
#[cfg(test)]
fn write_file(path: &Path) {
    use std::io::Write as _;
    let mut file = std::fs::File::create(path).expect("create test file");
    file.write_all(b"x").expect("write test file");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_owned() {
        let a = TempNamer::new().expect("namer");
        let b = TempNamer::new().expect("namer");
        let (a1, a2) = (a.next("put"), a.next("put"));
        assert_ne!(a1, a2);
        assert!(a.owns(&a1) && a.owns(&a2));
        assert!(!b.owns(&a1));
        assert!(a1.starts_with(&format!("{}-", std::process::id())));
    }

    #[test]
    fn remove_stale_keeps_own_files_and_directories() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ours = TempNamer::new().expect("namer");
        let theirs = TempNamer::new().expect("namer");
        let own = dir.path().join(ours.next("put"));
        write_file(&own);
        write_file(&dir.path().join(theirs.next("put")));
        write_file(&dir.path().join("junk"));
        std::fs::create_dir(dir.path().join("subdir")).expect("mkdir");

        assert_eq!(remove_stale(dir.path(), &ours).expect("clean"), 2);
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("read")
            .map(|e| e.expect("entry").path())
            .collect();
        left.sort();
        let mut want = vec![own, dir.path().join("subdir")];
        want.sort();
        assert_eq!(left, want);
    }

    #[test]
    fn dropping_an_armed_guard_removes_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t");
        write_file(&path);
        drop(TempFile {
            path: path.clone(),
            armed: true,
        });
        assert!(!path.exists());

        write_file(&path);
        TempFile {
            path: path.clone(),
            armed: true,
        }
        .disarm();
        assert!(path.exists());
    }

    #[tokio::test]
    async fn probe_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let namer = TempNamer::new().expect("namer");
        probe(dir.path(), &namer).await.expect("probe");
        assert_eq!(std::fs::read_dir(dir.path()).expect("read").count(), 0);

        let err = probe(&dir.path().join("missing"), &namer)
            .await
            .expect_err("missing dir");
        assert!(matches!(err, BlobError::NotWritable { .. }), "{err:?}");
    }
}
