//! [`DigestLocks`]: locks keyed by a digest and held across every process sharing the
//! database (the replicas on one PostgreSQL database), shared or exclusive.

use std::sync::Arc;

use async_trait::async_trait;
use depot_model::Sha256Digest;
use tokio::sync::oneshot;

use crate::{MetadataError, Result};

/// How a [`DigestLock`] is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// With other shared holders; excludes an exclusive one.
    Shared,
    /// Alone.
    Exclusive,
}

/// Locks keyed by digest, held across every process sharing the database: a shared
/// holder in one process excludes an exclusive holder in any other, and the other way
/// round. Digests may share a lock (a collision only costs waiting).
///
/// A lock is held by a database transaction of its own (on PostgreSQL a
/// transaction-scoped advisory lock), taken and held by a task of its own: dropping the
/// [`DigestLock`] ends that transaction, and so does dropping a [`lock`](Self::lock)
/// future before it resolves (a wait already sent to the database ends when the lock
/// is granted, at once released, or after the wait limit). A lock never outlives its
/// guard, nor its process (the database ends the transaction of a lost connection).
/// Waits are bounded: a lock not granted in time, or no connection for it, is an
/// [`Unavailable`](depot_model::ErrorKind::Unavailable) error.
#[derive(Clone)]
pub struct DigestLocks {
    source: Arc<dyn LockSource>,
}

impl std::fmt::Debug for DigestLocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DigestLocks").finish_non_exhaustive()
    }
}

impl DigestLocks {
    /// Locks taken from `source`.
    #[cfg_attr(
        not(feature = "postgres"),
        expect(dead_code, reason = "only PostgreSQL provides digest locks")
    )]
    pub(crate) fn new(source: Arc<dyn LockSource>) -> Self {
        Self { source }
    }

    /// Holds the lock of `digest` shared.
    pub async fn shared(&self, digest: &Sha256Digest) -> Result<DigestLock> {
        self.lock(digest, LockMode::Shared).await
    }

    /// Holds the lock of `digest` alone.
    pub async fn exclusive(&self, digest: &Sha256Digest) -> Result<DigestLock> {
        self.lock(digest, LockMode::Exclusive).await
    }

    /// Holds the lock of `digest` in `mode`, waiting for conflicting holders.
    pub async fn lock(&self, digest: &Sha256Digest, mode: LockMode) -> Result<DigestLock> {
        let (acquired, granted) = oneshot::channel();
        let (release, released) = oneshot::channel();
        let source = Arc::clone(&self.source);
        let digest = *digest;
        // A task of its own: a caller that gives up (drops this future) never leaves a
        // statement half-read on a connection; the task ends the transaction.
        tokio::spawn(async move { source.hold(digest, mode, acquired, released).await });
        match granted.await {
            Ok(Ok(())) => Ok(DigestLock { _release: release }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(MetadataError::Query {
                op: "digest_lock",
                source: "the task holding the lock ended".into(),
            }),
        }
    }
}

/// A held lock of [`DigestLocks`]; dropping it releases the lock.
#[derive(Debug)]
#[must_use = "the lock is released when the guard is dropped"]
pub struct DigestLock {
    /// Dropped with the guard: the holding task then ends its transaction.
    _release: oneshot::Sender<()>,
}

/// Where digest locks are taken: a backend that shares them across processes.
#[async_trait]
pub(crate) trait LockSource: Send + Sync + 'static {
    /// Takes the lock of `digest` in `mode` and says so (or why not) through
    /// `acquired`; then holds it until `release` ends (its sender is dropped), or
    /// releases it at once when nobody hears `acquired` any more.
    async fn hold(
        &self,
        digest: Sha256Digest,
        mode: LockMode,
        acquired: oneshot::Sender<Result<()>>,
        release: oneshot::Receiver<()>,
    );
}
