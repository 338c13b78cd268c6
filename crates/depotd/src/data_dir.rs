//! The data directory: created on first start, locked against a second server,
//! checked writable, kept private to its owner, and home of the node id and the key of
//! sealed secrets.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

mod permissions;

use permissions::create_private_dir;
pub use permissions::{restrict_new_files, tighten};

/// An open, locked data directory. The lock is held until this is dropped.
#[derive(Debug)]
pub struct DataDir {
    root: PathBuf,
    _lock: File,
    node_id: String,
}

impl DataDir {
    /// Creates (if needed), locks and checks the data directory, and tightens modes
    /// that let other users in (see [`tighten`]).
    pub fn open(root: &Path) -> anyhow::Result<Self> {
        create_private_dir(root)
            .with_context(|| format!("cannot create the data directory {}", root.display()))?;
        tighten(root);
        let lock_path = root.join("depotd.lock");
        let lock = lock(
            &lock_path,
            || not_writable(root),
            || {
                format!(
                    "the data directory {} is in use by another depotd (lock {} is held); \
                 stop it or choose another --data-dir",
                    root.display(),
                    lock_path.display()
                )
            },
        )?;
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

    /// The 32-byte key that seals stored secrets: read from `configured` (raw, or 64 hex
    /// digits), else `secrets.key` here (owner-only), made on first use. Replicas
    /// sharing a database must be given the same key.
    pub fn secret_key(&self, configured: Option<&Path>) -> anyhow::Result<[u8; 32]> {
        if let Some(path) = configured {
            return read_secret_key(path);
        }
        let path = self.root.join("secrets.key");
        match std::fs::metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                getrandom::fill(&mut key).context("no randomness for the secret key")?;
                write_atomic_private(&path, &key)?;
                Ok(key)
            }
            _ => read_secret_key(&path),
        }
    }
}

/// A key file: exactly 32 bytes, or 64 hex digits (surrounding whitespace ignored).
fn read_secret_key(path: &Path) -> anyhow::Result<[u8; 32]> {
    let bytes = std::fs::read(path).with_context(|| {
        format!(
            "cannot read the secret key file {} (make one with `openssl rand -hex 32 > FILE`)",
            path.display()
        )
    })?;
    warn_if_readable_by_others(path);
    if let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice()) {
        return Ok(key);
    }
    std::str::from_utf8(&bytes)
        .ok()
        .and_then(|text| hex::decode(text.trim()).ok())
        .and_then(|key| <[u8; 32]>::try_from(key.as_slice()).ok())
        .with_context(|| {
            format!(
                "the secret key file {} must hold 32 bytes, raw or as 64 hex digits",
                path.display()
            )
        })
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %path.display(),
            "the secret key file can be read by other users than its owner"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// Locks a SQLite database file against a second server (`<file>.depotd-lock`, held
/// until the returned file is dropped): the cache of the current catalog relies on one
/// server accepting every catalog, and each server's blobs are in its own data dir.
pub fn lock_database(database: &Path) -> anyhow::Result<File> {
    let mut name = database.as_os_str().to_owned();
    name.push(".depotd-lock");
    let lock_path = PathBuf::from(name);
    lock(
        &lock_path,
        || format!("cannot create the lock file {}", lock_path.display()),
        || {
            format!(
                "the database {} is in use by another depotd server (lock {} is held); \
                 one SQLite database serves one server — use PostgreSQL for replicas",
                database.display(),
                lock_path.display()
            )
        },
    )
}

/// Opens (creating it) and exclusively locks `path`.
fn lock(
    path: &Path,
    cannot_open: impl FnOnce() -> String,
    held: impl FnOnce() -> String,
) -> anyhow::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(cannot_open)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => bail!(held()),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
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
    write_atomic_mode(path, bytes, 0o644)
}

/// [`write_atomic`] for a file only its owner may read.
fn write_atomic_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    write_atomic_mode(path, bytes, 0o600)
}

fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let result = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        #[cfg(not(unix))]
        let _ = mode;
        let mut f = options.open(&tmp)?;
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

    #[test]
    fn secret_key_is_made_once_and_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::open(dir.path()).unwrap();
        let key = data.secret_key(None).unwrap();
        assert_eq!(data.secret_key(None).unwrap(), key);
        assert_ne!(key, [0; 32]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secrets.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(dir.path().join("secrets.key"), b"short").unwrap();
        assert!(data.secret_key(None).is_err());
    }

    #[test]
    fn configured_secret_key_is_raw_or_hex_and_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::open(&dir.path().join("data")).unwrap();
        let raw = dir.path().join("raw.key");
        std::fs::write(&raw, [7u8; 32]).unwrap();
        assert_eq!(data.secret_key(Some(&raw)).unwrap(), [7u8; 32]);
        let hex = dir.path().join("hex.key");
        std::fs::write(&hex, format!("{}\n", "0a".repeat(32))).unwrap();
        assert_eq!(data.secret_key(Some(&hex)).unwrap(), [10u8; 32]);
        // Given a key, the data dir makes none of its own.
        assert!(!dir.path().join("data/secrets.key").exists());

        let missing = dir.path().join("missing.key");
        let e = format!("{:#}", data.secret_key(Some(&missing)).unwrap_err());
        assert!(
            e.contains("missing.key") && e.contains("openssl rand -hex 32"),
            "{e}"
        );
        for bad in [&b"0a0a"[..], &[1u8; 33][..], "zz".repeat(32).as_bytes()] {
            std::fs::write(&raw, bad).unwrap();
            let e = format!("{:#}", data.secret_key(Some(&raw)).unwrap_err());
            assert!(e.contains("32 bytes, raw or as 64 hex digits"), "{e}");
        }
    }
}
