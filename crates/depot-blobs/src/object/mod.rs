//! [`S3BlobStore`]: blobs as objects in an S3-compatible bucket (MinIO, Ceph RGW,
//! StorageGRID, AWS S3), through `object_store`.

mod config;
mod copy;
mod gc;
mod keys;
pub mod metrics;
mod parallel_read;
mod read;
mod staged;
mod upload;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use object_store::ObjectStoreExt as _;
use object_store::aws::AmazonS3;
use tokio::io::{AsyncRead, AsyncReadExt as _};
use tokio::sync::{RwLockReadGuard, RwLockWriteGuard};

pub use self::config::{S3Config, S3Credentials};
pub use self::copy::AWS_COPY_LIMIT;
use self::keys::Keys;
use self::metrics::call;
use self::upload::Upload;
use crate::error::BlobError;
use crate::fence::{CommitFence, FenceGuard};
use crate::staged::StagedWrite;
use crate::store::{BlobInfo, BlobReader, BlobStore, Capacity, Expected, GcReport};
use crate::{Checksum, Sha256Digest};

/// What a store and its in-progress writes share.
struct Shared {
    client: Arc<AmazonS3>,
    keys: Keys,
    /// Ids of the uploads this process is writing: garbage collection never touches
    /// them, whatever their age.
    live: Mutex<HashSet<String>>,
    /// Commits hold it shared; garbage collection holds it alone while it re-checks a
    /// blob's age and removes it.
    commit_lock: tokio::sync::RwLock<()>,
    /// The same per digest across the processes sharing the bucket, when given.
    fence: Option<Arc<dyn CommitFence>>,
    spool_dir: PathBuf,
    /// Staged objects larger than this are copied to their blob key through this process
    /// (the server's `CopyObject` limit).
    copy_limit: u64,
    /// Permits of readers that read in parallel ranges (`parallel_read`).
    readers: Arc<tokio::sync::Semaphore>,
}

impl Shared {
    /// Records (or forgets) an upload of this process.
    fn live(&self, id: &str, on: bool) {
        let mut live = self.live.lock().unwrap_or_else(PoisonError::into_inner);
        if on {
            live.insert(id.to_owned());
        } else {
            live.remove(id);
        }
    }

    /// Held by a commit while it writes `digest`'s object: the fence shared (first, so
    /// that no process waits for it while holding its own lock), then the commit lock.
    async fn hold_for_commit(&self, digest: &Sha256Digest) -> Result<Hold<'_>, BlobError> {
        let fence = match &self.fence {
            Some(fence) => Some(fence.shared(digest).await?),
            None => None,
        };
        let local = self.commit_lock.read().await;
        Ok(Hold {
            _local: Local::Commit(local),
            _fence: fence,
        })
    }

    /// Held by garbage collection while it re-checks `digest`'s age and removes it:
    /// the fence alone, then the commit lock alone.
    async fn hold_for_removal(&self, digest: &Sha256Digest) -> Result<Hold<'_>, BlobError> {
        let fence = match &self.fence {
            Some(fence) => Some(fence.exclusive(digest).await?),
            None => None,
        };
        let local = self.commit_lock.write().await;
        Ok(Hold {
            _local: Local::Removal(local),
            _fence: fence,
        })
    }

    fn is_live(&self, id: &str) -> bool {
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(id)
    }

    /// Removes a finished upload's marker (a marker left behind is removed by garbage
    /// collection later; the upload it names is gone by then).
    async fn forget(&self, id: &str) {
        let marker = self.keys.marker(id);
        if let Err(e) = call("delete", self.client.delete(&marker)).await {
            tracing::warn!(%marker, error = %e, "cannot remove an upload marker");
        }
        self.live(id, false);
    }
}

/// This process's commit lock, held shared by a commit or alone by a removal.
enum Local<'a> {
    Commit(#[expect(dead_code, reason = "held for its drop")] RwLockReadGuard<'a, ()>),
    Removal(#[expect(dead_code, reason = "held for its drop")] RwLockWriteGuard<'a, ()>),
}

/// What a commit or a removal holds: released (this process's lock first) when dropped.
struct Hold<'a> {
    _local: Local<'a>,
    _fence: Option<FenceGuard>,
}

/// A [`BlobStore`] in an S3-compatible bucket: blobs at
/// `<prefix>/sha256/<first 2 hex>/<64 hex>`, in-progress writes under
/// `<prefix>/staging/` (see the module `keys`).
///
/// Several processes (replicas) may share one bucket and prefix: a write another
/// process is completing is protected by the grace period given to
/// [`collect_garbage`](BlobStore::collect_garbage), counted from its marker's last
/// write (every 5 minutes while parts flow), which must exceed the longest stall.
///
/// A `put` of content that is already stored writes the blob's object again, which
/// refreshes its LastModified: garbage collection, which re-checks a blob's age right
/// before removing it, then keeps it for the grace period, time for the caller to
/// record its reference. Within one process a lock keeps the removal from falling
/// between that re-check and the removal. Across processes only a [`CommitFence`]
/// does ([`S3BlobStore::with_fence`]): commits hold it shared while they write a blob's
/// object, garbage collection holds it exclusive around its re-check and removal (and
/// keeps a blob whose fence it cannot take). Without one, a replica's re-put of a
/// blob that another replica's garbage collection is removing at that moment can be
/// lost: replicas sharing a bucket should share a fence.
pub struct S3BlobStore {
    shared: Arc<Shared>,
    bucket: String,
}

impl std::fmt::Debug for S3BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3BlobStore")
            .field("bucket", &self.bucket)
            .field("keys", &self.shared.keys)
            .finish_non_exhaustive()
    }
}

impl S3BlobStore {
    /// A store on the bucket `config` names. Sends no request: call
    /// [`check_writable`](BlobStore::check_writable) to prove the bucket is there and
    /// takes our credentials.
    pub fn new(config: &S3Config) -> Result<Self, BlobError> {
        Self::build(config, None)
    }

    /// A store like [`new`](Self::new)'s whose commits and garbage collection also
    /// take `fence`, shared with every other process on the bucket (see above).
    pub fn with_fence(config: &S3Config, fence: Arc<dyn CommitFence>) -> Result<Self, BlobError> {
        Self::build(config, Some(fence))
    }

    fn build(config: &S3Config, fence: Option<Arc<dyn CommitFence>>) -> Result<Self, BlobError> {
        Ok(Self {
            shared: Arc::new(Shared {
                client: Arc::new(config.client()?),
                keys: Keys::new(&config.prefix),
                live: Mutex::new(HashSet::new()),
                commit_lock: tokio::sync::RwLock::new(()),
                fence,
                spool_dir: config.spool_dir.clone(),
                copy_limit: config.copy_limit,
                readers: parallel_read::readers(),
            }),
            bucket: config.bucket.clone(),
        })
    }

    /// The bucket's name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

/// Bytes read from a `put`'s reader at a time.
const READ_CHUNK: usize = 256 * 1024;

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(
        &self,
        reader: &mut (dyn AsyncRead + Send + Unpin),
        expect: Expected,
    ) -> Result<BlobInfo, BlobError> {
        let mut upload = Upload::new(self.shared.clone(), expect, None)?;
        let mut chunk = vec![0u8; READ_CHUNK];
        loop {
            let n = match reader.read(&mut chunk).await {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    upload.abort().await;
                    return Err(match crate::verify::mismatch_in(&source) {
                        Some(mismatch) => BlobError::ChecksumMismatch(mismatch),
                        None => BlobError::Source { source },
                    });
                }
            };
            if let Err(e) = upload.push(&chunk[..n]).await {
                upload.abort().await;
                return Err(e);
            }
        }
        let info = upload.commit().await?;
        tracing::debug!(digest = %info.digest, size = info.size, "blob stored in the object store");
        Ok(info)
    }

    async fn stage(
        &self,
        expect: Expected,
        declared: Option<Checksum>,
    ) -> Result<Box<dyn StagedWrite>, BlobError> {
        let upload = Upload::new(self.shared.clone(), expect, declared)?;
        Ok(Box::new(staged::S3StagedWrite::new(upload)))
    }

    async fn open(&self, digest: &Sha256Digest) -> Result<(BlobReader, u64), BlobError> {
        self.open_whole(digest).await
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
        let (mut reader, _) = self.open_whole(digest).await?;
        crate::local_file::spool(&mut reader, &self.shared.spool_dir).await
    }

    async fn stat(&self, digest: &Sha256Digest) -> Result<Option<u64>, BlobError> {
        self.stat_impl(digest).await
    }

    async fn delete(&self, digest: &Sha256Digest) -> Result<bool, BlobError> {
        self.delete_impl(digest).await
    }

    async fn list(&self) -> Result<Vec<BlobInfo>, BlobError> {
        let mut blobs: Vec<BlobInfo> = self
            .list_blobs()
            .await?
            .into_iter()
            .map(|(info, _)| info)
            .collect();
        blobs.sort_unstable();
        Ok(blobs)
    }

    async fn usage(&self) -> Result<u64, BlobError> {
        Ok(self.list_blobs().await?.iter().map(|(b, _)| b.size).sum())
    }

    async fn capacity(&self) -> Result<Option<Capacity>, BlobError> {
        Ok(None)
    }

    async fn check_writable(&self) -> Result<(), BlobError> {
        self.probe().await
    }

    async fn collect_garbage(
        &self,
        referenced: &(dyn for<'d> Fn(&'d Sha256Digest) -> bool + Sync),
        grace: Duration,
    ) -> Result<GcReport, BlobError> {
        self.collect_garbage_impl(referenced, grace).await
    }
}
