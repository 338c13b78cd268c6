//! [`S3StagedWrite`]: a staged write as the parts of one multipart upload.

use async_trait::async_trait;

use super::upload::Upload;
use crate::error::BlobError;
use crate::staged::StagedWrite;
use crate::store::BlobInfo;

/// A complete write at least this large sends its tail before commit; a smaller one
/// stays in memory and is written with one PUT at commit.
const SETTLE_FROM: u64 = 1 << 20;

/// A [`StagedWrite`] of the object store: the hash state stays in memory, full parts
/// go out as they fill; `restart` aborts the upload and starts a new one.
pub(super) struct S3StagedWrite {
    upload: Upload,
    /// A write or restart failed: only abort (or drop) is meaningful now.
    broken: bool,
}

impl S3StagedWrite {
    pub(super) fn new(upload: Upload) -> Self {
        Self {
            upload,
            broken: false,
        }
    }

    fn broken_error() -> BlobError {
        BlobError::Source {
            source: std::io::Error::other("an earlier write to this staged blob failed"),
        }
    }
}

#[async_trait]
impl StagedWrite for S3StagedWrite {
    fn len(&self) -> u64 {
        self.upload.len()
    }

    async fn write(&mut self, data: &[u8]) -> Result<(), BlobError> {
        if self.broken {
            return Err(Self::broken_error());
        }
        let before = self.upload.len();
        match self.upload.push(data).await {
            Ok(()) => {}
            // Refused before anything was accepted: the write stays usable.
            Err(e) if self.upload.len() == before => return Err(e),
            Err(e) => {
                self.broken = true;
                return Err(e);
            }
        }
        if self.upload.expected_size() == Some(self.upload.len())
            && self.upload.len() >= SETTLE_FROM
        {
            // Complete: send the tail now, so a caller holding many finished writes
            // until it commits them (a bundle import) holds no large buffers.
            if let Err(e) = self.upload.settle().await {
                self.broken = true;
                return Err(e);
            }
        }
        Ok(())
    }

    async fn restart(&mut self) -> Result<(), BlobError> {
        self.upload.restart().await;
        self.broken = false;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<BlobInfo, BlobError> {
        if self.broken {
            let mut upload = self.upload;
            upload.abort().await;
            return Err(Self::broken_error());
        }
        self.upload.commit().await
    }

    async fn abort(mut self: Box<Self>) {
        self.upload.abort().await;
    }
}
