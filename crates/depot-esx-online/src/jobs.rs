//! The `esx_depots_sync` task: one sync of all online depots at a time (a second
//! request while one is pending or running gets that one, by its concurrency key).

use std::time::Duration;

use async_trait::async_trait;
use depot_model::{DomainError, ErrorKind, Message};
use depot_tasks::{Job, JobContext, JobError, NewTask};
use depot_upstream::DownloadProgress;
use tokio::sync::watch;

use crate::{OnlineDepotError, OnlineDepots};

/// The job's stable name.
pub const DEPOTS_SYNC_JOB_KIND: &str = "esx_depots_sync";

/// The vSphere service and operation the task belongs to.
const SERVICE: &str = "com.vmware.esx.settings.depots";

/// How often a running sync checks whether its task was canceled.
const CANCEL_CHECK_EVERY: Duration = Duration::from_millis(250);

/// What a sync task does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DepotsSyncRequest {
    /// Drop the payloads the depots no longer name.
    pub cleanup: bool,
}

impl DepotsSyncRequest {
    /// The task, asked for by `user`.
    pub fn task(self, user: &str) -> NewTask {
        let mut t = NewTask::new(
            DEPOTS_SYNC_JOB_KIND,
            Message::new(
                "com.vmware.esx.settings.depots.sync",
                "Sync the online depots",
            ),
            user,
        );
        "esx".clone_into(&mut t.task_type);
        t.payload = serde_json::json!(self);
        t.concurrency_key = Some("esx-depots-sync".to_owned());
        t.service_operation = Some((SERVICE.to_owned(), "sync".to_owned()));
        t
    }
}

/// The job that runs sync tasks.
pub struct DepotsSyncJob {
    depots: OnlineDepots,
}

impl DepotsSyncJob {
    /// The job over `depots`.
    pub fn new(depots: OnlineDepots) -> Self {
        Self { depots }
    }
}

#[async_trait]
impl Job for DepotsSyncJob {
    fn name(&self) -> &'static str {
        DEPOTS_SYNC_JOB_KIND
    }

    async fn run(&self, ctx: &mut JobContext) -> Result<Option<serde_json::Value>, JobError> {
        let request: DepotsSyncRequest = ctx.payload()?;
        let (tx, mut rx) = watch::channel(DownloadProgress::default());
        let depots = self.depots.clone();
        let mut sync = Aborting(tokio::spawn(async move {
            depots.sync_all(request.cleanup, &tx).await
        }));
        let mut tick = tokio::time::interval(CANCEL_CHECK_EVERY);
        loop {
            let stop = tokio::select! {
                joined = &mut sync.0 => {
                    let result = joined
                        .map_err(|e| OnlineDepotError::Internal(e.to_string()))
                        .and_then(|r| r);
                    return result.map(|_| None).map_err(|e| job_error(&e));
                }
                _ = tick.tick() => ctx.checkpoint().await,
                Ok(()) = rx.changed() => {
                    let p = *rx.borrow_and_update();
                    report(ctx, p).await
                }
            };
            if let Err(stop) = stop {
                sync.0.abort();
                let _ = (&mut sync.0).await;
                return Err(stop);
            }
        }
    }
}

/// Writes the bytes done and total to the task.
async fn report(ctx: &mut JobContext, p: DownloadProgress) -> Result<(), JobError> {
    if p.bytes_total == 0 {
        return Ok(());
    }
    let message = Message::new(
        "com.vmware.esx.settings.depots.sync.progress",
        format!(
            "{} of {} bytes downloaded ({} of {} VIB payloads)",
            p.bytes_done, p.bytes_total, p.files_done, p.files_total
        ),
    );
    ctx.progress(p.bytes_done, p.bytes_total, Some(message))
        .await
}

/// A spawned sync, aborted when the job's future is dropped (engine shutdown).
struct Aborting<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for Aborting<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A failed sync or delete: retriable when what failed is unavailable for now (the
/// depot's server, the blob store, the database; the previous content is intact and a
/// later sync picks up again), permanent otherwise.
pub(crate) fn job_error(e: &OnlineDepotError) -> JobError {
    if e.kind() == ErrorKind::Unavailable {
        tracing::warn!(error = %e, "online depot task failed for now");
        JobError::retriable(e.kind(), e.code(), e.message())
    } else {
        JobError::permanent(e.kind(), e.code(), e.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(e: &OnlineDepotError) -> (String, bool) {
        match job_error(e) {
            JobError::Failed { error, retriable } => (error.code, retriable),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_what_is_unavailable_for_now_fails_retriable() {
        let database_away = OnlineDepotError::Store(depot_metadata::MetadataError::Query {
            op: "record_sync",
            source: "connection reset".into(),
        });
        assert_eq!(
            outcome(&database_away),
            ("SERVICE_UNAVAILABLE".to_owned(), true)
        );
        let bad = OnlineDepotError::Invalid("not a depot URL".to_owned());
        assert_eq!(outcome(&bad), ("INVALID_ARGUMENT".to_owned(), false));
        let exists = OnlineDepotError::AlreadyExists {
            location: "https://depot.example/".to_owned(),
        };
        assert_eq!(outcome(&exists), ("ALREADY_EXISTS".to_owned(), false));
    }
}
