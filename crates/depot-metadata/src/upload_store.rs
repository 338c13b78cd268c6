//! The store of files uploaded for ESX offline-depot imports (`/vum-fileupload`).
//!
//! Blob references: an uploaded file's content is held by owner `uploaded-file:<id>`
//! ([`depot_model::uploaded_file::blob_owner`]), written and dropped in the same
//! transaction as the file's row.

use async_trait::async_trait;
use depot_model::{FileId, Timestamp, UploadedFile};

use crate::Result;

/// Uploaded files.
#[async_trait]
pub trait UploadStore: Send + Sync {
    /// Stores a new uploaded file and the reference to its blob, in one transaction.
    async fn insert_upload(&self, file: &UploadedFile) -> Result<()>;

    /// The uploaded file `id`, whatever its state (used, or expired but not yet
    /// removed).
    async fn get_upload(&self, id: FileId) -> Result<Option<UploadedFile>>;

    /// Reserves `id` for an import: when it exists, no depot used it and it has not
    /// expired at `now`, moves its expiry to `expires` (never earlier), so that the
    /// housekeeping leaves it alone while the import runs, and returns it; `None`
    /// otherwise.
    async fn reserve_upload(
        &self,
        id: FileId,
        now: Timestamp,
        expires: Timestamp,
    ) -> Result<Option<UploadedFile>>;

    /// Records that the depot `used_by` imported `id`, if no depot did before; whether
    /// it did. A used file no longer expires.
    async fn set_upload_used(&self, id: FileId, used_by: &str) -> Result<bool>;

    /// Removes every file no depot used whose expiry is not after `now`, with its blob
    /// reference (one transaction); how many.
    async fn delete_expired_uploads(&self, now: Timestamp) -> Result<u64>;
}
