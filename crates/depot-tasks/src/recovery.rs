//! Recovering tasks orphaned by a crash or restart, and pruning old tasks.

use depot_model::{ErrorKind, Message, TaskStatus};
use tracing::{info, warn};

use crate::{EngineError, TaskEngine, outcome};

/// What a recovery pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryReport {
    /// Tasks set back to pending, to resume.
    pub resumed: u64,
    /// Tasks failed (non-idempotent or unknown job) and marked retriable.
    pub failed: u64,
}

impl TaskEngine {
    /// Call at start, before [`TaskEngine::start`]: finds running tasks this node owned
    /// before a restart, or whose owner's lease expired, and resumes or fails them.
    /// None stays `RUNNING` forever.
    pub async fn recover(&self) -> Result<RecoveryReport, EngineError> {
        self.recover_orphans(&self.settings.node_id).await
    }

    /// Recovers tasks of `owner` and tasks with an expired lease.
    async fn recover_orphans(&self, owner: &str) -> Result<RecoveryReport, EngineError> {
        let now = depot_model::now();
        let mut report = RecoveryReport::default();
        for mut task in self.store.orphaned_tasks(owner, now).await? {
            if self.is_running_here(task.id) {
                continue;
            }
            if let Some(job) = self.jobs.get(task.name.as_str()) {
                outcome::interrupted(&mut task, job.idempotent(), now);
            } else {
                task.status = TaskStatus::Failed;
                task.end_time = Some(now);
                task.cancellable = false;
                task.error = Some(depot_model::TaskError {
                    kind: ErrorKind::Internal,
                    code: "TASK_JOB_UNKNOWN".to_owned(),
                    message: Message::new(
                        "com.vmware.depotd.task.job.unknown",
                        format!("This server cannot run tasks of kind {}", task.name),
                    ),
                    resolution: None,
                });
            }
            let resumed = task.status == TaskStatus::Pending;
            // A concurrent recovery by another replica wins: skip on version conflict.
            if self.store.update_task(&task).await?.is_some() {
                if resumed {
                    report.resumed += 1;
                } else {
                    report.failed += 1;
                }
            }
        }
        if report != RecoveryReport::default() {
            info!(
                resumed = report.resumed,
                failed = report.failed,
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
        let cut = depot_model::now() - retention;
        let removed = self.store.prune_tasks(cut).await?;
        if removed > 0 {
            info!(removed, "pruned finished tasks");
        }
        Ok(removed)
    }

    pub(crate) async fn housekeeping(&self) {
        // While running, only expired leases are orphans: this node's own running tasks
        // are alive. No node is named "", so only the lease condition applies.
        if let Err(e) = self.recover_orphans("").await {
            warn!(error = %e, "task recovery failed");
        }
        if let Err(e) = self.prune().await {
            warn!(error = %e, "task pruning failed");
        }
    }
}
