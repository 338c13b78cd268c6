//! Copying a blob into an unnamed local temporary file, for stores whose blobs are not
//! local files ([`BlobStore::open_file`](crate::BlobStore::open_file)'s fallback).

use std::io::SeekFrom;
use std::path::Path;

use tokio::io::{AsyncRead, AsyncSeekExt as _};

use crate::error::BlobError;

/// Copies `reader` to a new file in `dir` that is unlinked at once (it lives as long
/// as the returned handle), rewound to its start.
pub(crate) async fn spool(
    reader: &mut (dyn AsyncRead + Send + Unpin),
    dir: &Path,
) -> Result<std::fs::File, BlobError> {
    let random = getrandom::u64().map_err(BlobError::Random)?;
    let path = dir.join(format!(
        ".depot-blob-spool-{}-{random:016x}",
        std::process::id()
    ));
    let mut file = tokio::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .await
        .map_err(BlobError::io("create", &path))?;
    // Unlinked before anything is written: nothing is left behind, whatever happens.
    tokio::fs::remove_file(&path)
        .await
        .map_err(BlobError::io("remove", &path))?;
    tokio::io::copy(reader, &mut file)
        .await
        .map_err(BlobError::io("write", &path))?;
    file.seek(SeekFrom::Start(0))
        .await
        .map_err(BlobError::io("seek", &path))?;
    Ok(file.into_std().await)
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    #[tokio::test]
    async fn spooled_bytes_read_back_and_leave_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let data = vec![7u8; 300_000];
        let mut file = spool(&mut data.as_slice(), dir.path()).await.unwrap();
        let mut back = Vec::new();
        file.read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
