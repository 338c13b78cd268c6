//! Garbage collection: remove unreferenced blobs older than a grace period.

use std::io;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use super::FsBlobStore;
use super::layout::Layout;
use crate::Sha256Digest;
use crate::error::BlobError;
use crate::store::GcReport;

impl FsBlobStore {
    pub(super) async fn collect_garbage_impl(
        &self,
        referenced: &(dyn for<'d> Fn(&'d Sha256Digest) -> bool + Sync),
        grace: Duration,
    ) -> Result<GcReport, BlobError> {
        let mut report = GcReport::default();
        let now = SystemTime::now();
        // Only `sha256/` is walked: temp files of in-progress writes are never candidates.
        let candidates: Vec<Sha256Digest> = self
            .walk()
            .await?
            .into_iter()
            .filter_map(|entry| {
                // A blob fresh at walk time can only have been refreshed since: keep it
                // without a second look. Older ones are re-checked under the lock.
                if referenced(&entry.digest) || age(now, entry.modified) < grace {
                    report.kept += 1;
                    report.bytes_kept += entry.size;
                    None
                } else {
                    Some(entry.digest)
                }
            })
            .collect();
        let layout = self.layout.clone();
        let lock = self.commit_lock.clone();
        let swept = tokio::task::spawn_blocking(move || sweep(&layout, &lock, &candidates, grace))
            .await??;
        report.removed = swept.removed;
        report.bytes_freed = swept.bytes_freed;
        report.kept += swept.kept;
        report.bytes_kept += swept.bytes_kept;
        tracing::info!(
            removed = report.removed,
            bytes_freed = report.bytes_freed,
            kept = report.kept,
            grace_secs = grace.as_secs(),
            "blob garbage collection finished"
        );
        Ok(report)
    }
}

/// Removes each candidate that is at least `grace` old. Blocking.
///
/// Age check and removal happen under the commit lock, so a concurrent `put` of the same
/// content either refreshed the blob's mtime first (and it is kept) or runs after the
/// removal (and writes it anew).
fn sweep(
    layout: &Layout,
    lock: &Mutex<()>,
    candidates: &[Sha256Digest],
    grace: Duration,
) -> Result<GcReport, BlobError> {
    let mut report = GcReport::default();
    for digest in candidates {
        let path = layout.blob_path(digest);
        let _guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(BlobError::io("stat", &path)(e)),
        };
        let modified = meta.modified().map_err(BlobError::io("stat", &path))?;
        if age(SystemTime::now(), modified) < grace {
            report.kept += 1;
            report.bytes_kept += meta.len();
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => {
                tracing::debug!(%digest, size = meta.len(), "unreferenced blob removed");
                report.removed += 1;
                report.bytes_freed += meta.len();
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(BlobError::io("remove", &path)(e)),
        }
    }
    Ok(report)
}

/// How long ago `modified` was; an mtime in the future (clock stepped back) counts as zero.
fn age(now: SystemTime, modified: SystemTime) -> Duration {
    now.duration_since(modified).unwrap_or(Duration::ZERO)
}
