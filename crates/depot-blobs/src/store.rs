//! The backend-neutral [`BlobStore`] trait and the values it exchanges.

use std::time::Duration;

use async_trait::async_trait;
use tokio::io::AsyncRead;

use crate::error::BlobError;
use crate::staged::StagedWrite;
use crate::{Checksum, Sha256Digest};

/// A reader over a stored blob's bytes (or a range of them).
pub type BlobReader = Box<dyn AsyncRead + Send + Unpin>;

/// What the caller knows about data it is about to [`put`](BlobStore::put); every field that
/// is set is checked while or right after streaming, before the blob becomes visible.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expected {
    /// The exact size in bytes, if announced (e.g. from `Content-Length` or a manifest).
    pub size: Option<u64>,
    /// The digest, if announced. When absent, the blob is stored under whatever digest the
    /// data has.
    pub sha256: Option<Sha256Digest>,
    /// A hard cap: reading stops with [`BlobError::TooLarge`] as soon as more bytes arrive.
    pub max_size: Option<u64>,
}

impl Expected {
    /// Refuses an announced size above the cap ([`BlobError::TooLarge`]) before anything
    /// is read.
    pub(crate) fn check_announced(&self) -> Result<(), BlobError> {
        match self.size {
            Some(size) => self.check_growth(size),
            None => Ok(()),
        }
    }

    /// Whether a write may grow to `end` bytes: not past the cap
    /// ([`BlobError::TooLarge`]) nor past the announced size
    /// ([`BlobError::SizeMismatch`]). Checked before bytes are accepted.
    pub(crate) fn check_growth(&self, end: u64) -> Result<(), BlobError> {
        if let Some(limit) = self.max_size
            && end > limit
        {
            return Err(BlobError::TooLarge { limit });
        }
        if let Some(expected) = self.size
            && end > expected
        {
            return Err(BlobError::SizeMismatch {
                expected,
                actual: end,
            });
        }
        Ok(())
    }
}

/// A stored blob: its name and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobInfo {
    /// The blob's SHA-256 digest.
    pub digest: Sha256Digest,
    /// The blob's size in bytes.
    pub size: u64,
}

/// What a [`collect_garbage`](BlobStore::collect_garbage) pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Blobs removed.
    pub removed: u64,
    /// Bytes freed by removing them.
    pub bytes_freed: u64,
    /// Blobs kept: referenced, or younger than the grace period.
    pub kept: u64,
    /// The bytes of the blobs kept: what the store holds after the pass, as far as the
    /// pass saw (blobs committed while it ran may be missing).
    pub bytes_kept: u64,
}

/// The size of the storage a blob store writes to, and the space left on it, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// The storage's total size.
    pub total: u64,
    /// The space a write can still use (for a file system: what an unprivileged
    /// process may use, so the part reserved for root is not counted).
    pub free: u64,
}

/// A content-addressed store of immutable blobs, named by their SHA-256 digest.
///
/// Implementations must make a blob visible only once it is complete and verified, and must
/// never let a failed or interrupted `put` leave anything visible.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Streams `reader` to the end into the store, checking `expect` on the way.
    ///
    /// The size cap is enforced while streaming; size and digest are checked at the end.
    /// Only then is the blob committed under its digest. If a blob with that digest already
    /// exists, the new copy is discarded (content is stored once) and the existing blob
    /// counts as freshly written for [`collect_garbage`](Self::collect_garbage).
    /// On any error, nothing becomes visible and no temporary data is left behind.
    async fn put(
        &self,
        reader: &mut (dyn AsyncRead + Send + Unpin),
        expect: Expected,
    ) -> Result<BlobInfo, BlobError>;

    /// Starts a write fed piece by piece ([`StagedWrite`]), checked against `expect` and,
    /// when given, a checksum its sender declared. For downloads that resume after a broken
    /// connection: the hash state is kept, so a continued write never re-reads its data.
    async fn stage(
        &self,
        expect: Expected,
        declared: Option<Checksum>,
    ) -> Result<Box<dyn StagedWrite>, BlobError>;

    /// Opens a blob for reading; returns the reader and the blob's size.
    async fn open(&self, digest: &Sha256Digest) -> Result<(BlobReader, u64), BlobError>;

    /// Opens the bytes `start..end` of a blob (`end = None`: to the end of the blob).
    ///
    /// Returns the reader, which yields exactly `end - start` bytes, and the blob's **total**
    /// size (for `Content-Range`). A range that is not within the blob
    /// (`start > end` or `end > size`) is [`BlobError::RangeNotSatisfiable`]; an empty range
    /// is allowed. Clamping an HTTP range to the size is the caller's job.
    async fn open_range(
        &self,
        digest: &Sha256Digest,
        start: u64,
        end: Option<u64>,
    ) -> Result<(BlobReader, u64), BlobError>;

    /// A whole blob in memory, for blobs the caller parses (catalogs, manifests). A
    /// blob over `max` bytes is [`BlobError::TooLarge`] before anything is read.
    async fn read_all(&self, digest: &Sha256Digest, max: u64) -> Result<Vec<u8>, BlobError> {
        let (mut reader, size) = self.open(digest).await?;
        if size > max {
            return Err(BlobError::TooLarge { limit: max });
        }
        let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut buf)
            .await
            .map_err(|e| BlobError::Source { source: e })?;
        Ok(buf)
    }

    /// A blob as a local, seekable file opened for reading (a zip reader needs to
    /// seek). A store whose blobs are local files opens the blob itself; the default
    /// copies the blob into an unnamed temporary file (removed when the handle is
    /// dropped) in `std::env::temp_dir()` — a remote store should override it to spool
    /// into its own staging directory.
    async fn open_file(&self, digest: &Sha256Digest) -> Result<std::fs::File, BlobError> {
        let (mut reader, _) = self.open(digest).await?;
        crate::local_file::spool(&mut reader, &std::env::temp_dir()).await
    }

    /// The blob's size, or `None` if it is not stored.
    async fn stat(&self, digest: &Sha256Digest) -> Result<Option<u64>, BlobError>;

    /// Deletes a blob; returns whether it existed. Readers that already opened it may
    /// finish.
    async fn delete(&self, digest: &Sha256Digest) -> Result<bool, BlobError>;

    /// Every stored blob, sorted by digest. In-progress writes are not listed.
    async fn list(&self) -> Result<Vec<BlobInfo>, BlobError>;

    /// Total bytes stored in committed blobs (for a metric).
    async fn usage(&self) -> Result<u64, BlobError>;

    /// The size of the storage under the store and the space left on it; `None` when
    /// the backend has no such figure (an object store has no fixed size: such a
    /// backend answers `None` rather than make one up). Both figures are taken now, so
    /// other users of the same storage move them too.
    async fn capacity(&self) -> Result<Option<Capacity>, BlobError>;

    /// Proves the store can take writes right now (writes, syncs and removes a small
    /// probe); used by the health check and at start-up.
    async fn check_writable(&self) -> Result<(), BlobError>;

    /// Removes every blob that `referenced` does not claim, except blobs written (or
    /// re-`put`) less than `grace` ago.
    ///
    /// In-progress writes are never touched. The grace period is the protection for the
    /// window between a `put` returning and the caller recording its reference: record
    /// references within `grace` of `put`, and take the `referenced` snapshot *before*
    /// calling this. A `put` that races with this pass on the same digest either sees the
    /// blob removed and writes it anew, or refreshes it so it is kept.
    async fn collect_garbage(
        &self,
        referenced: &(dyn for<'d> Fn(&'d Sha256Digest) -> bool + Sync),
        grace: Duration,
    ) -> Result<GcReport, BlobError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_stops_at_the_cap_and_at_the_announced_size() {
        let capped = Expected {
            max_size: Some(10),
            ..Expected::default()
        };
        assert!(capped.check_growth(10).is_ok());
        assert!(matches!(
            capped.check_growth(11),
            Err(BlobError::TooLarge { limit: 10 })
        ));
        let sized = Expected {
            size: Some(5),
            max_size: Some(10),
            ..Expected::default()
        };
        assert!(sized.check_growth(5).is_ok());
        assert!(matches!(
            sized.check_growth(6),
            Err(BlobError::SizeMismatch {
                expected: 5,
                actual: 6
            })
        ));
        assert!(sized.check_announced().is_ok());
        let over = Expected {
            size: Some(11),
            max_size: Some(10),
            ..Expected::default()
        };
        assert!(matches!(
            over.check_announced(),
            Err(BlobError::TooLarge { limit: 10 })
        ));
        assert!(Expected::default().check_announced().is_ok());
    }
}
