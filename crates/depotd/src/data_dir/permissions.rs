//! Keeping the data directory private: the database holds password hashes and sealed
//! secrets, the blobs hold what the site paid for, so no other local user may read them.
//!
//! New files: [`restrict_new_files`] sets the process umask to `077` at start, so every
//! file depotd creates — the SQLite database (SQLite gives its `-wal` and `-shm` files
//! the database's mode), blobs, TLS material — is `0600` and every directory `0700`.
//! Existing data: [`tighten`] removes group and other access from the data directory,
//! every directory below it, and the files at its top level (the database and its
//! companions, keys, the node id); blobs lie in directories only the owner can enter.

use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;

/// The access bits taken from group and other.
const NOT_OWNER: u32 = 0o077;

/// Makes every file and directory the process creates from now on owner-only.
pub fn restrict_new_files() {
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(NOT_OWNER));
}

/// Creates `dir` and its missing parents; the directories made are `0700`.
pub(super) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Removes group and other access from `root`, the directories below it and the files
/// at its top level, and warns once with what it changed. Failures are warnings: a
/// data dir on a filesystem without Unix modes still serves.
pub fn tighten(root: &Path) {
    let mut changed = Vec::new();
    let mut failed = Vec::new();
    tighten_dir(root, true, &mut changed, &mut failed);
    if !changed.is_empty() {
        tracing::warn!(
            data_dir = %root.display(),
            count = changed.len(),
            first = %changed[0],
            "other users could read the data directory: group and other access removed"
        );
    }
    if let Some(first) = failed.first() {
        tracing::warn!(
            data_dir = %root.display(),
            count = failed.len(),
            first = %first,
            "other users can read parts of the data directory and depotd cannot change that"
        );
    }
}

#[cfg(unix)]
fn tighten_dir(dir: &Path, top: bool, changed: &mut Vec<String>, failed: &mut Vec<String>) {
    tighten_one(dir, changed, failed);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        // `file_type` does not follow symbolic links: a link is left alone, and so is
        // what it points to (it is the operator's choice, e.g. a blob volume).
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            tighten_dir(&entry.path(), false, changed, failed);
        } else if kind.is_file() && top {
            tighten_one(&entry.path(), changed, failed);
        }
    }
}

#[cfg(unix)]
fn tighten_one(path: &Path, changed: &mut Vec<String>, failed: &mut Vec<String>) {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    let mode = meta.permissions().mode();
    if mode & NOT_OWNER == 0 {
        return;
    }
    let tight = std::fs::Permissions::from_mode(mode & 0o7700);
    match std::fs::set_permissions(path, tight) {
        Ok(()) => changed.push(format!("{} ({:o})", path.display(), mode & 0o7777)),
        Err(_) => failed.push(path.display().to_string()),
    }
}

#[cfg(not(unix))]
fn tighten_dir(_: &Path, _: bool, _: &mut Vec<String>, _: &mut Vec<String>) {}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    }

    fn set(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn tighten_removes_group_and_other_access() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("data");
        let shard = root.join("blobs/sha256/ab");
        std::fs::create_dir_all(&shard).unwrap();
        for (file, m) in [
            ("depotd.db", 0o644),
            ("depotd.db-wal", 0o664),
            ("node-id", 0o600),
        ] {
            std::fs::write(root.join(file), b"x").unwrap();
            set(&root.join(file), m);
        }
        std::fs::write(shard.join("blob"), b"x").unwrap();
        set(&shard.join("blob"), 0o644);
        for dir in [&root, &root.join("blobs"), &shard] {
            set(dir, 0o755);
        }
        let outside = tmp.path().join("elsewhere");
        std::fs::write(&outside, b"x").unwrap();
        set(&outside, 0o644);
        std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();

        tighten(&root);

        for dir in [
            &root,
            &root.join("blobs"),
            &root.join("blobs/sha256"),
            &shard,
        ] {
            assert_eq!(mode(dir), 0o700, "{}", dir.display());
        }
        for file in ["depotd.db", "depotd.db-wal", "node-id"] {
            assert_eq!(mode(&root.join(file)), 0o600, "{file}");
        }
        // Blobs below the top level are reached only through owner-only directories.
        assert_eq!(mode(&shard.join("blob")), 0o644);
        // A link's target is not the data dir's to change.
        assert_eq!(mode(&outside), 0o644);
    }

    #[test]
    fn created_directories_are_owner_only() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        create_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir) & NOT_OWNER, 0);
        assert_eq!(mode(&tmp.path().join("a")) & NOT_OWNER, 0);
    }
}
