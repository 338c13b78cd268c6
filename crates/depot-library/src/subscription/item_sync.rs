//! Syncing one subscribed item (seed 002), storing a publisher's item with or without
//! its content, and evicting cached content.

use depot_model::{ItemId, Library, LibraryItem, LibraryKind, SubscriptionSettings};

use depot_upstream::DownloadProgress;
use tokio::sync::watch;

use super::content;
use super::merge::{Synced, merge};
use super::publisher::{Missing, Publisher};
use super::remote::{RemoteFile, RemoteItem};
use crate::{ContentLibrary, LibraryError};

/// What an item sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemSyncOutcome {
    /// The item was refreshed (its content too when `cached`).
    Synced {
        /// Whether every required file's content is held now.
        cached: bool,
    },
    /// The publisher no longer has the item: it was deleted here.
    Deleted,
}

/// The subscription of a subscribed library.
pub(crate) fn subscription(library: &Library) -> Result<&SubscriptionSettings, LibraryError> {
    library.subscription.as_ref().ok_or_else(|| {
        LibraryError::InvalidElementType(format!(
            "library {} is not a subscribed library",
            library.id
        ))
    })
}

impl ContentLibrary {
    /// The subscribed item `id` and its library; `NotSubscribedItem` for a local one.
    pub(crate) async fn subscribed_item(
        &self,
        id: ItemId,
    ) -> Result<(LibraryItem, Library), LibraryError> {
        let item = self.item(id).await?;
        let library = self.library(item.library_id).await?;
        if library.kind != LibraryKind::Subscribed {
            return Err(LibraryError::NotSubscribedItem { id: id.to_string() });
        }
        Ok((item, library))
    }

    /// Checks that item `id` can be synced: it exists (`NotFound`), is subscribed
    /// (`NotSubscribedItem`), and, when cached, its content is still in the store
    /// (`NotAllowed`: restored from a backup taken before its content was deleted).
    pub async fn check_item_sync(&self, id: ItemId) -> Result<(), LibraryError> {
        let (item, _) = self.subscribed_item(id).await?;
        if !item.cached {
            return Ok(());
        }
        for file in self.store().item_files(id).await? {
            if let Some(digest) = file.digest
                && self.blobs().stat(&digest).await?.is_none()
            {
                return Err(LibraryError::NotAllowed(format!(
                    "the content of library item {id} ({}) was deleted from its storage backing",
                    file.name
                )));
            }
        }
        Ok(())
    }

    /// `remote` with `files` merged into the item `previous` (or a new one) of
    /// `library`, with the version the store must still hold (`None`: a new item).
    pub(crate) async fn prepare_remote_item(
        &self,
        publisher: &Publisher,
        library: &Library,
        previous: Option<LibraryItem>,
        remote: &RemoteItem,
        files: &[RemoteFile],
    ) -> Result<(Synced, Option<i64>), LibraryError> {
        let previous = match previous {
            Some(item) => {
                let files = self.store().item_files(item.id).await?;
                Some((item, files))
            }
            None => None,
        };
        let expected = previous.as_ref().map(|(i, _)| i.version);
        let resolve = |href: &str| publisher.resolve(href);
        let synced = merge(library.id, previous, remote, files, &resolve, self.now())?;
        Ok((synced, expected))
    }

    /// Stores `synced` (its versions and `cached` set now) if the item is still at
    /// version `expected`. One store write: a half-synced item is never shown cached,
    /// and a failure leaves the previous state.
    pub(crate) async fn put_synced(
        &self,
        mut synced: Synced,
        expected: Option<i64>,
    ) -> Result<LibraryItem, LibraryError> {
        synced.finish(self.now());
        if self
            .store()
            .put_synced_item(&synced.item, &synced.files, expected)
            .await?
        {
            Ok(synced.item)
        } else {
            Err(LibraryError::ConcurrentChange(format!(
                "library item {} changed during its sync: sync it again",
                synced.item.id
            )))
        }
    }

    /// Syncs subscribed item `id` by the seed's rules: its metadata from the publisher
    /// (deleted here when the publisher no longer has it); its content when the library
    /// is not on demand, or when `force_content`; optional files only when `optional`.
    pub async fn sync_item(
        &self,
        id: ItemId,
        force_content: bool,
        optional: bool,
    ) -> Result<ItemSyncOutcome, LibraryError> {
        let (progress, _) = watch::channel(DownloadProgress::default());
        self.sync_item_reporting(id, (force_content, optional), &progress)
            .await
    }

    /// [`sync_item`](Self::sync_item), publishing the download's progress on
    /// `progress`. Dropping the future cancels it: nothing partial is kept.
    pub async fn sync_item_reporting(
        &self,
        id: ItemId,
        (force_content, optional): (bool, bool),
        progress: &watch::Sender<DownloadProgress>,
    ) -> Result<ItemSyncOutcome, LibraryError> {
        let (item, library) = self.subscribed_item(id).await?;
        let settings = subscription(&library)?;
        let publisher = self.publisher(settings)?;
        let Some(remote) = self.remote_item(&publisher, &item).await? else {
            self.store().delete_item(id, true).await?;
            return Ok(ItemSyncOutcome::Deleted);
        };
        let files = remote.files.clone().unwrap_or_default();
        let (mut synced, expected) = self
            .prepare_remote_item(&publisher, &library, Some(item), &remote, &files)
            .await?;
        if !settings.on_demand || force_content {
            progress.send_modify(|p| {
                p.bytes_total = content::bytes_wanted(std::iter::once(&synced), optional);
            });
            let filled = content::fill(
                &publisher,
                std::slice::from_mut(&mut synced),
                optional,
                progress,
            )
            .await;
            filled.into_iter().collect::<Result<Vec<()>, _>>()?;
        }
        let stored = self.put_synced(synced, expected).await?;
        Ok(ItemSyncOutcome::Synced {
            cached: stored.cached,
        })
    }

    /// The publisher's item `item` mirrors: its `item.json`; when that is gone, the
    /// item's entry in `items.json`, so that only an item the publisher's list no
    /// longer has counts as deleted (`None`).
    async fn remote_item(
        &self,
        publisher: &Publisher,
        item: &LibraryItem,
    ) -> Result<Option<RemoteItem>, LibraryError> {
        if let Some(href) = &item.source_href {
            match publisher.item(href).await {
                Ok(remote) if remote.files.is_some() => return Ok(Some(remote)),
                Ok(_) | Err(Missing::Gone) => {}
                Err(Missing::Failed(e)) => return Err(e),
            }
        }
        let listed = publisher.items(&publisher.library().await?).await?;
        let source = item.source_id.as_deref().unwrap_or_default();
        let Some(remote) = listed.items.into_iter().find(|r| r.source_id() == source) else {
            return Ok(None);
        };
        if remote.files.is_some() {
            return Ok(Some(remote));
        }
        let href = remote.self_href.clone().unwrap_or_default();
        match publisher.item(&href).await {
            Ok(found) => Ok(Some(found)),
            Err(Missing::Gone) => Err(LibraryError::SyncFailed(format!(
                "the publisher lists item {} but has no item.json for it",
                remote.name
            ))),
            Err(Missing::Failed(e)) => Err(e),
        }
    }

    /// Drops the cached content of subscribed item `id` of an on-demand library
    /// (`InvalidElementConfiguration` otherwise); its metadata stays. The blob
    /// references go in the same store write.
    pub async fn evict_item(&self, id: ItemId) -> Result<(), LibraryError> {
        let (item, library) = self.subscribed_item(id).await?;
        require_on_demand(&library)?;
        self.evict(item).await
    }

    /// Drops the cached content of every item of subscribed library `id` (which must
    /// be on demand).
    pub async fn evict_library(&self, id: depot_model::LibraryId) -> Result<(), LibraryError> {
        let library = self.library_of(id, Some(LibraryKind::Subscribed)).await?;
        require_on_demand(&library)?;
        for item in self.store().list_items(id).await? {
            self.evict(item).await?;
        }
        Ok(())
    }

    async fn evict(&self, mut item: LibraryItem) -> Result<(), LibraryError> {
        let mut files = self.store().item_files(item.id).await?;
        if files.iter().all(|f| f.digest.is_none()) {
            return Ok(());
        }
        for f in &mut files {
            f.digest = None;
        }
        let expected = item.version;
        item.version += 1;
        item.cached = files.is_empty();
        item.last_modified_time = self.now();
        if self
            .store()
            .put_synced_item(&item, &files, Some(expected))
            .await?
        {
            Ok(())
        } else {
            Err(LibraryError::ConcurrentChange(format!(
                "library item {} changed meanwhile: evict it again",
                item.id
            )))
        }
    }
}

fn require_on_demand(library: &Library) -> Result<(), LibraryError> {
    if subscription(library)?.on_demand {
        Ok(())
    } else {
        Err(LibraryError::InvalidElementConfiguration(format!(
            "library {} syncs its content immediately (on_demand is false): there is no \
             cached content to evict",
            library.id
        )))
    }
}
