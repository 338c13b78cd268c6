//! Syncing a whole subscribed library: `lib.json` first (stop while its version has
//! not grown), then `items.json`, then each item whose version grew (its `item.json`
//! only when `items.json` lacks its files); items gone from the publisher are deleted.

use std::collections::{HashMap, HashSet};

use depot_model::{LibraryId, LibraryItem, LibraryKind};

use super::item_sync::subscription;
use super::publisher::{Missing, Publisher};
use super::remote::{RemoteItem, grew};
use crate::{ContentLibrary, LibraryError};

/// The most item failures named in a failed sync's message.
const NAMED_FAILURES: usize = 5;

/// What a library sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// The publisher's `lib.json` version.
    pub version: String,
    /// Whether it stopped at `lib.json` (nothing changed).
    pub unchanged: bool,
    /// Items added.
    pub added: u64,
    /// Items refreshed.
    pub updated: u64,
    /// Items deleted because the publisher no longer has them.
    pub deleted: u64,
    /// Items whose version did not grow.
    pub skipped: u64,
}

impl ContentLibrary {
    /// Syncs subscribed library `id` from its publisher; content too unless it is on
    /// demand. Items that fail are named in the error (the others are synced; the
    /// library's sync record stays, so the next sync tries again).
    pub async fn sync_library(&self, id: LibraryId) -> Result<SyncReport, LibraryError> {
        let library = self.library_of(id, Some(LibraryKind::Subscribed)).await?;
        let settings = subscription(&library)?;
        let content = !settings.on_demand;
        let publisher = self.publisher(settings)?;
        let remote = publisher.library().await?;
        let mut report = SyncReport {
            version: remote.version.clone(),
            ..SyncReport::default()
        };
        let all_cached = || async {
            let filter = depot_metadata::ItemFilter {
                library_id: Some(id),
                cached: Some(false),
                ..Default::default()
            };
            Ok::<_, LibraryError>(self.store().find_items(&filter).await?.is_empty())
        };
        if !grew(library.source_version.as_deref(), &remote.version)
            && (!content || all_cached().await?)
        {
            report.unchanged = true;
            let version = library.source_version.as_deref();
            self.store()
                .record_library_sync(id, version, self.now())
                .await?;
            return Ok(report);
        }
        let listed = publisher.items(&remote).await?;
        let mut local: HashMap<String, LibraryItem> = self
            .store()
            .list_items(id)
            .await?
            .into_iter()
            .filter_map(|i| Some((i.source_id.clone()?, i)))
            .collect();
        let mut seen = HashSet::new();
        let mut failures = Vec::new();
        for item in &listed.items {
            if !seen.insert(item.source_id().to_owned()) {
                failures.push(format!("{}: listed twice", item.name));
                continue;
            }
            let previous = local.remove(item.source_id());
            let current = previous.as_ref().is_some_and(|p| {
                !grew(p.source_version.as_deref(), &item.version) && (!content || p.cached)
            });
            if current {
                report.skipped += 1;
                continue;
            }
            let added = previous.is_none();
            match self
                .sync_listed(&publisher, &library, previous, item, content)
                .await
            {
                Ok(()) if added => report.added += 1,
                Ok(()) => report.updated += 1,
                Err(e) => failures.push(format!("{}: {e}", item.name)),
            }
        }
        for gone in local.into_values() {
            if self.store().delete_item(gone.id, true).await? {
                report.deleted += 1;
            }
        }
        if !failures.is_empty() {
            return Err(LibraryError::SyncFailed(format!(
                "{} of {} items of library {id} did not sync: {}",
                failures.len(),
                listed.items.len(),
                failures
                    .iter()
                    .take(NAMED_FAILURES)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            )));
        }
        self.store()
            .record_library_sync(id, Some(&remote.version), self.now())
            .await?;
        Ok(report)
    }

    /// Stores one item of `items.json`, reading its `item.json` when the list lacks
    /// its files.
    async fn sync_listed(
        &self,
        publisher: &Publisher,
        library: &depot_model::Library,
        previous: Option<LibraryItem>,
        item: &RemoteItem,
        content: bool,
    ) -> Result<(), LibraryError> {
        let detailed;
        let remote = if item.files.is_some() {
            item
        } else {
            let href = item.self_href.as_deref().ok_or_else(|| {
                LibraryError::SyncFailed("listed without files or selfHref".to_owned())
            })?;
            detailed = match publisher.item(href).await {
                Ok(found) => found,
                Err(Missing::Gone) => {
                    return Err(LibraryError::SyncFailed(
                        "its item.json is missing (404)".to_owned(),
                    ));
                }
                Err(Missing::Failed(e)) => return Err(e),
            };
            &detailed
        };
        let files = remote.files.clone().unwrap_or_default();
        self.store_remote_item(
            publisher,
            library,
            previous,
            remote,
            &files,
            (content, false),
        )
        .await?;
        Ok(())
    }
}
