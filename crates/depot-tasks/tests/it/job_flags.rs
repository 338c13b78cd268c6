//! A job that is not cancellable keeps its tasks non-cancellable, also after a retry.

use std::sync::Arc;

use async_trait::async_trait;
use depot_model::{ErrorKind, Message, TaskStatus};
use depot_tasks::{EngineError, Job, JobContext, JobError};
use serde_json::Value;

use crate::fixture::{TestDb, new_task};

/// Fails retriably on its first attempt.
struct Uncancellable;

#[async_trait]
impl Job for Uncancellable {
    fn name(&self) -> &'static str {
        "uncancellable"
    }

    fn cancellable(&self) -> bool {
        false
    }

    async fn run(&self, ctx: &mut JobContext) -> Result<Option<Value>, JobError> {
        if ctx.task().attempts == 1 {
            return Err(JobError::retriable(
                ErrorKind::Unavailable,
                "AGAIN",
                Message::new("t.again", "again"),
            ));
        }
        Ok(None)
    }
}

#[tokio::test]
async fn non_cancellable_jobs_stay_non_cancellable_after_retry() {
    let db = TestDb::new().await;
    let engine = db.engine("node-a", vec![Arc::new(Uncancellable) as Arc<dyn Job>]);
    let task = engine.submit(new_task("uncancellable", &[])).await.unwrap();
    assert!(
        !task.cancellable,
        "submitted cancellable although the job is not"
    );
    assert!(matches!(
        engine.cancel(task.id, "u").await,
        Err(EngineError::NotCancellable { .. })
    ));
    engine.run_pending().await.unwrap();
    let retried = engine.retry(task.id, "u").await.unwrap();
    assert_eq!(retried.status, TaskStatus::Pending);
    assert!(!retried.cancellable);
    engine.run_pending().await.unwrap();
    assert_eq!(
        engine.get(task.id).await.unwrap().status,
        TaskStatus::Succeeded
    );
}
