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

impl ImportPath {
    /// Resolves `given` (absolute, or relative to `import_dir`) and checks it.
    pub fn resolve(
        import_dir: &Path,
        given: &str,
        max_bytes: u64,
    ) -> Result<Self, CatalogServiceError> {
        let bad = |reason: String| CatalogServiceError::BadPath {
            path: given.to_owned(),
            reason,
        };
        if given.is_empty() {
            return Err(bad("the path is empty".to_owned()));
        }
        if given.contains('\0') {
            return Err(bad("the path contains a NUL byte".to_owned()));
        }
        let root = import_dir.canonicalize().map_err(|e| {
            bad(format!(
                "the import directory {} is not usable: {e}",
                import_dir.display()
            ))
        })?;
        let candidate = Path::new(given);
        let joined = if candidate.is_absolute() {
            candidate.to_path_buf()
        } else {
            root.join(candidate)
        };
        let resolved = joined.canonicalize().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => bad("no such file".to_owned()),
            _ => bad(format!("cannot be resolved: {e}")),
        })?;
        if !resolved.starts_with(&root) {
            return Err(bad(format!(
                "it is outside the import directory {}",
                root.display()
            )));
        }
        // Metadata of the resolved path: a FIFO or device is refused before any open.
        let meta = std::fs::metadata(&resolved).map_err(|e| bad(format!("cannot be read: {e}")))?;
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

#[cfg(test)]
mod tests;
