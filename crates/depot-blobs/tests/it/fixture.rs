//! Shared set-up: a store in a temp dir, test data, readers with controlled pacing.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use depot_blobs::{BlobInfo, BlobReader, BlobStore, Expected, FsBlobStore, Sha256Digest};
use tempfile::TempDir;
use tokio::io::{AsyncRead, AsyncReadExt as _, ReadBuf};

/// A fresh store in a fresh temp dir (keep the `TempDir` alive).
pub async fn new_store() -> (TempDir, FsBlobStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = FsBlobStore::open(dir.path()).await.expect("open store");
    (dir, store)
}

/// `len` bytes of a deterministic, non-repeating-ish pattern.
pub fn data(len: usize, seed: u8) -> Vec<u8> {
    let mut x = u32::from(seed).wrapping_mul(2_654_435_761) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// Puts an in-memory byte slice.
pub async fn put_bytes(
    store: &dyn BlobStore,
    bytes: &[u8],
    expect: Expected,
) -> Result<BlobInfo, depot_blobs::BlobError> {
    let mut reader = bytes;
    store.put(&mut reader, expect).await
}

/// Reads a blob reader to the end.
pub async fn read_all(mut reader: BlobReader) -> Vec<u8> {
    let mut out = Vec::new();
    reader.read_to_end(&mut out).await.expect("read blob");
    out
}

/// The files currently in `<root>/tmp`.
pub fn tmp_files(root: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(root.join("tmp"))
        .expect("read tmp dir")
        .map(|e| e.expect("tmp entry").path())
        .collect()
}

/// Where the file-system store keeps a blob.
pub fn blob_path(root: &Path, digest: &Sha256Digest) -> PathBuf {
    let hex = digest.to_string();
    root.join("sha256").join(&hex[..2]).join(hex)
}

/// Sets a file's mtime to `age` ago.
pub fn set_age(path: &Path, age: Duration) {
    let file = std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open for set_modified");
    file.set_modified(SystemTime::now() - age)
        .expect("set_modified");
}

/// Asserts nothing is visible in the store and nothing is left in `tmp/`.
pub async fn assert_empty(root: &Path, store: &dyn BlobStore) {
    assert_eq!(store.list().await.expect("list"), Vec::new());
    assert_eq!(store.usage().await.expect("usage"), 0);
    assert_eq!(tmp_files(root), Vec::<PathBuf>::new());
}

/// A file in `<root>/tmp` that has data in it, if any.
pub fn temp_with_data(root: &Path) -> Option<PathBuf> {
    std::fs::read_dir(root.join("tmp"))
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
}

/// Polls until `<root>/tmp` holds a file with data in it; returns that file.
pub async fn wait_for_temp_data(root: &Path) -> PathBuf {
    for _ in 0..6000 {
        if let Some(path) = temp_with_data(root) {
            return path;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no temp file with data appeared in {}", root.display());
}

/// Serves bytes in pieces of at most `piece` bytes per read.
pub struct Pieces {
    data: Vec<u8>,
    pos: usize,
    piece: usize,
}

impl Pieces {
    pub fn new(data: Vec<u8>, piece: usize) -> Self {
        Self {
            data,
            pos: 0,
            piece,
        }
    }
}

impl AsyncRead for Pieces {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let end = self
            .data
            .len()
            .min(self.pos + self.piece)
            .min(self.pos + buf.remaining());
        buf.put_slice(&self.data[self.pos..end]);
        self.pos = end;
        Poll::Ready(Ok(()))
    }
}

/// Yields `good` bytes, then fails like a dropped connection.
pub struct FailingAfter {
    pub good: Pieces,
}

impl AsyncRead for FailingAfter {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.good.pos == self.good.data.len() {
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        Pin::new(&mut self.good).poll_read(cx, buf)
    }
}
