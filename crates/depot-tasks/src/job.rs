//! The job trait: what a task runs.

use async_trait::async_trait;

use crate::{JobContext, JobError};

/// A kind of work a task can run.
///
/// Jobs should be idempotent: after a crash the engine runs an interrupted task again
/// when [`Job::idempotent`] says so, skipping stages that already succeeded.
#[async_trait]
pub trait Job: Send + Sync + 'static {
    /// Stable name stored with each task (`Task::name`).
    fn name(&self) -> &'static str;

    /// Whether running an interrupted task again from its last unfinished stage is safe.
    /// When false, interrupted tasks are failed and marked retriable instead.
    fn idempotent(&self) -> bool {
        true
    }

    /// Whether tasks of this job may be cancelled (also after a retry). When false,
    /// every task of the job is submitted non-cancellable.
    fn cancellable(&self) -> bool {
        true
    }

    /// Runs the task. Returns the typed result as JSON (or `None` for no result).
    async fn run(&self, ctx: &mut JobContext) -> Result<Option<serde_json::Value>, JobError>;
}
