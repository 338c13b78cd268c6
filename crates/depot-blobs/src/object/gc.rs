//! Garbage collection in the bucket: unreferenced blobs older than the grace period, and
//! multipart uploads whose writer is gone (their marker is older than the grace period).

use std::time::{Duration, SystemTime};

use object_store::ObjectStoreExt as _;
use object_store::multipart::MultipartStore as _;
use object_store::path::Path;

use super::S3BlobStore;
use super::metrics::call;
use crate::Sha256Digest;
use crate::error::BlobError;
use crate::store::GcReport;

/// How long ago `time` was (zero if it is in the future).
fn age(time: SystemTime) -> Duration {
    SystemTime::now().duration_since(time).unwrap_or_default()
}

impl S3BlobStore {
    pub(super) async fn collect_garbage_impl(
        &self,
        referenced: &(dyn for<'d> Fn(&'d Sha256Digest) -> bool + Sync),
        grace: Duration,
    ) -> Result<GcReport, BlobError> {
        let mut report = GcReport::default();
        for (info, modified) in self.list_blobs().await? {
            if referenced(&info.digest)
                || age(modified) < grace
                || !self.remove_if_old(&info.digest, grace).await?
            {
                report.kept += 1;
                report.bytes_kept += info.size;
            } else {
                report.removed += 1;
                report.bytes_freed += info.size;
            }
        }
        let stale = self.clean_stale_uploads(grace).await?;
        if stale > 0 {
            tracing::info!(
                removed = stale,
                "removed multipart uploads left by interrupted writes"
            );
        }
        Ok(report)
    }

    /// Removes a blob if it is still older than `grace`, with its commits held off
    /// meanwhile (a re-put refreshes LastModified under the shared lock and fence). A
    /// blob whose fence cannot be taken is kept.
    async fn remove_if_old(
        &self,
        digest: &Sha256Digest,
        grace: Duration,
    ) -> Result<bool, BlobError> {
        let key = self.shared.keys.blob(digest);
        let client = &self.shared.client;
        let _exclusive = match self.shared.hold_for_removal(digest).await {
            Ok(hold) => hold,
            Err(e) => {
                tracing::warn!(%digest, error = %e, "blob kept: its commit fence is not available");
                return Ok(false);
            }
        };
        let meta = match call("head", client.head(&key)).await {
            Ok(meta) => meta,
            Err(object_store::Error::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(BlobError::store("stat", &key)(e)),
        };
        if age(SystemTime::from(meta.last_modified)) < grace {
            return Ok(false);
        }
        match call("delete", client.delete(&key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(true),
            Err(e) => Err(BlobError::store("delete", &key)(e)),
        }
    }

    /// Aborts the uploads whose markers are older than `grace` and not this process's
    /// own, and removes their staging data and markers; returns how many.
    async fn clean_stale_uploads(&self, grace: Duration) -> Result<u64, BlobError> {
        let markers = self.list_under(&self.shared.keys.markers()).await?;
        let mut removed = 0;
        for marker in markers {
            let Some(id) = marker.location.filename().map(str::to_owned) else {
                continue;
            };
            if self.shared.is_live(&id) || age(SystemTime::from(marker.last_modified)) < grace {
                continue;
            }
            if self.remove_upload(&id, &marker.location).await? {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Aborts the upload a marker names, removes its staging data, then the marker.
    async fn remove_upload(&self, id: &str, marker: &Path) -> Result<bool, BlobError> {
        let client = &self.shared.client;
        let record = match call("get", async { client.get(marker).await?.bytes().await }).await {
            Ok(record) => record,
            Err(object_store::Error::NotFound { .. }) => return Ok(false),
            Err(e) => return Err(BlobError::store("read the upload marker", marker)(e)),
        };
        let record = String::from_utf8_lossy(&record);
        let mut lines = record.lines();
        if let (Some(key), Some(upload)) = (lines.next(), lines.next()) {
            let key = Path::from(key);
            match call(
                "abort multipart",
                client.abort_multipart(&key, &upload.to_owned()),
            )
            .await
            {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(BlobError::store("abort the upload to", &key)(e)),
            }
        }
        let staging = self.shared.keys.staging_data(id);
        match call("delete", client.delete(&staging)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(BlobError::store("delete", &staging)(e)),
        }
        match call("delete", client.delete(marker)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(true),
            Err(e) => Err(BlobError::store("delete", marker)(e)),
        }
    }
}
