//! Handing uploaded files to imports.

use depot_model::{FileId, UploadedFile, UserName};
use tracing::{info, instrument};

use crate::{UploadError, Uploads};

impl Uploads {
    /// The uploaded file `file_id`, for an import by `user`: `None` when the id is not
    /// one this server answered, the file expired, or a depot already used it. A file
    /// returned has its expiry pushed a full time-to-live out, so the housekeeping
    /// leaves it alone while the import runs.
    ///
    /// Not scoped by user: any caller allowed to import may use a file whose id it
    /// knows (the id is the capability, as on vCenter); `user` is logged.
    #[instrument(skip_all, fields(file_id, user = %user))]
    pub async fn take_upload(
        &self,
        file_id: &str,
        user: &UserName,
    ) -> Result<Option<UploadedFile>, UploadError> {
        let Ok(id) = file_id.parse::<FileId>() else {
            return Ok(None);
        };
        tracing::Span::current().record("file_id", tracing::field::display(id));
        let file = self
            .store
            .reserve_upload(id, self.now(), self.expiry())
            .await?;
        if let Some(f) = &file
            && f.owner != *user
        {
            info!(owner = %f.owner, "an uploaded file is used by another user than its uploader");
        }
        Ok(file)
    }

    /// Records that `depot` imported the file `id`; whether it did (false: unknown, or
    /// another depot used it first). A used file never expires.
    pub async fn mark_used(&self, id: FileId, depot: &str) -> Result<bool, UploadError> {
        Ok(self.store.set_upload_used(id, depot).await?)
    }
}
