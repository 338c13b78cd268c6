//! Walking the `sha256/` tree: `list`, `usage`, and the input of garbage collection.

use std::path::Path;
use std::time::SystemTime;

use super::FsBlobStore;
use super::layout::shard_name;
use crate::Sha256Digest;
use crate::error::BlobError;

/// One committed blob found by a walk.
#[derive(Debug, Clone, Copy)]
pub(super) struct WalkEntry {
    pub(super) digest: Sha256Digest,
    pub(super) size: u64,
    pub(super) modified: SystemTime,
}

impl FsBlobStore {
    /// Every committed blob (unsorted). Files that are not blobs are skipped with a warning.
    pub(super) async fn walk(&self) -> Result<Vec<WalkEntry>, BlobError> {
        let layout = self.layout.clone();
        tokio::task::spawn_blocking(move || walk_blobs(layout.blobs_dir())).await?
    }
}

/// Walks `<blobs>/<shard>/<digest>`. Blocking.
fn walk_blobs(blobs: &Path) -> Result<Vec<WalkEntry>, BlobError> {
    let mut found = Vec::new();
    for shard in std::fs::read_dir(blobs).map_err(BlobError::io("list", blobs))? {
        let shard = shard.map_err(BlobError::io("list", blobs))?;
        let shard_path = shard.path();
        let is_dir = shard
            .file_type()
            .map_err(BlobError::io("stat", &shard_path))?
            .is_dir();
        if !is_dir {
            tracing::warn!(path = %shard_path.display(), "skipping non-directory in blob tree");
            continue;
        }
        walk_shard(&shard_path, &mut found)?;
    }
    Ok(found)
}

fn walk_shard(shard: &Path, found: &mut Vec<WalkEntry>) -> Result<(), BlobError> {
    let shard_name_seen = shard.file_name().and_then(|n| n.to_str()).unwrap_or("");
    for entry in std::fs::read_dir(shard).map_err(BlobError::io("list", shard))? {
        let entry = entry.map_err(BlobError::io("list", shard))?;
        let path = entry.path();
        let meta = match entry.metadata() {
            Ok(meta) => meta,
            // Deleted between listing and stat.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(BlobError::io("stat", &path)(e)),
        };
        let digest = entry
            .file_name()
            .to_str()
            .and_then(|name| canonical_digest(name, shard_name_seen));
        match digest {
            Some(digest) if meta.is_file() => found.push(WalkEntry {
                digest,
                size: meta.len(),
                modified: meta.modified().map_err(BlobError::io("stat", &path))?,
            }),
            _ => tracing::warn!(path = %path.display(), "skipping file that is not a blob"),
        }
    }
    Ok(())
}

/// The digest named by `name` if it is exactly how a blob in `shard` is named
/// (lowercase hex, in its own shard).
fn canonical_digest(name: &str, shard: &str) -> Option<Sha256Digest> {
    let digest: Sha256Digest = name.parse().ok()?;
    (digest.to_string() == name && shard_name(&digest) == shard).then_some(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_names_in_their_shard_are_blobs() {
        let digest = Sha256Digest::compute(b"x");
        let name = digest.to_string();
        let shard = shard_name(&digest);
        assert_eq!(canonical_digest(&name, &shard), Some(digest));
        assert_eq!(canonical_digest(&name.to_uppercase(), &shard), None);
        assert_eq!(canonical_digest(&name, "zz"), None);
        assert_eq!(canonical_digest(&format!("{name}.tmp"), &shard), None);
    }

    #[test]
    fn walk_skips_junk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let digest = Sha256Digest::compute(b"blob");
        let shard = dir.path().join(shard_name(&digest));
        std::fs::create_dir(&shard).expect("mkdir");
        std::fs::write(shard.join(digest.to_string()), b"blob").expect("write");
        std::fs::write(shard.join("junk"), b"junk").expect("write");
        std::fs::create_dir(shard.join("0".repeat(64))).expect("mkdir");
        std::fs::write(dir.path().join("README"), b"hi").expect("write");

        let found = walk_blobs(dir.path()).expect("walk");
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].digest, found[0].size), (digest, 4));
    }
}
