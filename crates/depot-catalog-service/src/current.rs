//! The current catalog as served: its serialized bytes, cached by version id.

use std::sync::{Arc, RwLock};

use bytes::Bytes;
use depot_blobs::{BlobStore, Sha256Digest};
use depot_metadata::MetadataStore;
use depot_model::CatalogVersion;
use tokio::io::AsyncReadExt;

use crate::CatalogServiceError;

/// The cached serialized form of the current catalog.
#[derive(Default)]
pub struct CurrentCache {
    entry: RwLock<Option<(i64, Bytes)>>,
}

impl CurrentCache {
    /// The current version and its content: from the cache when the stored current
    /// version is the cached one (one small query), else read from the blob store.
    pub async fn get(
        &self,
        store: &dyn MetadataStore,
        blobs: &dyn BlobStore,
    ) -> Result<Option<(CatalogVersion, Bytes)>, CatalogServiceError> {
        let Some(version) = store.current_catalog().await? else {
            return Ok(None);
        };
        if let Some((id, bytes)) = self.read().as_ref()
            && *id == version.id
        {
            return Ok(Some((version, bytes.clone())));
        }
        let bytes = load(blobs, &version).await?;
        *self
            .entry
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((version.id, bytes.clone()));
        Ok(Some((version, bytes)))
    }

    /// Remembers content just accepted by this node.
    pub fn put(&self, id: i64, bytes: Bytes) {
        *self
            .entry
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((id, bytes));
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Option<(i64, Bytes)>> {
        self.entry
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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
