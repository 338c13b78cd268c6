//! Progress of a staged task is a percentage of its stages, whatever units the job
//! reports within a stage.

use std::sync::Arc;

use async_trait::async_trait;
use depot_metadata::TaskStore;
use depot_tasks::{Job, JobContext, JobError};
use serde_json::Value;

use crate::fixture::{TestDb, new_task};

/// Two stages: the first finishes, the second reports 1 of 4 units, then stops with a
/// permanent failure so the stored progress can be read.
struct Halfway;

#[async_trait]
impl Job for Halfway {
    fn name(&self) -> &'static str {
        "halfway"
    }

    async fn run(&self, ctx: &mut JobContext) -> Result<Option<Value>, JobError> {
        ctx.begin_stage("one").await?;
        ctx.progress(7, 7, None).await?;
        ctx.finish_stage("one").await?;
        assert_eq!(
            (ctx.task().progress.completed, ctx.task().progress.total),
            (50, 100)
        );
        ctx.begin_stage("two").await?;
        ctx.progress(1, 4, None).await?;
        assert_eq!(
            (ctx.task().progress.completed, ctx.task().progress.total),
            (62, 100)
        );
        ctx.progress(4, 4, None).await?;
        assert_eq!(
            (ctx.task().progress.completed, ctx.task().progress.total),
            (100, 100)
        );
        Err(JobError::permanent(
            depot_model::ErrorKind::Invalid,
            "STOP",
            depot_model::Message::new("test.stop", "stop here"),
        ))
    }
}

#[tokio::test]
async fn stage_progress_maps_into_the_task_percentage() {
    let db = TestDb::new().await;
    let engine = db.engine("node-a", vec![Arc::new(Halfway) as Arc<dyn Job>]);
    let task = engine
        .submit(new_task("halfway", &["one", "two"]))
        .await
        .unwrap();
    engine.run_pending().await.unwrap();
    let stored = db.reopen().await.get_task(task.id).await.unwrap().unwrap();
    // The job's assertions ran inside it: a panic would have failed the task with
    // another code.
    assert_eq!(stored.error.unwrap().code, "STOP");
    assert_eq!(stored.progress.total, 100);
    assert_eq!(stored.progress.completed, 100);
}
