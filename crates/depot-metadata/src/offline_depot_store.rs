//! The store of imported ESX offline depots (`com.vmware.esx.settings.depots.offline`).
//!
//! Blob references: a depot's files are held by owner `offline-depot:<id>`
//! ([`depot_model::offline_depot::blob_owner`]), written and dropped in the same
//! transaction as the depot's rows.

use async_trait::async_trait;
use depot_model::{OfflineDepot, OfflineDepotFile, OfflineDepotId, Sha256Digest};

use crate::Result;

/// What became of an inserted offline depot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfflineDepotInsert {
    /// It was stored.
    Inserted,
    /// A depot with the same identity (metadata content) exists: nothing was stored.
    Exists(OfflineDepotId),
}

/// Imported offline depots.
#[async_trait]
pub trait OfflineDepotStore: Send + Sync {
    /// Stores a depot, its `content` (JSON text) and its files, with one blob reference
    /// per distinct file digest, in one transaction; unless a depot of the same
    /// identity exists, which is returned instead.
    async fn insert_offline_depot(
        &self,
        depot: &OfflineDepot,
        content: &str,
        files: &[OfflineDepotFile],
    ) -> Result<OfflineDepotInsert>;

    /// The depot `id`.
    async fn get_offline_depot(&self, id: OfflineDepotId) -> Result<Option<OfflineDepot>>;

    /// Every depot, by create time then id.
    async fn list_offline_depots(&self) -> Result<Vec<OfflineDepot>>;

    /// The `content` JSON of depot `id` (one row read).
    async fn offline_depot_content(&self, id: OfflineDepotId) -> Result<Option<String>>;

    /// The files of depot `id`, by path.
    async fn offline_depot_files(&self, id: OfflineDepotId) -> Result<Vec<OfflineDepotFile>>;

    /// The depot imported from a bundle file whose SHA-256 is `digest`, if any.
    async fn offline_depot_by_source(
        &self,
        digest: &Sha256Digest,
    ) -> Result<Option<OfflineDepotId>>;

    /// Removes depot `id`, its files and its blob references (one transaction);
    /// whether it existed.
    async fn delete_offline_depot(&self, id: OfflineDepotId) -> Result<bool>;
}
