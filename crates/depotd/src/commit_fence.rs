//! The blob store's [`CommitFence`] on the metadata database's digest locks: replicas
//! sharing one PostgreSQL database and one bucket fence each other's blob commits and
//! garbage collection.

use std::sync::Arc;

use async_trait::async_trait;
use depot_blobs::{BlobError, CommitFence, FenceGuard, Sha256Digest};
use depot_metadata::{DigestLocks, MetadataError, MetadataStore};

/// A [`CommitFence`] made of the database's [`DigestLocks`].
#[derive(Debug, Clone)]
pub struct DatabaseFence(DigestLocks);

impl DatabaseFence {
    /// The fence of `store`'s database, when other processes may share it
    /// (PostgreSQL); `None` where one process owns the database (SQLite).
    pub fn of(store: &dyn MetadataStore) -> Option<Arc<dyn CommitFence>> {
        store
            .digest_locks()
            .map(|locks| Arc::new(Self(locks)) as Arc<dyn CommitFence>)
    }
}

#[async_trait]
impl CommitFence for DatabaseFence {
    async fn shared(&self, digest: &Sha256Digest) -> Result<FenceGuard, BlobError> {
        match self.0.shared(digest).await {
            Ok(lock) => Ok(FenceGuard::new(lock)),
            Err(e) => Err(not_taken("shared", digest, e)),
        }
    }

    async fn exclusive(&self, digest: &Sha256Digest) -> Result<FenceGuard, BlobError> {
        match self.0.exclusive(digest).await {
            Ok(lock) => Ok(FenceGuard::new(lock)),
            Err(e) => Err(not_taken("exclusive", digest, e)),
        }
    }
}

fn not_taken(mode: &'static str, digest: &Sha256Digest, source: MetadataError) -> BlobError {
    BlobError::Fence {
        mode,
        digest: *digest,
        source: Box::new(source),
    }
}
