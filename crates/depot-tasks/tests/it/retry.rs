//! Retrying failed tasks from the failed stage.

use depot_model::{ErrorKind, StageStatus, TaskStatus};
use depot_tasks::EngineError;
use serde_json::json;

use crate::fixture::{TestDb, logged, new_task, stage_statuses};
use crate::jobs::{COUNT_STAGES, Count, CountInput};

fn failing_at(stage: &str, permanent: bool) -> depot_tasks::NewTask {
    let mut t = new_task(Count::NAME, &COUNT_STAGES);
    t.payload = json!(CountInput {
        steps: 2,
        fail_at: Some(stage.to_owned()),
        permanent,
    });
    t
}

#[tokio::test]
async fn a_retried_task_resumes_at_the_failed_stage() {
    let db = TestDb::new().await;
    let (job, runs) = Count::new();
    let engine = db.engine("node-a", vec![job]);
    let submitted = engine.submit(failing_at("verify", false)).await.unwrap();
    engine.run_pending().await.unwrap();

    let failed = engine.get(submitted.id).await.unwrap();
    assert_eq!(failed.status, TaskStatus::Failed);
    assert!(failed.retriable);
    assert!(!failed.cancellable);
    assert!(failed.end_time.is_some());
    let error = failed.error.as_ref().expect("an error");
    assert_eq!(
        (error.kind, error.code.as_str()),
        (ErrorKind::Unavailable, "COUNT_FLAKY")
    );
    assert_eq!(
        stage_statuses(&failed),
        [
            ("fetch".to_owned(), "SUCCEEDED"),
            ("verify".to_owned(), "FAILED"),
            ("commit".to_owned(), "PENDING")
        ]
    );

    let retried = engine.retry(submitted.id, "operator").await.unwrap();
    assert_eq!(retried.status, TaskStatus::Pending);
    assert!(!retried.retriable);
    assert!(retried.cancellable);
    assert_eq!(retried.error, None);
    assert_eq!(retried.end_time, None);
    assert_eq!(retried.updated_by, "operator");
    assert!(logged(&retried, "com.vmware.depotd.task.retried"));
    assert_eq!(engine.get(submitted.id).await.unwrap(), retried);

    assert_eq!(engine.run_pending().await.unwrap(), 1);
    let task = engine.get(submitted.id).await.unwrap();
    assert_eq!(task.status, TaskStatus::Succeeded);
    assert_eq!(task.attempts, 2);
    assert_eq!(task.error, None);
    assert_eq!(task.result, Some(json!({ "counted": 6 })));
    assert!(
        task.stages
            .iter()
            .all(|s| s.status == StageStatus::Succeeded)
    );
    assert_eq!(
        (runs.of("fetch"), runs.of("verify"), runs.of("commit")),
        (1, 2, 1),
        "only the failed stage and those after it run again"
    );
}

#[tokio::test]
async fn only_failed_retriable_tasks_can_be_retried() {
    let db = TestDb::new().await;
    let (job, runs) = Count::new();
    let engine = db.engine("node-a", vec![job]);

    let pending = engine.submit(failing_at("none", false)).await.unwrap();
    let err = engine.retry(pending.id, "operator").await.unwrap_err();
    assert!(
        matches!(
            err,
            EngineError::NotRetriable {
                status: TaskStatus::Pending,
                ..
            }
        ),
        "{err:?}"
    );
    engine.run_pending().await.unwrap();
    let err = engine.retry(pending.id, "operator").await.unwrap_err();
    assert!(
        matches!(err, EngineError::NotRetriable { id, status: TaskStatus::Succeeded } if id == pending.id),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::NotAllowedInCurrentState);

    let broken = engine.submit(failing_at("fetch", true)).await.unwrap();
    engine.run_pending().await.unwrap();
    let failed = engine.get(broken.id).await.unwrap();
    assert_eq!(failed.status, TaskStatus::Failed);
    assert!(!failed.retriable);
    assert_eq!(
        failed.error.as_ref().map(|e| e.kind),
        Some(ErrorKind::Invalid)
    );
    let err = engine.retry(broken.id, "operator").await.unwrap_err();
    assert!(
        matches!(
            err,
            EngineError::NotRetriable {
                status: TaskStatus::Failed,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        engine.get(broken.id).await.unwrap(),
        failed,
        "a refused retry changes nothing"
    );
    assert_eq!(engine.run_pending().await.unwrap(), 0);
    assert_eq!(
        runs.of("fetch"),
        2,
        "one run each; the broken task did not run again"
    );
}
