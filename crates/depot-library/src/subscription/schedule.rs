//! Which subscribed libraries are due for their automatic sync.

use depot_model::{LibraryId, LibraryKind, Timestamp};

use crate::{ContentLibrary, LibraryError};

impl ContentLibrary {
    /// The subscribed libraries with `automatic_sync_enabled` that have not synced
    /// within the sync interval before `now` (or never).
    pub async fn due_syncs(&self, now: Timestamp) -> Result<Vec<LibraryId>, LibraryError> {
        let interval = chrono::TimeDelta::from_std(self.config().sync_interval)
            .unwrap_or(chrono::TimeDelta::MAX);
        Ok(self
            .store()
            .list_libraries(Some(LibraryKind::Subscribed))
            .await?
            .into_iter()
            .filter(|l| {
                l.subscription
                    .as_ref()
                    .is_some_and(|s| s.automatic_sync_enabled)
            })
            .filter(|l| l.last_sync_time.is_none_or(|t| now - t >= interval))
            .map(|l| l.id)
            .collect())
    }
}
