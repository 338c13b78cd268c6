//! Staged data too large for one server-side copy, put under its blob key through this
//! process.
//!
//! Data written before its digest was known is uploaded to a staging key and copied to
//! its blob key once checked. One `CopyObject` copies at most [`AWS_COPY_LIMIT`] on AWS
//! S3 (other servers have their own limits, or none); a larger staged object is read
//! back in parallel ranges and written as a new multipart upload to the blob key, with
//! its size and digest checked again on the way: bytes read back are proven, never
//! trusted.

use std::sync::Arc;

use futures_util::{StreamExt as _, TryStreamExt as _};
use object_store::ObjectStoreExt as _;
use object_store::path::Path;

use super::Shared;
use super::metrics::{bytes_in, call};
use super::parallel_read;
use super::upload::Upload;
use crate::Sha256Digest;
use crate::error::BlobError;
use crate::store::Expected;

/// The largest object AWS S3 copies with one `CopyObject` request (5 GiB).
pub const AWS_COPY_LIMIT: u64 = 5 << 30;

/// A store error about reading back the staged object `key`.
fn read_back_error(
    key: &Path,
    source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> BlobError {
    BlobError::store("read back", key)(object_store::Error::Generic {
        store: "S3",
        source: source.into(),
    })
}

/// Writes the staged object `from` (`size` bytes, digest `digest`) to the blob key of
/// `digest` through this process. On error nothing is visible under the blob key.
pub(super) async fn through(
    shared: &Arc<Shared>,
    from: &Path,
    digest: Sha256Digest,
    size: u64,
) -> Result<(), BlobError> {
    let result = call("get", shared.client.get(from))
        .await
        .map_err(BlobError::store("read back", from))?;
    let first = result
        .into_stream()
        .inspect_ok(|chunk| bytes_in(chunk.len()))
        .map_err(std::io::Error::from)
        .boxed();
    let mut body = parallel_read::body(&shared.client, from, first, 0, size, &shared.readers);
    let expect = Expected {
        size: Some(size),
        sha256: Some(digest),
        max_size: None,
    };
    let mut upload = Upload::new(Arc::clone(shared), expect, None)?;
    while let Some(chunk) = body.next().await {
        let pushed = match chunk {
            Ok(chunk) => upload.push(&chunk).await,
            Err(e) => Err(read_back_error(from, e)),
        };
        if let Err(e) = pushed {
            upload.abort().await;
            return Err(e);
        }
    }
    match Box::pin(upload.commit()).await {
        Ok(_) => Ok(()),
        Err(e @ (BlobError::SizeMismatch { .. } | BlobError::DigestMismatch { .. })) => Err(
            read_back_error(from, format!("the staged data read back differs: {e}")),
        ),
        Err(e) => Err(e),
    }
}
