//! Receiving an upload: the body streams into the blob store (hashed on the way in,
//! capped while reading), then the file is recorded.

use depot_blobs::Expected;
use depot_model::uploaded_file::clean_file_name;
use depot_model::{FileId, UploadedFile, UserName};
use tokio::io::AsyncRead;
use tracing::{info, instrument};

use crate::{UploadError, Uploads};

/// One upload as the HTTP handler received it.
pub struct Incoming<'a> {
    /// Who sends it.
    pub owner: &'a UserName,
    /// The file name the client gave, if any (a label; cleaned before it is kept).
    pub file_name: Option<&'a str>,
    /// The announced length of the file's bytes, if known up front.
    pub length: Option<u64>,
    /// The file's bytes.
    pub body: &'a mut (dyn AsyncRead + Send + Unpin),
}

impl Uploads {
    /// Streams `incoming` into the blob store and records it; the new file. Memory
    /// stays bounded: the body is never held whole. Larger than the maximum (announced
    /// or arriving) is `TooLarge`, a body cut off is `Interrupted`, an empty one
    /// `Empty`; in each case nothing is recorded and no blob is kept.
    #[instrument(skip_all, fields(owner = %incoming.owner))]
    pub async fn receive(&self, incoming: Incoming<'_>) -> Result<UploadedFile, UploadError> {
        let limit = self.settings.max_bytes;
        if incoming.length.is_some_and(|l| l > limit) {
            return Err(UploadError::TooLarge { limit });
        }
        let expect = Expected {
            size: incoming.length,
            sha256: None,
            max_size: Some(limit),
        };
        let blob = self
            .blobs
            .put(incoming.body, expect)
            .await
            .map_err(UploadError::from_blob)?;
        if blob.size == 0 {
            // Nothing references the empty blob: the collector removes it.
            return Err(UploadError::Empty);
        }
        let file = UploadedFile {
            id: FileId::new(),
            digest: blob.digest,
            size: blob.size,
            file_name: incoming.file_name.and_then(clean_file_name),
            owner: incoming.owner.clone(),
            created: self.now(),
            expires: self.expiry(),
            used_by: None,
        };
        self.store.insert_upload(&file).await?;
        info!(file_id = %file.id, size = file.size, digest = %file.digest, "file uploaded");
        Ok(file)
    }
}
