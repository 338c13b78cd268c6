//! The size of the file system holding the store, and its free space (`statvfs`).

use std::path::Path;

use super::FsBlobStore;
use crate::error::BlobError;
use crate::store::Capacity;

impl FsBlobStore {
    pub(super) async fn capacity_impl(&self) -> Result<Option<Capacity>, BlobError> {
        let root = self.layout.root().to_path_buf();
        tokio::task::spawn_blocking(move || of_file_system(&root)).await?
    }
}

/// `statvfs` of the file system holding `path`: its size, and the space an
/// unprivileged process may still use (`f_bavail`, what `df` calls available).
#[cfg(unix)]
fn of_file_system(path: &Path) -> Result<Option<Capacity>, BlobError> {
    let stat = rustix::fs::statvfs(path)
        .map_err(|e| BlobError::io("statvfs", path)(std::io::Error::from(e)))?;
    // Block counts are in fragments (`f_frsize`); some systems leave it 0 and count in
    // `f_bsize`.
    let unit = if stat.f_frsize == 0 {
        stat.f_bsize
    } else {
        stat.f_frsize
    };
    Ok(Some(Capacity {
        total: stat.f_blocks.saturating_mul(unit),
        free: stat.f_bavail.saturating_mul(unit),
    }))
}

/// Without `statvfs` the store does not know its file system's size.
#[cfg(not(unix))]
fn of_file_system(_path: &Path) -> Result<Option<Capacity>, BlobError> {
    Ok(None)
}
