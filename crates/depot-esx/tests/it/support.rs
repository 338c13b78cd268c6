//! Shared helpers: a real blob store in a temp dir, and running a bundle through the
//! parser or the importer.

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use depot_blobs::{BlobStore, FsBlobStore};
use depot_esx::{
    DiscardPayloads, EsxDepot, EsxError, ImportProgress, ImportedDepot, Limits, import_bundle,
    parse_bundle,
};

/// A file-system blob store in its own temp dir.
pub struct Store {
    pub dir: tempfile::TempDir,
    pub store: Arc<FsBlobStore>,
}

impl Store {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(FsBlobStore::open(dir.path()).await.expect("open store"));
        Self { dir, store }
    }

    /// Imports `bundle` (written to a file first, as an upload would be).
    pub async fn import(&self, bundle: &[u8], limits: Limits) -> Result<ImportedDepot, EsxError> {
        let file = bundle_file(bundle);
        import_bundle(file, self.store.clone(), limits, &ImportProgress::new()).await
    }

    /// Nothing committed and no temp file left.
    pub async fn assert_empty(&self) {
        assert!(
            self.store.list().await.expect("list").is_empty(),
            "blobs were committed"
        );
        let tmp = files_under(&self.dir.path().join("tmp"));
        assert!(tmp.is_empty(), "temp files left: {tmp:?}");
    }
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries.filter_map(Result::ok).map(|e| e.path()).collect()
}

/// `bundle` as an unlinked temp file, rewound.
pub fn bundle_file(bundle: &[u8]) -> std::fs::File {
    use std::io::{Seek as _, Write as _};
    let mut file = tempfile::tempfile().expect("temp file");
    file.write_all(bundle).expect("write bundle");
    file.rewind().expect("rewind");
    file
}

/// Parses `bundle` with the default limits, discarding payloads.
pub fn parse(bundle: &[u8]) -> Result<EsxDepot, EsxError> {
    parse_with(bundle, &Limits::default())
}

/// Parses `bundle` with `limits`, discarding payloads.
pub fn parse_with(bundle: &[u8], limits: &Limits) -> Result<EsxDepot, EsxError> {
    parse_bundle(Cursor::new(bundle), limits, &mut DiscardPayloads)
}

/// Imports `bundle` into a fresh store with `limits`; it must fail, leaving the store
/// empty. Returns the error.
pub async fn refused_with(bundle: &[u8], limits: Limits) -> EsxError {
    let store = Store::new().await;
    let error = store
        .import(bundle, limits)
        .await
        .err()
        .expect("the bundle was accepted");
    store.assert_empty().await;
    error
}

/// [`refused_with`] the default limits.
pub async fn refused(bundle: &[u8]) -> EsxError {
    refused_with(bundle, Limits::default()).await
}

/// Replaces every occurrence of `from` in `bytes` by `to` (same length): for zip
/// directories that lie.
pub fn patch(bytes: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    assert_eq!(from.len(), to.len());
    let mut count = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            count += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    count
}

/// The offset of the central directory header of the entry `name`.
pub fn central_header(bytes: &[u8], name: &str) -> usize {
    let sig = [0x50, 0x4b, 0x01, 0x02];
    (0..bytes.len() - 46)
        .find(|&i| {
            bytes[i..i + 4] == sig && {
                let len = usize::from(u16::from_le_bytes([bytes[i + 28], bytes[i + 29]]));
                bytes.get(i + 46..i + 46 + len) == Some(name.as_bytes())
            }
        })
        .expect("central directory header of the entry")
}
