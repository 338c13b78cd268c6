//! The data directory: created on first start, locked against a second server,
//! checked writable, and home of the node id.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// An open, locked data directory. The lock is held until this is dropped.
#[derive(Debug)]
pub struct DataDir {
    root: PathBuf,
    _lock: File,
    node_id: String,
}

impl DataDir {
    /// Creates (if needed), locks and checks the data directory.
    pub fn open(root: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(root)
            .with_context(|| format!("cannot create the data directory {}", root.display()))?;
        let lock_path = root.join("depotd.lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| not_writable(root))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => bail!(
                "the data directory {} is in use by another depotd (lock {} is held); \
                 stop it or choose another --data-dir",
                root.display(),
                lock_path.display()
            ),
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", lock_path.display()));
            }
        }
        probe(root)?;
        let node_id = node_id(root)?;
        Ok(Self {
            root: root.to_path_buf(),
            _lock: lock,
            node_id,
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// This node's stable id.
    pub fn node_id(&self) -> &str {
        &self.node_id
    }
}

/// Writes, syncs and removes a probe file: fails early on a read-only or full disk.
fn probe(root: &Path) -> anyhow::Result<()> {
    let path = root.join(".write-probe");
    let result = (|| {
        let mut f = File::create(&path)?;
        f.write_all(&[0u8; 4096])?;
        f.sync_all()
    })();
    let _ = std::fs::remove_file(&path);
    result.with_context(|| not_writable(root))
}

fn not_writable(root: &Path) -> String {
    format!(
        "the data directory {} is not writable (read-only or full disk?)",
        root.display()
    )
}

fn node_id(root: &Path) -> anyhow::Result<String> {
    let path = root.join("node-id");
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    let id = uuid::Uuid::new_v4().to_string();
    write_atomic(&path, id.as_bytes())?;
    Ok(id)
}

/// Writes a small file atomically: temp file, fsync, rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_open_is_refused_and_node_id_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDir::open(dir.path()).unwrap();
        let err = DataDir::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("in use by another depotd"), "{err}");
        let id = first.node_id().to_owned();
        drop(first);
        let again = DataDir::open(dir.path()).unwrap();
        assert_eq!(again.node_id(), id);
    }
}
