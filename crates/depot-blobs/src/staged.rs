//! [`StagedWrite`]: a blob written piece by piece, possibly from several sources in turn
//! (a download resumed on a new connection), checked and committed at the end.

use async_trait::async_trait;

use crate::error::BlobError;
use crate::store::BlobInfo;

/// An in-progress write into a [`BlobStore`](crate::BlobStore), from
/// [`BlobStore::stage`](crate::BlobStore::stage).
///
/// The store keeps the hash state (SHA-256 and any declared checksum) in memory, so a
/// writer that lost its source can continue where it stopped (`len()` bytes in) instead of
/// starting over. Nothing is visible until [`commit`](Self::commit) has checked size,
/// digest and checksum; [`abort`](Self::abort), an error from `commit` and dropping the
/// write all remove the temporary data. After `write` or `restart` failed, only `abort` (or
/// dropping) is meaningful: further calls fail too.
#[async_trait]
pub trait StagedWrite: Send {
    /// Bytes accepted so far: where the data continues.
    fn len(&self) -> u64;

    /// Whether nothing has been accepted yet.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `data`, hashing it. Fails as soon as the size cap
    /// ([`BlobError::TooLarge`]) or the expected size ([`BlobError::SizeMismatch`]) is
    /// passed; then nothing of `data` is accepted.
    async fn write(&mut self, data: &[u8]) -> Result<(), BlobError>;

    /// Forgets everything written so far and starts again at byte 0 (the source changed,
    /// or cannot continue where this write stopped).
    async fn restart(&mut self) -> Result<(), BlobError>;

    /// Checks the size, digest and declared checksum of the data, makes it durable and
    /// visible under its digest (with the same guarantees as
    /// [`put`](crate::BlobStore::put)). On error nothing is visible and nothing is left.
    async fn commit(self: Box<Self>) -> Result<BlobInfo, BlobError>;

    /// Discards the write and its temporary data.
    async fn abort(self: Box<Self>);
}
