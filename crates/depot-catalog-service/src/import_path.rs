//! Server-local paths, safely: only regular files under the import directory.

use std::path::{Path, PathBuf};

use crate::CatalogServiceError;

/// A path that resolved (symlinks and `..` followed) to a regular file inside the
/// import directory, no larger than the cap when checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportPath {
    /// The path as the caller gave it (for messages).
    pub given: String,
    /// The resolved path.
    pub resolved: PathBuf,
    /// Size when checked.
    pub size: u64,
}

/// What every path that the file system refused is told, whether the file is missing,
/// unreadable, or a link that leads outside the import directory: the answer must not
/// tell a caller what exists elsewhere on the server.
const NOT_IN_IMPORT_DIR: &str = "no such file in the import directory";

/// How much of a refused path the message repeats (the caller's own text, cut short).
const MAX_ECHOED_PATH: usize = 256;

impl ImportPath {
    /// Resolves `given` (absolute, or relative to `import_dir`) and checks it.
    ///
    /// A path whose text leads outside the import directory is refused from the text
    /// alone, before the file system is asked. Then links are followed: whatever the
    /// file system says about a path that does not end at a regular file inside the
    /// directory, the caller gets the same answer, and no message names a server path
    /// the caller did not write.
    pub fn resolve(
        import_dir: &Path,
        given: &str,
        max_bytes: u64,
    ) -> Result<Self, CatalogServiceError> {
        let bad = |reason: String| CatalogServiceError::BadPath {
            path: given.chars().take(MAX_ECHOED_PATH).collect(),
            reason,
        };
        if given.is_empty() {
            return Err(bad("the path is empty".to_owned()));
        }
        if given.contains('\0') {
            return Err(bad("the path contains a NUL byte".to_owned()));
        }
        let root = import_dir.canonicalize().map_err(|e| {
            tracing::error!(import_dir = %import_dir.display(), error = %e, "the import directory is not usable");
            bad("the import directory is not usable (see the server log)".to_owned())
        })?;
        let inside = within(import_dir, &root, Path::new(given))
            .ok_or_else(|| bad("it is outside the import directory".to_owned()))?;
        let not_here = || bad(NOT_IN_IMPORT_DIR.to_owned());
        let resolved = root.join(inside).canonicalize().map_err(|_| not_here())?;
        if !resolved.starts_with(&root) {
            return Err(not_here());
        }
        // Metadata of the resolved path: a FIFO or device is refused before any open.
        let meta = std::fs::metadata(&resolved).map_err(|_| not_here())?;
        if !meta.is_file() {
            return Err(bad("it is not a regular file".to_owned()));
        }
        if meta.len() > max_bytes {
            return Err(bad(format!(
                "it is {} bytes, over the limit of {max_bytes} bytes",
                meta.len()
            )));
        }
        Ok(Self {
            given: given.to_owned(),
            resolved,
            size: meta.len(),
        })
    }

    /// Reads the file, refusing it if it grew past the cap meanwhile.
    pub fn read(&self, max_bytes: u64) -> Result<Vec<u8>, CatalogServiceError> {
        use std::io::Read;
        let bad = |reason: String| CatalogServiceError::BadPath {
            path: self.given.clone(),
            reason,
        };
        let file = std::fs::File::open(&self.resolved)
            .map_err(|e| bad(format!("cannot be opened: {e}")))?;
        let meta = file
            .metadata()
            .map_err(|e| bad(format!("cannot be read: {e}")))?;
        if !meta.is_file() {
            return Err(bad("it is not a regular file".to_owned()));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len().min(max_bytes)).unwrap_or(0));
        file.take(max_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| bad(format!("cannot be read: {e}")))?;
        if bytes.len() as u64 > max_bytes {
            return Err(bad(format!("it is over the limit of {max_bytes} bytes")));
        }
        Ok(bytes)
    }

    /// The file name, as signed (`SHA256(<file name>)= …`).
    pub fn file_name(&self) -> String {
        self.resolved
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    }
}

/// The part of `given` below the import directory, judged from the text alone: `.`
/// and `..` are applied as written, and an absolute path must start with the
/// directory as configured (made absolute) or as resolved. `None` when the text leads
/// outside.
fn within(configured: &Path, resolved_root: &Path, given: &Path) -> Option<PathBuf> {
    let given = lexical(given)?;
    if !given.is_absolute() {
        return Some(given);
    }
    let configured = std::path::absolute(configured)
        .ok()
        .and_then(|p| lexical(&p));
    [configured.as_deref(), Some(resolved_root)]
        .into_iter()
        .flatten()
        .find_map(|root| given.strip_prefix(root).ok().map(Path::to_path_buf))
}

/// `path` with `.` dropped and each `..` taking back the component before it; `None`
/// when a `..` would climb above the start (of a relative path, or the root).
fn lexical(path: &Path) -> Option<PathBuf> {
    use std::path::Component;
    let mut out = PathBuf::new();
    let mut depth = 0usize;
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => out.push(component),
            Component::CurDir => {}
            Component::ParentDir => {
                depth = depth.checked_sub(1)?;
                out.pop();
            }
            Component::Normal(name) => {
                depth += 1;
                out.push(name);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests;
