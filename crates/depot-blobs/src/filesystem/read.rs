//! Reading, sizing and deleting committed blobs.

use std::io::{self, SeekFrom};

use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _, BufReader};

use super::FsBlobStore;
use crate::Sha256Digest;
use crate::error::BlobError;
use crate::store::BlobReader;

/// Read buffer: large, so each trip to the blocking pool moves a useful amount of data.
const READ_BUFFER: usize = 256 * 1024;

impl FsBlobStore {
    pub(super) async fn open_range_impl(
        &self,
        digest: &Sha256Digest,
        start: u64,
        end: Option<u64>,
    ) -> Result<(BlobReader, u64), BlobError> {
        let path = self.layout.blob_path(digest);
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(BlobError::NotFound { digest: *digest });
            }
            Err(e) => return Err(BlobError::io("open", &path)(e)),
        };
        let size = file
            .metadata()
            .await
            .map_err(BlobError::io("stat", &path))?
            .len();
        let stop = end.unwrap_or(size);
        if start > stop || stop > size {
            return Err(BlobError::RangeNotSatisfiable {
                digest: *digest,
                start,
                end,
                size,
            });
        }
        if start > 0 {
            file.seek(SeekFrom::Start(start))
                .await
                .map_err(BlobError::io("seek", &path))?;
        }
        let reader = BufReader::with_capacity(READ_BUFFER, file.take(stop - start));
        Ok((Box::new(reader), size))
    }

    /// The blob's own file, opened for reading (blobs are never changed in place, and
    /// a reader keeps the file even if it is deleted meanwhile).
    pub(super) async fn open_file_impl(
        &self,
        digest: &Sha256Digest,
    ) -> Result<std::fs::File, BlobError> {
        let path = self.layout.blob_path(digest);
        match tokio::fs::File::open(&path).await {
            Ok(file) => Ok(file.into_std().await),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(BlobError::NotFound { digest: *digest })
            }
            Err(e) => Err(BlobError::io("open", &path)(e)),
        }
    }

    pub(super) async fn stat_impl(&self, digest: &Sha256Digest) -> Result<Option<u64>, BlobError> {
        let path = self.layout.blob_path(digest);
        match tokio::fs::metadata(&path).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(BlobError::io("stat", &path)(e)),
        }
    }

    pub(super) async fn delete_impl(&self, digest: &Sha256Digest) -> Result<bool, BlobError> {
        let path = self.layout.blob_path(digest);
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {
                tracing::debug!(%digest, "blob deleted");
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(BlobError::io("remove", &path)(e)),
        }
    }
}
