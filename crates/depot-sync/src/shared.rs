//! What the sync service and the sync job share: the stores, the fixed configuration,
//! the key of sealed secrets and the catalog's trust anchors and cache.

use std::sync::Arc;

use bytes::Bytes;
use depot_blobs::{BlobStore, Sha256Digest};
use depot_catalog::TrustStore;
use depot_catalog_service::CurrentCache;
use depot_metadata::MetadataStore;
use depot_model::{StoredDepotSettings, Timestamp};

use crate::SyncError;
use crate::config::SyncConfig;
use crate::settings::Document;
use depot_secrets::SecretBox;

/// The parts of a depot sync.
pub struct SyncParts {
    /// Metadata store.
    pub store: Arc<dyn MetadataStore>,
    /// Blob store.
    pub blobs: Arc<dyn BlobStore>,
    /// Paths, proxy, timeouts.
    pub config: SyncConfig,
    /// Seals the stored secrets.
    pub sealer: Arc<SecretBox>,
    /// Trust anchors of catalog signatures (the same as for uploads).
    pub trust: Arc<TrustStore>,
    /// The current catalog's cache, refreshed when a sync accepts a catalog.
    pub catalog_cache: Arc<CurrentCache>,
}

impl SyncParts {
    /// The stored settings document, if any.
    pub(crate) async fn document(&self) -> Result<Option<Document>, SyncError> {
        Ok(self.versioned_document().await?.map(|(doc, _)| doc))
    }

    /// The stored settings document and when it was written (its version).
    pub(crate) async fn versioned_document(
        &self,
    ) -> Result<Option<(Document, Timestamp)>, SyncError> {
        self.store
            .depot_settings()
            .await?
            .map(|s| Document::decode(&s.document).map(|doc| (doc, s.updated_at)))
            .transpose()
    }

    /// Stores `doc` as written by `user`.
    pub(crate) async fn save_document(&self, doc: &Document, user: &str) -> Result<(), SyncError> {
        let stored = StoredDepotSettings {
            document: doc.encode(),
            updated_at: depot_model::now(),
            updated_by: user.to_owned(),
        };
        self.store.put_depot_settings(Some(&stored)).await?;
        Ok(())
    }

    /// Records a connection status on the stored settings (after a sync's request), if
    /// they are still the version written at `version` — a sync of a depot that was
    /// replaced meanwhile says nothing about the new one. The write is a compare-and-set
    /// on that version, so a PUT landing after the read is never overwritten.
    pub(crate) async fn note_status(
        &self,
        code: &str,
        message: &str,
        version: Timestamp,
    ) -> Result<(), SyncError> {
        let Some(stored) = self
            .store
            .depot_settings()
            .await?
            .filter(|s| s.updated_at == version)
        else {
            return Ok(());
        };
        let mut doc = Document::decode(&stored.document)?;
        doc.set_status(code, message);
        self.store
            .update_depot_settings_document(version, &doc.encode())
            .await?;
        Ok(())
    }

    /// A synced file's bytes (files are fetched under the configured size cap).
    pub(crate) async fn read_blob(&self, digest: &Sha256Digest) -> Result<Bytes, SyncError> {
        let bytes = self
            .blobs
            .read_all(digest, self.config.max_file_bytes)
            .await?;
        Ok(Bytes::from(bytes))
    }
}
