//! [`CommitFence`]: a lock per digest shared by every process writing one bucket, so
//! that garbage collection in one process never removes a blob another process is
//! writing again.

use async_trait::async_trait;

use crate::Sha256Digest;
use crate::error::BlobError;

/// A lock per digest held across processes (replicas sharing one bucket and prefix).
///
/// A commit holds it **shared** while it writes a blob's object (a put, a completed
/// multipart upload, a copy into place), so commits of the same content run side by
/// side; garbage collection holds it **exclusive** while it re-checks a blob's age and
/// removes it. So a removal never falls between another process's re-write of the blob
/// and that write's fresh LastModified: the re-check sees it and keeps the blob.
///
/// Keys may collide (an implementation may map digests onto fewer locks): a collision
/// only costs waiting. Acquiring may fail (the shared service is down, or the wait is
/// too long): then nothing is written or removed, and the caller may retry.
#[async_trait]
pub trait CommitFence: Send + Sync {
    /// Holds the fence of `digest` shared with other commits, excluding removals.
    async fn shared(&self, digest: &Sha256Digest) -> Result<FenceGuard, BlobError>;

    /// Holds the fence of `digest` alone, excluding commits and other removals.
    async fn exclusive(&self, digest: &Sha256Digest) -> Result<FenceGuard, BlobError>;
}

/// A held [`CommitFence`]; dropping it releases the fence.
#[must_use = "the fence is released when the guard is dropped"]
pub struct FenceGuard(
    // Never read: holding it is the point.
    #[expect(dead_code, reason = "held for its drop, which releases the fence")]
    Box<dyn Send + Sync>,
);

impl FenceGuard {
    /// A guard holding `held`, whose drop releases the fence.
    pub fn new(held: impl Send + Sync + 'static) -> Self {
        Self(Box::new(held))
    }
}

impl std::fmt::Debug for FenceGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FenceGuard")
    }
}
