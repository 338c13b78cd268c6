//! Syncing a whole subscribed library: `lib.json` first (stop while its version has
//! not grown), then `items.json`, then each item whose version grew (its `item.json`
//! only when `items.json` lacks its files); items gone from the publisher are deleted.

use std::collections::{HashMap, HashSet};

use depot_model::{Library, LibraryId, LibraryItem, LibraryKind};
use depot_upstream::DownloadProgress;
use tokio::sync::{mpsc, watch};

use super::content;
use super::item_sync::subscription;
use super::merge::Synced;
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
    /// library's sync record stays, so the next sync tries again, skipping the items
    /// stored): [`LibraryError::Unavailable`] when every failure was of something
    /// unavailable for now, else [`LibraryError::SyncFailed`].
    pub async fn sync_library(&self, id: LibraryId) -> Result<SyncReport, LibraryError> {
        let (progress, _) = watch::channel(DownloadProgress::default());
        self.sync_library_reporting(id, &progress).await
    }

    /// [`sync_library`](Self::sync_library), publishing the content download's progress
    /// on `progress`. Dropping the future cancels it: items stored so far stay, each
    /// complete; nothing partial is kept.
    pub async fn sync_library_reporting(
        &self,
        id: LibraryId,
        progress: &watch::Sender<DownloadProgress>,
    ) -> Result<SyncReport, LibraryError> {
        let library = self.library_of(id, Some(LibraryKind::Subscribed)).await?;
        let settings = subscription(&library)?;
        let content = !settings.on_demand;
        let publisher = self.publisher(settings)?;
        let remote = publisher.library().await?;
        let mut report = SyncReport {
            version: remote.version.clone(),
            ..SyncReport::default()
        };
        if !grew(library.source_version.as_deref(), &remote.version)
            && (!content || self.all_cached(id).await?)
        {
            report.unchanged = true;
            let version = library.source_version.as_deref();
            self.store()
                .record_library_sync(id, version, self.now())
                .await?;
            return Ok(report);
        }
        let listed = publisher.items(&remote).await?;
        let mut failures = Failures::default();
        let plan = self
            .plan(
                &publisher,
                &library,
                &listed.items,
                &mut report,
                &mut failures,
            )
            .await?;
        self.store_planned(
            &publisher,
            plan,
            content,
            progress,
            &mut report,
            &mut failures,
        )
        .await?;
        if let Some(failed) = failures.error(id, listed.items.len()) {
            return Err(failed);
        }
        self.store()
            .record_library_sync(id, Some(&remote.version), self.now())
            .await?;
        Ok(report)
    }

    async fn all_cached(&self, id: LibraryId) -> Result<bool, LibraryError> {
        let filter = depot_metadata::ItemFilter {
            library_id: Some(id),
            cached: Some(false),
            ..Default::default()
        };
        Ok(self.store().find_items(&filter).await?.is_empty())
    }

    /// The items of `listed` to store (merged with what is held of them), deleting here
    /// the items the publisher no longer lists. Items whose version did not grow (and,
    /// unless on demand, are cached) are skipped; failures are added to `failures`.
    async fn plan(
        &self,
        publisher: &Publisher,
        library: &Library,
        listed: &[RemoteItem],
        report: &mut SyncReport,
        failures: &mut Failures,
    ) -> Result<Vec<Planned>, LibraryError> {
        let content = library.subscription.as_ref().is_some_and(|s| !s.on_demand);
        let mut local: HashMap<String, LibraryItem> = self
            .store()
            .list_items(library.id)
            .await?
            .into_iter()
            .filter_map(|i| Some((i.source_id.clone()?, i)))
            .collect();
        let mut seen = HashSet::new();
        let mut plan = Vec::new();
        for item in listed {
            if !seen.insert(item.source_id().to_owned()) {
                failures.add(
                    &item.name,
                    &LibraryError::SyncFailed("listed twice".to_owned()),
                );
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
                .prepare_listed(publisher, library, previous, item)
                .await
            {
                Ok((synced, expected)) => plan.push(Planned {
                    name: item.name.clone(),
                    added,
                    synced,
                    expected,
                }),
                Err(e) => failures.add(&item.name, &e),
            }
        }
        for gone in local.into_values() {
            if self.store().delete_item(gone.id, true).await? {
                report.deleted += 1;
            }
        }
        Ok(plan)
    }

    /// Stores the planned items; when `content`, each as soon as its missing content
    /// arrived, while the others still download (the store's writes overlap the
    /// downloads, and every item stored is complete).
    async fn store_planned(
        &self,
        publisher: &Publisher,
        plan: Vec<Planned>,
        content: bool,
        progress: &watch::Sender<DownloadProgress>,
        report: &mut SyncReport,
        failures: &mut Failures,
    ) -> Result<(), LibraryError> {
        let (synced, meta): (Vec<Synced>, Vec<_>) = plan
            .into_iter()
            .map(|p| (p.synced, (p.name, p.added, p.expected)))
            .unzip();
        if !content {
            for (one, (name, added, expected)) in synced.into_iter().zip(meta) {
                let stored = self.put_synced(one, expected).await.map(|_| ());
                count(report, failures, &name, added, stored);
            }
            return Ok(());
        }
        progress.send_modify(|p| p.bytes_total = content::bytes_wanted(synced.iter(), false));
        let (ready, mut arrived) = mpsc::unbounded_channel();
        let downloads = async {
            // Moved in: the channel closes when the downloads are done.
            let ready = ready;
            content::fill_each(publisher, synced, false, progress, &ready).await;
        };
        let stores = async {
            while let Some((index, one, filled)) = arrived.recv().await {
                let (name, added, expected) = &meta[index];
                let stored = match filled {
                    Ok(()) => self.put_synced(one, *expected).await.map(|_| ()),
                    Err(e) => Err(e),
                };
                count(report, failures, name, *added, stored);
            }
        };
        tokio::join!(downloads, stores);
        Ok(())
    }

    /// One item of `items.json` merged with what is held of it, reading its
    /// `item.json` when the list lacks its files.
    async fn prepare_listed(
        &self,
        publisher: &Publisher,
        library: &Library,
        previous: Option<LibraryItem>,
        item: &RemoteItem,
    ) -> Result<(Synced, Option<i64>), LibraryError> {
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
        self.prepare_remote_item(publisher, library, previous, remote, &files)
            .await
    }
}

/// Counts one planned item's outcome.
fn count(
    report: &mut SyncReport,
    failures: &mut Failures,
    name: &str,
    added: bool,
    stored: Result<(), LibraryError>,
) {
    match stored {
        Ok(()) if added => report.added += 1,
        Ok(()) => report.updated += 1,
        Err(e) => failures.add(name, &e),
    }
}

/// The items of a sync that did not sync, and whether any of them failed for good.
#[derive(Debug, Default)]
struct Failures {
    /// `name: why`, in the order they failed.
    named: Vec<String>,
    /// Whether a failure was other than something unavailable for now.
    permanent: bool,
}

impl Failures {
    fn add(&mut self, name: &str, e: &LibraryError) {
        self.permanent |= !e.is_transient();
        self.named.push(format!("{name}: {e}"));
    }

    /// The sync's error when items failed, of `listed` items of library `id`: only
    /// [`LibraryError::Unavailable`] (sync again later) when every failure was.
    fn error(self, id: LibraryId, listed: usize) -> Option<LibraryError> {
        if self.named.is_empty() {
            return None;
        }
        let text = format!(
            "{} of {listed} items of library {id} did not sync: {}",
            self.named.len(),
            self.named
                .iter()
                .take(NAMED_FAILURES)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        );
        Some(if self.permanent {
            LibraryError::SyncFailed(text)
        } else {
            LibraryError::Unavailable(text)
        })
    }
}

/// An item a library sync stores.
struct Planned {
    name: String,
    added: bool,
    synced: Synced,
    expected: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn away() -> LibraryError {
        LibraryError::Unavailable("the blob store is away".to_owned())
    }

    #[test]
    fn a_sync_is_unavailable_only_when_every_failure_was() {
        let id = LibraryId::new();
        assert!(Failures::default().error(id, 3).is_none());
        let mut failures = Failures::default();
        failures.add("a", &away());
        failures.add("b", &away());
        let e = failures.error(id, 3).unwrap();
        assert!(matches!(e, LibraryError::Unavailable(_)), "{e:?}");
        assert!(e.to_string().starts_with("2 of 3 items"), "{e}");
        let mut failures = Failures::default();
        failures.add("a", &away());
        failures.add("b", &LibraryError::SyncFailed("refused".to_owned()));
        let e = failures.error(id, 3).unwrap();
        assert!(matches!(e, LibraryError::SyncFailed(_)), "{e:?}");
        assert!(e.to_string().contains("b: refused"), "{e}");
    }
}
