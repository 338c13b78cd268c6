//! Creating, reading, changing and removing online depots, and the content view of
//! each one's last good sync.

use depot_model::{OnlineDepot, OnlineDepotId, UserName};
use serde_json::{Value, json};

use crate::{DepotLocation, OnlineDepotError, OnlineDepots};

/// A new online depot, as a client asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOnlineDepot {
    /// Free text (empty when not given).
    pub description: Option<String>,
    /// The URL of its index document or directory.
    pub location: String,
    /// Whether syncs include it (default true).
    pub enabled: Option<bool>,
    /// The creating solution's data.
    pub ownerdata: Option<String>,
}

/// A change to an online depot: what is `Some` is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnlineDepotUpdate {
    /// Whether syncs include it.
    pub enabled: Option<bool>,
    /// The description.
    pub description: Option<String>,
}

impl OnlineDepots {
    /// Creates a depot for `user`; its id. The location must be a usable http(s) URL and
    /// not already be a depot's.
    pub async fn create(
        &self,
        user: &str,
        new: NewOnlineDepot,
    ) -> Result<OnlineDepotId, OnlineDepotError> {
        DepotLocation::parse(&new.location)?;
        let depot = OnlineDepot {
            id: OnlineDepotId::new(),
            description: new.description.unwrap_or_default(),
            location: new.location,
            enabled: new.enabled.unwrap_or(true),
            owner: UserName::parse(user).ok(),
            ownerdata: new.ownerdata,
            created: self.inner.clock.now(),
        };
        match self.inner.store.insert_online_depot(&depot).await {
            Ok(()) => Ok(depot.id),
            Err(depot_metadata::MetadataError::AlreadyExists { .. }) => {
                Err(OnlineDepotError::AlreadyExists {
                    location: depot.location,
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Every depot, oldest first.
    pub async fn list(&self) -> Result<Vec<OnlineDepot>, OnlineDepotError> {
        Ok(self.inner.store.list_online_depots().await?)
    }

    /// The depot `id`.
    pub async fn get(&self, id: &str) -> Result<OnlineDepot, OnlineDepotError> {
        let parsed = parse_id(id)?;
        self.inner
            .store
            .get_online_depot(parsed)
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// Changes the depot `id`.
    pub async fn update(
        &self,
        id: &str,
        update: OnlineDepotUpdate,
    ) -> Result<(), OnlineDepotError> {
        let found = self
            .inner
            .store
            .update_online_depot(parse_id(id)?, update.enabled, update.description.as_deref())
            .await?;
        found.then_some(()).ok_or_else(|| not_found(id))
    }

    /// Removes the depot `id` with its content (its payloads lose their reference and
    /// go with the next blob garbage collection).
    pub async fn delete(&self, id: &str) -> Result<(), OnlineDepotError> {
        let found = self.inner.store.delete_online_depot(parse_id(id)?).await?;
        found.then_some(()).ok_or_else(|| not_found(id))
    }

    /// The content view of the depot's last good sync: `{"metadata_bundles": …}`, empty
    /// before its first.
    pub async fn content(&self, id: &str) -> Result<Value, OnlineDepotError> {
        let state = self
            .inner
            .store
            .online_depot_state(parse_id(id)?)
            .await?
            .ok_or_else(|| not_found(id))?;
        match state.content {
            Some(content) => serde_json::from_str(&content.content).map_err(|e| {
                OnlineDepotError::Internal(format!("the stored content of {id} is not JSON: {e}"))
            }),
            None => Ok(json!({"metadata_bundles": {}})),
        }
    }
}

/// An id that does not parse names no depot.
fn parse_id(id: &str) -> Result<OnlineDepotId, OnlineDepotError> {
    id.parse().map_err(|_| not_found(id))
}

fn not_found(id: &str) -> OnlineDepotError {
    OnlineDepotError::NotFound {
        id: id.chars().take(100).collect(),
    }
}
