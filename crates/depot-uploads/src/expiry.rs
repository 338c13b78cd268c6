//! Expiry: files no depot used are removed once their time is up, with their blob
//! references (the blob collector reclaims the bytes).

use tracing::info;

use crate::{UploadError, Uploads};

impl Uploads {
    /// Removes every unused uploaded file whose expiry has passed; how many.
    pub async fn expire_uploads(&self) -> Result<u64, UploadError> {
        let removed = self.store.delete_expired_uploads(self.now()).await?;
        if removed > 0 {
            info!(removed, "expired uploaded files no depot used");
        }
        Ok(removed)
    }
}
