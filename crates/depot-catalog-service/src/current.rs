//! The current catalog as served: its serialized bytes (and, made on first demand, a
//! gzip form), plus its parsed form for merges — all cached by version id.

use std::io::Write;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use bytes::Bytes;
use depot_blobs::{BlobStore, Sha256Digest};
use depot_catalog::ProductVersionCatalog;
use depot_metadata::MetadataStore;
use depot_model::CatalogVersion;
use tokio::io::AsyncReadExt;

use crate::CatalogServiceError;

/// The cached forms of one catalog version.
pub struct CachedCatalog {
    /// The version id.
    pub id: i64,
    /// The catalog as served.
    pub bytes: Bytes,
    gzip: OnceLock<Bytes>,
    parsed: Option<Arc<ProductVersionCatalog>>,
}

impl CachedCatalog {
    /// The parsed form: cached when the version was accepted by this process, else parsed
    /// now (blocking: call off the async executor).
    pub fn parsed_or_parse(
        &self,
    ) -> Result<Arc<ProductVersionCatalog>, depot_catalog::CatalogError> {
        match &self.parsed {
            Some(parsed) => Ok(Arc::clone(parsed)),
            None => depot_catalog::parse_catalog(&self.bytes).map(Arc::new),
        }
    }

    /// The gzip form, compressed on first use.
    pub fn gzip(&self) -> Bytes {
        self.gzip.get_or_init(|| compress(&self.bytes)).clone()
    }
}

fn compress(bytes: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 8),
        flate2::Compression::best(),
    );
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    Bytes::from(encoder.finish().unwrap_or_default())
}

/// The cache of the current catalog.
#[derive(Default)]
pub struct CurrentCache {
    entry: RwLock<Option<Arc<CachedCatalog>>>,
}

impl CurrentCache {
    /// The current version and its cached forms: from the cache when the stored
    /// current version is the cached one (one small query), else read from the blob store.
    pub async fn get(
        &self,
        store: &dyn MetadataStore,
        blobs: &dyn BlobStore,
    ) -> Result<Option<(CatalogVersion, Arc<CachedCatalog>)>, CatalogServiceError> {
        let Some(version) = store.current_catalog().await? else {
            return Ok(None);
        };
        if let Some(cached) = self.cached(version.id) {
            return Ok(Some((version, cached)));
        }
        let bytes = load(blobs, &version).await?;
        Ok(Some((version.clone(), self.put(version.id, bytes, None))))
    }

    /// The parsed form of version `id`, if cached.
    pub fn parsed(&self, id: i64) -> Option<Arc<ProductVersionCatalog>> {
        self.cached(id).and_then(|c| c.parsed.clone())
    }

    /// Remembers a version's content (and parsed form) just accepted or loaded.
    pub fn put(
        &self,
        id: i64,
        bytes: Bytes,
        parsed: Option<Arc<ProductVersionCatalog>>,
    ) -> Arc<CachedCatalog> {
        let entry = Arc::new(CachedCatalog {
            id,
            bytes,
            gzip: OnceLock::new(),
            parsed,
        });
        *self.entry.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&entry));
        entry
    }

    fn cached(&self, id: i64) -> Option<Arc<CachedCatalog>> {
        self.entry
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|c| c.id == id)
            .cloned()
    }
}

/// Reads a version's content blob.
pub async fn load(
    blobs: &dyn BlobStore,
    version: &CatalogVersion,
) -> Result<Bytes, CatalogServiceError> {
    let digest: Sha256Digest = version.content_digest.parse()?;
    let (mut reader, size) = blobs.open(&digest).await?;
    let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    reader
        .read_to_end(&mut buf)
        .await
        .map_err(|e| depot_blobs::BlobError::Source { source: e })?;
    Ok(Bytes::from(buf))
}

/// Shared handle.
pub type SharedCache = Arc<CurrentCache>;
