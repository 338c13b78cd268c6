//! Content on first use: a file of a subscribed item that is not cached is fetched
//! from the publisher when a download session prepares it or a subscriber of depotd's
//! own VCSP asks for it. One fetch per file, however many ask at once (single flight
//! keyed by item and file name); the file becomes cached in one store write that only
//! lands if the item did not change meanwhile, so no half-stored content is ever shown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use depot_model::{
    DownloadFile, DownloadFileStatus, DownloadSessionId, ItemFile, ItemId, LibraryKind, Message,
    Sha256Digest,
};
use tokio::sync::OnceCell;

use super::content::ContentFetcher;
use super::item_sync::subscription;
use super::merge::etag_digest;
use crate::transfer::new_token;
use crate::{ContentLibrary, LibraryError};

/// How often storing a fetched file is retried when the item changed meanwhile.
const STORE_ATTEMPTS: usize = 5;

/// What one fetch ended with: the content's digest, or why it failed (shared by every
/// caller that waited for it, so not a [`LibraryError`], which does not clone).
type Fetched = Result<Sha256Digest, String>;

/// One fetch every caller for the same file shares.
type SharedFetch = Arc<OnceCell<Fetched>>;

/// The fetches in flight, by item and file name.
#[derive(Default, Clone)]
pub(crate) struct InFlight {
    fetches: Arc<Mutex<HashMap<(ItemId, String), SharedFetch>>>,
}

impl InFlight {
    /// The one cell every caller for `key` shares while its fetch runs.
    fn cell(&self, key: &(ItemId, String)) -> SharedFetch {
        let mut fetches = self
            .fetches
            .lock()
            .expect("the in-flight map is never left poisoned: no code panics holding it");
        fetches.entry(key.clone()).or_default().clone()
    }

    fn done(&self, key: &(ItemId, String)) {
        self.fetches
            .lock()
            .expect("the in-flight map is never left poisoned: no code panics holding it")
            .remove(key);
    }
}

impl std::fmt::Debug for InFlight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InFlight").finish_non_exhaustive()
    }
}

fn file_not_found(name: &str) -> LibraryError {
    LibraryError::NotFound {
        what: "library item file",
        id: name.to_owned(),
    }
}

impl ContentLibrary {
    /// Whether item `id` belongs to a subscribed library, whose publisher has the
    /// content of its files.
    pub(crate) async fn fetchable(&self, id: ItemId) -> Result<bool, LibraryError> {
        let item = self.item(id).await?;
        Ok(self.library(item.library_id).await?.kind == LibraryKind::Subscribed)
    }

    /// File `name` of item `id` with its content: when it is not cached and the item
    /// is subscribed, fetched from the publisher first (once, whoever else asks
    /// meanwhile waits for that fetch). `NotAllowed` for an uncached file of a local
    /// item; `SyncFailed` when the fetch fails.
    pub async fn cached_file(&self, id: ItemId, name: &str) -> Result<ItemFile, LibraryError> {
        let file = self
            .store()
            .item_file(id, name)
            .await?
            .ok_or_else(|| file_not_found(name))?;
        if file.digest.is_some() {
            return Ok(file);
        }
        if !self.fetchable(id).await? {
            return Err(LibraryError::NotAllowed(format!(
                "file {name} of library item {id} is not cached"
            )));
        }
        let key = (id, name.to_owned());
        let cell = self.in_flight().cell(&key);
        let fetched = cell
            .get_or_init(|| {
                // Its own task: a caller that goes away does not cancel the fetch the
                // others wait for.
                let this = self.clone();
                let key = key.clone();
                async move {
                    let task = tokio::spawn({
                        let this = this.clone();
                        let key = key.clone();
                        async move { this.fetch_into_item(key.0, &key.1).await }
                    });
                    let outcome = match task.await {
                        Ok(outcome) => outcome.map_err(|e| e.to_string()),
                        Err(e) => Err(format!("the fetch of {} stopped: {e}", key.1)),
                    };
                    this.in_flight().done(&key);
                    outcome
                }
            })
            .await
            .clone();
        fetched.map_err(LibraryError::SyncFailed)?;
        self.store()
            .item_file(id, name)
            .await?
            .filter(|f| f.digest.is_some())
            .ok_or_else(|| {
                LibraryError::SyncFailed(format!(
                    "file {name} of library item {id} changed or was evicted while it was \
                     fetched: ask again"
                ))
            })
    }

    /// Fetches file `name` of subscribed item `id` (unless it is cached by now) and
    /// stores it as the item's content.
    async fn fetch_into_item(&self, id: ItemId, name: &str) -> Result<Sha256Digest, LibraryError> {
        let (_, library) = self.subscribed_item(id).await?;
        let file = self
            .store()
            .item_file(id, name)
            .await?
            .ok_or_else(|| file_not_found(name))?;
        if let Some(digest) = file.digest {
            return Ok(digest);
        }
        let href = file.source_href.as_deref().ok_or_else(|| {
            LibraryError::SyncFailed(format!("file {name} of library item {id} has no source"))
        })?;
        let publisher = self.publisher(subscription(&library)?)?;
        let path = publisher.resolve(href)?;
        let blob = publisher.fetch_file(&path, file.size).await?;
        if let Some(expected) = etag_digest(file.source_etag.as_deref())
            && expected != blob.digest
        {
            return Err(LibraryError::SyncFailed(format!(
                "file {name} of library item {id}: its SHA-256 is {}, its etag says {expected}",
                blob.digest
            )));
        }
        self.store_fetched(&file, blob.digest).await?;
        Ok(blob.digest)
    }

    /// Records `digest` as the content of `fetched` in one store write, while the file
    /// is still the one fetched (same size, source and etag).
    async fn store_fetched(
        &self,
        fetched: &ItemFile,
        digest: Sha256Digest,
    ) -> Result<(), LibraryError> {
        let id = fetched.item_id;
        for _ in 0..STORE_ATTEMPTS {
            let mut item = self.item(id).await?;
            let mut files = self.store().item_files(id).await?;
            let Some(file) = files.iter_mut().find(|f| f.name == fetched.name) else {
                return Err(file_not_found(&fetched.name));
            };
            if file.size != fetched.size
                || file.source_href != fetched.source_href
                || file.source_etag != fetched.source_etag
            {
                return Err(LibraryError::SyncFailed(format!(
                    "file {} of library item {id} changed at the publisher while it was fetched",
                    fetched.name
                )));
            }
            if file.digest.is_some() {
                return Ok(());
            }
            file.digest = Some(digest);
            let expected = item.version;
            item.version += 1;
            // Optional files are not known here: an item becomes cached when every
            // file is, and stays cached if a sync found its required files held.
            item.cached = item.cached || files.iter().all(|f| f.digest.is_some());
            item.last_modified_time = self.now();
            if self
                .store()
                .put_synced_item(&item, &files, Some(expected))
                .await?
            {
                return Ok(());
            }
        }
        Err(LibraryError::ConcurrentChange(format!(
            "library item {id} keeps changing: fetch {} again",
            fetched.name
        )))
    }

    /// Prepares file `file` of a download session by fetching it first: the file is
    /// `PREPARING` at once, then `PREPARED` (or `ERROR` with why) when the fetch ends.
    pub(crate) async fn prepare_after_fetch(
        &self,
        session: DownloadSessionId,
        file: ItemFile,
    ) -> Result<DownloadFile, LibraryError> {
        let preparing = DownloadFile {
            session_id: session,
            name: file.name.clone(),
            status: DownloadFileStatus::Preparing,
            size: file.size,
            digest: None,
            download_token: new_token()?,
            error_message: None,
        };
        self.store().mark_download_file(&preparing).await?;
        let this = self.clone();
        tokio::spawn(async move { this.finish_prepare(session, &file).await });
        Ok(preparing)
    }

    async fn finish_prepare(&self, session: DownloadSessionId, file: &ItemFile) {
        let prepared = match self.cached_file(file.item_id, &file.name).await {
            Ok(_) => match new_token() {
                Ok(token) => self
                    .store()
                    .prepare_download_file(session, &file.name, &token)
                    .await
                    .map(drop)
                    .map_err(LibraryError::from),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        let Err(why) = prepared else { return };
        let failed = new_token().map(|token| DownloadFile {
            session_id: session,
            name: file.name.clone(),
            status: DownloadFileStatus::Error,
            size: file.size,
            digest: None,
            download_token: token,
            error_message: Some(Message::new(
                "com.vmware.depotd.content.download_session.fetch_failed",
                format!(
                    "file {} could not be fetched from the publisher: {why}",
                    file.name
                ),
            )),
        });
        let marked = match failed {
            Ok(failed) => self
                .store()
                .mark_download_file(&failed)
                .await
                .map_err(LibraryError::from),
            Err(e) => Err(e),
        };
        if let Err(e) = marked {
            tracing::warn!(%session, file = %file.name, error = %e,
                "a download file whose fetch failed could not be marked ERROR");
        }
    }
}
