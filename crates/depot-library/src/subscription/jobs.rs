//! The tasks of subscribed libraries: `library_sync` (one per library at a time: a
//! second request while one is pending or running gets that one) and
//! `library_item_sync` (one per item at a time).

use std::time::Duration;

use async_trait::async_trait;
use depot_model::{DomainError, ErrorKind, ItemId, LibraryId, Message};
use depot_tasks::{Job, JobContext, JobError, NewTask};
use depot_upstream::DownloadProgress;
use tokio::sync::watch;

use super::item_sync::ItemSyncOutcome;
use crate::{ContentLibrary, LibraryError};

/// The library sync job's stable name.
pub const LIBRARY_SYNC_JOB_KIND: &str = "library_sync";
/// The item sync job's stable name.
pub const ITEM_SYNC_JOB_KIND: &str = "library_item_sync";

/// What a library sync task syncs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LibrarySyncRequest {
    /// The subscribed library.
    pub library_id: String,
}

impl LibrarySyncRequest {
    /// The task that syncs library `id`, asked for by `user`.
    pub fn task(id: LibraryId, user: &str) -> NewTask {
        let mut t = NewTask::new(
            LIBRARY_SYNC_JOB_KIND,
            Message::new(
                "com.vmware.depotd.content.library_sync",
                format!("Sync subscribed library {id}"),
            ),
            user,
        );
        "library".clone_into(&mut t.task_type);
        t.payload = serde_json::json!(Self {
            library_id: id.to_string()
        });
        t.concurrency_key = Some(format!("library-sync:{id}"));
        t
    }
}

/// What an item sync task syncs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemSyncRequest {
    /// The subscribed item.
    pub item_id: String,
    /// Whether to download content of an on-demand item.
    pub force_sync_content: bool,
    /// Whether to download optional files.
    pub sync_optional_files: bool,
}

impl ItemSyncRequest {
    /// The task that syncs item `id`, asked for by `user`.
    pub fn task(
        id: ItemId,
        force_sync_content: bool,
        sync_optional_files: bool,
        user: &str,
    ) -> NewTask {
        let mut t = NewTask::new(
            ITEM_SYNC_JOB_KIND,
            Message::new(
                "com.vmware.depotd.content.item_sync",
                format!("Sync subscribed library item {id}"),
            ),
            user,
        );
        "library".clone_into(&mut t.task_type);
        t.payload = serde_json::json!(Self {
            item_id: id.to_string(),
            force_sync_content,
            sync_optional_files,
        });
        t.concurrency_key = Some(format!("library-item-sync:{id}"));
        t
    }
}

/// How often a running sync checks whether its task was canceled.
const CANCEL_CHECK_EVERY: Duration = Duration::from_millis(250);

/// Runs `sync` in a task of its own, reporting its bytes done and total to the task
/// and checking for cancellation meanwhile (and between files). The sync runs on while
/// the task store is written (it may hold the store's only connection). A cancel or
/// shutdown aborts it: its downloads stop and their staged data is removed; items it
/// stored are complete.
async fn watching<T: Send + 'static>(
    ctx: &mut JobContext,
    sync: impl Future<Output = T> + Send + 'static,
    mut progress: watch::Receiver<DownloadProgress>,
) -> Result<T, JobError> {
    let mut task = Aborting(tokio::spawn(sync));
    let mut files_done = 0;
    let mut tick = tokio::time::interval(CANCEL_CHECK_EVERY);
    loop {
        let stop = tokio::select! {
            joined = &mut task.0 => return joined.map_err(|e| job_error(
                &LibraryError::SyncFailed(format!("the sync stopped: {e}")),
            )),
            _ = tick.tick() => ctx.checkpoint().await,
            Ok(()) = progress.changed() => {
                let p = *progress.borrow_and_update();
                report(ctx, p, &mut files_done).await
            }
        };
        if let Err(stop) = stop {
            task.0.abort();
            let _ = (&mut task.0).await;
            return Err(stop);
        }
    }
}

/// Writes `p` to the task; checks for cancel when a file finished.
async fn report(
    ctx: &mut JobContext,
    p: DownloadProgress,
    files_done: &mut u32,
) -> Result<(), JobError> {
    if p.files_done + p.files_failed != *files_done {
        *files_done = p.files_done + p.files_failed;
        ctx.checkpoint().await?;
    }
    if p.bytes_total > 0 {
        let message = Message::new(
            "com.vmware.depotd.content.sync_progress",
            format!(
                "{} of {} bytes downloaded ({} of {} files)",
                p.bytes_done, p.bytes_total, p.files_done, p.files_total
            ),
        );
        ctx.progress(p.bytes_done, p.bytes_total, Some(message))
            .await?;
    }
    Ok(())
}

/// A spawned sync, aborted when the job's future is dropped (engine shutdown).
struct Aborting<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for Aborting<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A sync's failure as the task's. Something unavailable for now (the blob store, the
/// metadata store, the publisher's server) fails it as retriable with the standard
/// `SERVICE_UNAVAILABLE`: a retry, the next sync or the automatic schedule runs it
/// again, skipping what is stored already. Anything else is permanent; a publisher's
/// content that cannot be used is the vAPI `ERROR` (not `SERVICE_UNAVAILABLE`, which
/// tells a client to try again).
fn job_error(e: &LibraryError) -> JobError {
    let message = Message::new("com.vmware.depotd.content.sync_failed", e.to_string());
    if e.is_transient() {
        return JobError::retriable(ErrorKind::Unavailable, "SERVICE_UNAVAILABLE", message)
            .with_resolution(Message::new(
                "com.vmware.depotd.content.sync_again",
                "Sync again once the publisher and the depot's storage are reachable; \
                 items already stored are not downloaded again.",
            ));
    }
    match e {
        LibraryError::SyncFailed(_) => JobError::permanent(ErrorKind::Internal, "ERROR", message),
        LibraryError::ConcurrentChange(_) => JobError::permanent(e.kind(), "SYNC_FAILED", message),
        _ => JobError::permanent(e.kind(), e.code(), message),
    }
}

/// The job that runs library sync tasks.
pub struct LibrarySyncJob {
    library: ContentLibrary,
}

impl LibrarySyncJob {
    /// The job over `library`.
    pub fn new(library: ContentLibrary) -> Self {
        Self { library }
    }
}

#[async_trait]
impl Job for LibrarySyncJob {
    fn name(&self) -> &'static str {
        LIBRARY_SYNC_JOB_KIND
    }

    async fn run(&self, ctx: &mut JobContext) -> Result<Option<serde_json::Value>, JobError> {
        let request: LibrarySyncRequest = ctx.payload()?;
        let id: LibraryId = request.library_id.parse().map_err(|_| {
            job_error(&LibraryError::NotFound {
                what: "library",
                id: request.library_id.clone(),
            })
        })?;
        let (tx, rx) = watch::channel(DownloadProgress::default());
        let library = self.library.clone();
        let sync = async move { library.sync_library_reporting(id, &tx).await };
        let report = watching(ctx, sync, rx).await?.map_err(|e| job_error(&e))?;
        Ok(Some(serde_json::json!({
            "version": report.version,
            "unchanged": report.unchanged,
            "added": report.added,
            "updated": report.updated,
            "deleted": report.deleted,
            "skipped": report.skipped,
        })))
    }
}

/// The job that runs item sync tasks.
pub struct ItemSyncJob {
    library: ContentLibrary,
}

impl ItemSyncJob {
    /// The job over `library`.
    pub fn new(library: ContentLibrary) -> Self {
        Self { library }
    }
}

#[async_trait]
impl Job for ItemSyncJob {
    fn name(&self) -> &'static str {
        ITEM_SYNC_JOB_KIND
    }

    async fn run(&self, ctx: &mut JobContext) -> Result<Option<serde_json::Value>, JobError> {
        let request: ItemSyncRequest = ctx.payload()?;
        let id: ItemId = request.item_id.parse().map_err(|_| {
            job_error(&LibraryError::NotFound {
                what: "library item",
                id: request.item_id.clone(),
            })
        })?;
        let (tx, rx) = watch::channel(DownloadProgress::default());
        let content = (request.force_sync_content, request.sync_optional_files);
        let library = self.library.clone();
        let sync = async move { library.sync_item_reporting(id, content, &tx).await };
        let outcome = watching(ctx, sync, rx).await?.map_err(|e| job_error(&e))?;
        Ok(Some(match outcome {
            ItemSyncOutcome::Synced { cached } => serde_json::json!({"cached": cached}),
            ItemSyncOutcome::Deleted => serde_json::json!({"deleted": true}),
        }))
    }
}

#[cfg(test)]
mod tests {
    use depot_metadata::MetadataError;

    use super::*;

    /// The task's kind and code, and whether it is retriable.
    fn failure(e: &LibraryError) -> (ErrorKind, String, bool) {
        match job_error(e) {
            JobError::Failed { error, retriable } => (error.kind, error.code, retriable),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_what_is_unavailable_for_now_fails_retriable() {
        let unavailable = (
            ErrorKind::Unavailable,
            "SERVICE_UNAVAILABLE".to_owned(),
            true,
        );
        let away = LibraryError::Unavailable("the blob store is away".to_owned());
        assert_eq!(failure(&away), unavailable);
        let disk = LibraryError::Blob(depot_blobs::BlobError::Io {
            op: "write",
            path: "/blobs/tmp/x".into(),
            source: std::io::Error::from(std::io::ErrorKind::ConnectionReset),
        });
        assert_eq!(failure(&disk), unavailable);
        let unusable = LibraryError::SyncFailed("its SHA-256 differs".to_owned());
        assert_eq!(
            failure(&unusable),
            (ErrorKind::Internal, "ERROR".to_owned(), false)
        );
        let busy = LibraryError::Store(MetadataError::ItemBusy {
            item: "i".to_owned(),
        });
        assert_eq!(
            failure(&busy),
            (ErrorKind::Conflict, "RESOURCE_BUSY".to_owned(), false)
        );
        let gone = LibraryError::NotFound {
            what: "library",
            id: "x".to_owned(),
        };
        assert!(!failure(&gone).2);
    }
}
