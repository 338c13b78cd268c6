//! Recovering tasks orphaned by a crash or restart, and pruning old tasks.

use std::time::Duration;

use depot_model::{ErrorKind, Message, TaskStatus};
use tracing::{info, warn};

use crate::{EngineError, JobError, TaskEngine, outcome};

/// The least time a running task of this node must have been left unchanged before
/// housekeeping takes it for an orphan (see [`TaskEngine::housekeeping`]).
const OWN_TASK_GRACE: Duration = Duration::from_secs(1);

/// What a recovery pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Tasks set back to pending, to resume.
    pub resumed: u64,
    /// Tasks failed (non-idempotent or unknown job) and marked retriable.
    pub failed: u64,
    /// Tasks whose cancellation was requested before their run stopped: cancelled.
    pub canceled: u64,
}

impl TaskEngine {
    /// Call at start, before [`TaskEngine::start`]: finds running tasks this node owned
    /// before a restart, or whose owner's lease expired, and resumes or fails them.
    /// None stays `RUNNING` forever.
    pub async fn recover(&self) -> Result<RecoveryReport, EngineError> {
        self.recover_orphans(&self.settings.node_id, None).await
    }

    /// Recovers tasks of `owner` and tasks with an expired lease, except those running
    /// here and, with `min_idle`, those changed more recently than that.
    async fn recover_orphans(
        &self,
        owner: &str,
        min_idle: Option<Duration>,
    ) -> Result<RecoveryReport, EngineError> {
        let now = self.now();
        let changed_after = min_idle
            .and_then(|idle| now.checked_sub_signed(chrono::TimeDelta::from_std(idle).ok()?));
        let mut report = RecoveryReport::default();
        for mut task in self.store.orphaned_tasks(owner, now).await? {
            if self.is_running_here(task.id)
                || changed_after.is_some_and(|after| task.update_time > after)
            {
                continue;
            }
            if self.store.cancel_requested(task.id).await? {
                // Resuming would lose the request: the next claim clears it.
                outcome::ended(&mut task, JobError::Canceled, false, now);
            } else if let Some(job) = self.jobs.get(task.name.as_str()) {
                outcome::interrupted(&mut task, job.idempotent(), now);
            } else {
                // Failed like any other run: open stages failed, the task ended and
                // logged. Retriable, since a node that knows the job can run it.
                let err = JobError::retriable(
                    ErrorKind::Internal,
                    "TASK_JOB_UNKNOWN",
                    Message::new(
                        "com.vmware.depotd.task.job.unknown",
                        format!("This server cannot run tasks of kind {}", task.name),
                    ),
                );
                outcome::ended(&mut task, err, false, now);
            }
            // A concurrent recovery by another replica wins: skip on version conflict.
            if self.store.update_task(&task).await?.is_some() {
                match task.status {
                    TaskStatus::Pending => report.resumed += 1,
                    TaskStatus::Canceled => report.canceled += 1,
                    _ => report.failed += 1,
                }
            }
        }
        if report != RecoveryReport::default() {
            info!(
                resumed = report.resumed,
                failed = report.failed,
                canceled = report.canceled,
                "recovered interrupted tasks"
            );
            self.notify.notify_waiters();
        }
        Ok(report)
    }

    /// Deletes finished tasks older than the retention; returns how many.
    pub async fn prune(&self) -> Result<u64, EngineError> {
        let retention =
            chrono::TimeDelta::from_std(self.settings.retention).unwrap_or(chrono::TimeDelta::MAX);
        // A retention reaching before the calendar's start keeps everything.
        let Some(cut) = self.now().checked_sub_signed(retention) else {
            return Ok(0);
        };
        let removed = self.store.prune_tasks(cut).await?;
        self.finished.clear();
        if removed > 0 {
            info!(removed, "pruned finished tasks");
        }
        Ok(removed)
    }

    pub(crate) async fn housekeeping(&self) {
        // Tasks of nodes whose lease expired. No node is named "", so only the lease
        // condition applies.
        if let Err(e) = self.recover_orphans("", None).await {
            warn!(error = %e, "task recovery failed");
        }
        // This node's own running tasks that no worker here runs any more: their final
        // write failed (database unavailable at that moment). Nobody else would ever
        // recover them, since this node keeps renewing their lease. Those changed
        // within one lease (at least a second) are skipped: a task just claimed is
        // stored as running before its worker registers it as running here.
        let grace = self.settings.lease.max(OWN_TASK_GRACE);
        if let Err(e) = self
            .recover_orphans(&self.settings.node_id, Some(grace))
            .await
        {
            warn!(error = %e, "recovery of this node's tasks failed");
        }
        if let Err(e) = self.prune().await {
            warn!(error = %e, "task pruning failed");
        }
    }
}
