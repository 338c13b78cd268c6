//! [`FsBlobStore`]: blobs as files on a local file system.

mod capacity;
mod gc;
mod ingest;
mod layout;
mod read;
mod staged;
mod temp;
mod walk;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::AsyncRead;

use self::layout::Layout;
use self::temp::TempNamer;
use crate::error::BlobError;
use crate::staged::StagedWrite;
use crate::store::{BlobInfo, BlobReader, BlobStore, Capacity, Expected, GcReport};
use crate::{Checksum, Sha256Digest};

/// A [`BlobStore`] keeping each blob as a file `<root>/sha256/<first 2 hex>/<64 hex>`.
///
/// Writes stream into `<root>/tmp/` and are renamed into place once verified and synced, so
/// a blob file is always complete. The caller must give each store exclusive use of its
/// root (the server locks its data directory): opening a store removes all temp files it
/// did not create, i.e. those left by a crashed earlier process.
///
/// Keep `tmp/` and `sha256/` on the same file system (they are siblings under `root`) so the
/// final rename is atomic.
#[derive(Debug)]
pub struct FsBlobStore {
    layout: Arc<Layout>,
    temp_names: TempNamer,
    /// Serializes "commit a blob" with "check a blob's age and remove it" (see `gc`).
    commit_lock: Arc<Mutex<()>>,
}

impl FsBlobStore {
    /// Opens (creating if needed) a store rooted at `root` and removes temp files left by
    /// an earlier process.
    ///
    /// This does not prove the disk takes writes: call
    /// [`check_writable`](BlobStore::check_writable) at start-up for that.
    pub async fn open(root: impl Into<PathBuf>) -> Result<Self, BlobError> {
        let layout = Arc::new(Layout::new(root.into()));
        let temp_names = TempNamer::new()?;
        let (layout, temp_names, stale) = tokio::task::spawn_blocking(move || {
            layout.create_dirs()?;
            let stale = temp::remove_stale(layout.tmp_dir(), &temp_names)?;
            Ok::<_, BlobError>((layout, temp_names, stale))
        })
        .await??;
        if stale > 0 {
            tracing::info!(
                root = %layout.root().display(),
                removed = stale,
                "removed temp files left by an interrupted write"
            );
        }
        Ok(Self {
            layout,
            temp_names,
            commit_lock: Arc::new(Mutex::new(())),
        })
    }

    /// The store's root directory.
    pub fn root(&self) -> &Path {
        self.layout.root()
    }
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn put(
        &self,
        reader: &mut (dyn AsyncRead + Send + Unpin),
        expect: Expected,
    ) -> Result<BlobInfo, BlobError> {
        self.put_impl(reader, expect).await
    }

    async fn stage(
        &self,
        expect: Expected,
        declared: Option<Checksum>,
    ) -> Result<Box<dyn StagedWrite>, BlobError> {
        Ok(Box::new(self.stage_impl(expect, declared).await?))
    }

    async fn open(&self, digest: &Sha256Digest) -> Result<(BlobReader, u64), BlobError> {
        self.open_range_impl(digest, 0, None).await
    }

    async fn open_range(
        &self,
        digest: &Sha256Digest,
        start: u64,
        end: Option<u64>,
    ) -> Result<(BlobReader, u64), BlobError> {
        self.open_range_impl(digest, start, end).await
    }

    async fn open_file(&self, digest: &Sha256Digest) -> Result<std::fs::File, BlobError> {
        self.open_file_impl(digest).await
    }

    async fn stat(&self, digest: &Sha256Digest) -> Result<Option<u64>, BlobError> {
        self.stat_impl(digest).await
    }

    async fn delete(&self, digest: &Sha256Digest) -> Result<bool, BlobError> {
        self.delete_impl(digest).await
    }

    async fn list(&self) -> Result<Vec<BlobInfo>, BlobError> {
        let mut blobs: Vec<BlobInfo> = self
            .walk()
            .await?
            .into_iter()
            .map(|e| BlobInfo {
                digest: e.digest,
                size: e.size,
            })
            .collect();
        blobs.sort_unstable();
        Ok(blobs)
    }

    async fn usage(&self) -> Result<u64, BlobError> {
        Ok(self.walk().await?.iter().map(|e| e.size).sum())
    }

    async fn capacity(&self) -> Result<Option<Capacity>, BlobError> {
        self.capacity_impl().await
    }

    async fn check_writable(&self) -> Result<(), BlobError> {
        temp::probe(self.layout.tmp_dir(), &self.temp_names).await
    }

    async fn collect_garbage(
        &self,
        referenced: &(dyn for<'d> Fn(&'d Sha256Digest) -> bool + Sync),
        grace: Duration,
    ) -> Result<GcReport, BlobError> {
        self.collect_garbage_impl(referenced, grace).await
    }
}
