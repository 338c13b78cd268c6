//! Where things live under the store's root directory.
//!
//! ```text
//! <root>/sha256/<first 2 hex>/<64 hex>   committed blobs (256 shard directories, made at open)
//! <root>/tmp/<instance prefix><kind>-<n> in-progress writes and write probes
//! ```

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::Sha256Digest;
use crate::error::BlobError;

/// The paths of one store.
#[derive(Debug)]
pub(super) struct Layout {
    root: PathBuf,
    blobs: PathBuf,
    tmp: PathBuf,
}

impl Layout {
    pub(super) fn new(root: PathBuf) -> Self {
        Self {
            blobs: root.join("sha256"),
            tmp: root.join("tmp"),
            root,
        }
    }

    pub(super) fn root(&self) -> &Path {
        &self.root
    }

    /// `<root>/sha256`
    pub(super) fn blobs_dir(&self) -> &Path {
        &self.blobs
    }

    /// `<root>/tmp`
    pub(super) fn tmp_dir(&self) -> &Path {
        &self.tmp
    }

    /// `<root>/sha256/<first 2 hex>`
    pub(super) fn shard_dir(&self, digest: &Sha256Digest) -> PathBuf {
        self.blobs.join(shard_name(digest))
    }

    /// `<root>/sha256/<first 2 hex>/<64 hex>`
    pub(super) fn blob_path(&self, digest: &Sha256Digest) -> PathBuf {
        self.shard_dir(digest).join(digest.to_string())
    }

    /// Creates `sha256/`, its 256 shard directories and `tmp/`, and makes them durable.
    ///
    /// Blocking. Making every shard up front means a `put` never creates a directory (and
    /// never has to sync a parent) and garbage collection never removes one.
    pub(super) fn create_dirs(&self) -> Result<(), BlobError> {
        std::fs::create_dir_all(&self.blobs).map_err(BlobError::io("create", &self.blobs))?;
        std::fs::create_dir_all(&self.tmp).map_err(BlobError::io("create", &self.tmp))?;
        for byte in 0..=u8::MAX {
            let shard = self.blobs.join(format!("{byte:02x}"));
            create_dir_if_missing(&shard)?;
        }
        sync_dir(&self.blobs)?;
        sync_dir(&self.root)
    }

    /// Re-creates a shard directory that disappeared behind our back (durably).
    pub(super) fn ensure_shard(&self, digest: &Sha256Digest) -> Result<(), BlobError> {
        let shard = self.shard_dir(digest);
        if create_dir_if_missing(&shard)? {
            sync_dir(&self.blobs)?;
        }
        Ok(())
    }
}

/// The shard directory name of a digest: its first byte as two lowercase hex characters.
pub(super) fn shard_name(digest: &Sha256Digest) -> String {
    format!("{:02x}", digest.as_bytes()[0])
}

/// Creates one directory; returns whether it was created.
fn create_dir_if_missing(dir: &Path) -> Result<bool, BlobError> {
    match std::fs::create_dir(dir) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(BlobError::io("create", dir)(e)),
    }
}

/// Makes a directory's entries durable (after a rename or create in it). Blocking.
pub(super) fn sync_dir(dir: &Path) -> Result<(), BlobError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(BlobError::io("sync", dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let layout = Layout::new(PathBuf::from("/data"));
        let digest = Sha256Digest::from_bytes([0x0a; 32]);
        assert_eq!(layout.tmp_dir(), Path::new("/data/tmp"));
        assert_eq!(layout.shard_dir(&digest), Path::new("/data/sha256/0a"));
        assert_eq!(
            layout.blob_path(&digest),
            PathBuf::from("/data/sha256/0a").join("0a".repeat(32))
        );
    }

    #[test]
    fn create_dirs_is_idempotent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let layout = Layout::new(dir.path().join("store"));
        layout.create_dirs().expect("first");
        layout.create_dirs().expect("second");
        let shards = std::fs::read_dir(layout.blobs_dir()).expect("read").count();
        assert_eq!(shards, 256);
        assert!(layout.tmp_dir().is_dir());
    }
}
