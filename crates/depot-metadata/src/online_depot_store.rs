//! The store of ESX online depots (`com.vmware.esx.settings.depots.online`): the depots,
//! the content of each one's last good sync and the VIB payloads it holds.
//!
//! Blob references: a depot's payloads are held by owner `online-depot:<id>`
//! ([`depot_model::online_depot::blob_owner`]), rewritten in the same transaction as the
//! payload rows and dropped with the depot.

use async_trait::async_trait;
use depot_model::{OnlineDepot, OnlineDepotContent, OnlineDepotId, OnlineDepotState, Timestamp};

use crate::Result;

/// Online depots.
#[async_trait]
pub trait OnlineDepotStore: Send + Sync {
    /// Stores a new depot; [`AlreadyExists`](crate::MetadataError::AlreadyExists) when
    /// its id or its location is taken.
    async fn insert_online_depot(&self, depot: &OnlineDepot) -> Result<()>;

    /// Every depot, by creation time.
    async fn list_online_depots(&self) -> Result<Vec<OnlineDepot>>;

    /// The depot `id`.
    async fn get_online_depot(&self, id: OnlineDepotId) -> Result<Option<OnlineDepot>>;

    /// Sets what is `Some`; whether the depot exists.
    async fn update_online_depot(
        &self,
        id: OnlineDepotId,
        enabled: Option<bool>,
        description: Option<&str>,
    ) -> Result<bool>;

    /// Removes the depot, its payload rows and their blob references (one transaction);
    /// whether it existed.
    async fn delete_online_depot(&self, id: OnlineDepotId) -> Result<bool>;

    /// The depot's last good content and last attempt; `None` when there is no such depot.
    async fn online_depot_state(&self, id: OnlineDepotId) -> Result<Option<OnlineDepotState>>;

    /// Records a successful sync: its content replaces the previous one, its payloads are
    /// added (and, with `cleanup`, the payloads it no longer names are dropped), and the
    /// blob references follow the payload rows — one transaction. Whether the depot still
    /// exists (a depot deleted during its sync keeps nothing).
    async fn record_online_sync(
        &self,
        id: OnlineDepotId,
        content: &OnlineDepotContent,
        cleanup: bool,
    ) -> Result<bool>;

    /// Records a failed sync at `at`, keeping the previous content; whether the depot exists.
    async fn record_online_sync_failure(
        &self,
        id: OnlineDepotId,
        at: Timestamp,
        error: &str,
    ) -> Result<bool>;
}
