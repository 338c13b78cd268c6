//! Cancelling pending, running and finished tasks.

use std::time::Duration;

use depot_metadata::TaskStore;
use depot_model::{Clock, ErrorKind, StageStatus, TaskId, TaskStatus};
use depot_tasks::{EngineError, RecoveryReport};
use serde_json::json;

use crate::fixture::{
    TestDb, engine_on, logged, new_task, on_manual_clock, settings, stage_status, wait_ended,
    wait_in_stage,
};
use crate::jobs::{COUNT_STAGES, Count, CountInput, GATE_STAGES, Gate};

fn count_task() -> depot_tasks::NewTask {
    let mut t = new_task(Count::NAME, &COUNT_STAGES);
    t.payload = json!(CountInput {
        steps: 1,
        ..CountInput::default()
    });
    t
}

#[tokio::test]
async fn cancelling_a_pending_task_ends_it_at_once() {
    let db = TestDb::new().await;
    let (job, runs) = Count::new();
    let engine = db.engine("node-a", vec![job]);
    let submitted = engine.submit(count_task()).await.unwrap();

    let canceled = engine.cancel(submitted.id, "operator").await.unwrap();
    assert_eq!(canceled.status, TaskStatus::Canceled);
    assert_eq!(canceled.updated_by, "operator");
    assert!(canceled.end_time.is_some());
    assert!(!canceled.cancellable && !canceled.retriable);
    assert!(
        canceled
            .stages
            .iter()
            .all(|s| s.status == StageStatus::Canceled)
    );
    assert!(logged(&canceled, "com.vmware.depotd.task.canceled"));
    assert_eq!(engine.get(submitted.id).await.unwrap(), canceled);

    assert_eq!(
        engine.run_pending().await.unwrap(),
        0,
        "a cancelled task never runs"
    );
    assert_eq!(runs.of("fetch"), 0);
}

#[tokio::test]
async fn cancelling_a_running_task_lets_the_current_stage_finish() {
    let db = TestDb::new().await;
    let (gate, handle) = Gate::new(Gate::DEAF);
    let engine = db.engine("node-a", vec![gate]);
    engine.start();
    let submitted = engine
        .submit(new_task(Gate::DEAF, &GATE_STAGES))
        .await
        .unwrap();
    wait_in_stage(db.store.as_ref(), submitted.id, "wait").await;

    let requested = engine.cancel(submitted.id, "operator").await.unwrap();
    assert_eq!(
        requested.status,
        TaskStatus::Running,
        "it stops at its next checkpoint"
    );
    handle.open();

    let task = wait_ended(db.store.as_ref(), submitted.id).await;
    assert_eq!(task.status, TaskStatus::Canceled);
    assert_eq!(stage_status(&task, "wait"), StageStatus::Succeeded);
    assert_eq!(stage_status(&task, "after"), StageStatus::Canceled);
    assert_eq!(task.result, None);
    assert!(!task.cancellable && !task.retriable);
    assert!(task.end_time.is_some());
    assert!(logged(&task, "com.vmware.depotd.task.canceled"));
    engine.shutdown(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn a_cancel_through_another_node_reaches_the_running_job() {
    let db = TestDb::new().await;
    let (gate, _handle) = Gate::new(Gate::NAME);
    let runner = db.engine("node-a", vec![gate.clone()]);
    runner.start();
    let submitted = runner
        .submit(new_task(Gate::NAME, &GATE_STAGES))
        .await
        .unwrap();
    wait_in_stage(db.store.as_ref(), submitted.id, "wait").await;

    // Another replica, sharing only the database, asks for the cancel.
    let other = engine_on(&db.reopen().await, settings("node-b"), vec![gate]);
    other.cancel(submitted.id, "operator").await.unwrap();

    let task = wait_ended(db.store.as_ref(), submitted.id).await;
    assert_eq!(task.status, TaskStatus::Canceled);
    assert_eq!(stage_status(&task, "wait"), StageStatus::Canceled);
    assert_eq!(stage_status(&task, "after"), StageStatus::Canceled);
    runner.shutdown(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn finished_and_non_cancellable_tasks_cannot_be_cancelled() {
    let db = TestDb::new().await;
    let engine = db.engine("node-a", vec![Count::new().0]);
    let done = engine.submit(count_task()).await.unwrap();
    engine.run_pending().await.unwrap();
    let err = engine.cancel(done.id, "operator").await.unwrap_err();
    assert!(
        matches!(err, EngineError::NotCancellable { id, status: TaskStatus::Succeeded } if id == done.id),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::NotAllowedInCurrentState);
    assert_eq!(
        engine.get(done.id).await.unwrap().status,
        TaskStatus::Succeeded
    );

    let canceled = engine.submit(count_task()).await.unwrap();
    engine.cancel(canceled.id, "operator").await.unwrap();
    let err = engine.cancel(canceled.id, "operator").await.unwrap_err();
    assert!(
        matches!(
            err,
            EngineError::NotCancellable {
                status: TaskStatus::Canceled,
                ..
            }
        ),
        "{err:?}"
    );

    let mut fixed = count_task();
    fixed.cancellable = false;
    let fixed = engine.submit(fixed).await.unwrap();
    let err = engine.cancel(fixed.id, "operator").await.unwrap_err();
    assert!(
        matches!(
            err,
            EngineError::NotCancellable {
                status: TaskStatus::Pending,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        engine.get(fixed.id).await.unwrap().status,
        TaskStatus::Pending
    );

    let err = engine.cancel(TaskId::new(), "operator").await.unwrap_err();
    assert!(matches!(err, EngineError::NotFound(_)), "{err:?}");
}

#[tokio::test]
async fn a_cancel_is_not_lost_to_a_shutdown() {
    let db = TestDb::new().await;
    let (gate, handle) = Gate::new(Gate::DEAF);
    let engine = db.engine("node-a", vec![gate.clone()]);
    engine.start();
    let submitted = engine
        .submit(new_task(Gate::DEAF, &GATE_STAGES))
        .await
        .unwrap();
    wait_in_stage(db.store.as_ref(), submitted.id, "wait").await;

    // Cancel, then shut down before the job reaches a checkpoint: it sees both.
    engine.cancel(submitted.id, "operator").await.unwrap();
    let stopping = tokio::spawn({
        let engine = engine.clone();
        async move { engine.shutdown(Duration::from_secs(10)).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    handle.open();
    stopping.await.unwrap();

    let task = db.store.get_task(submitted.id).await.unwrap().unwrap();
    assert_eq!(
        task.status,
        TaskStatus::Canceled,
        "the cancel wins over the interruption"
    );
    let next = engine_on(&db.reopen().await, settings("node-a"), vec![gate]);
    assert_eq!(
        next.run_pending().await.unwrap(),
        0,
        "a cancelled task never runs again"
    );
}

#[tokio::test]
async fn a_cancel_requested_before_its_node_died_is_honoured_by_recovery() {
    let db = TestDb::new().await;
    let (gate, _) = Gate::new(Gate::NAME);
    let (settings, clock) = on_manual_clock(settings("node-a"));
    let engine = engine_on(&db.store, settings, vec![gate]);
    let submitted = engine
        .submit(new_task(Gate::NAME, &GATE_STAGES))
        .await
        .unwrap();
    let now = clock.now();
    let names = [Gate::NAME.to_owned()];
    let claimed = db
        .store
        .claim_next(&names, "node-b", now, now)
        .await
        .unwrap();
    assert_eq!(claimed.map(|t| t.id), Some(submitted.id));
    // node-b dies before its job sees the cancel.
    engine.cancel(submitted.id, "operator").await.unwrap();
    // Its lease ends "now": until the clock moves on, node-b counts as alive.
    assert_eq!(engine.recover().await.unwrap(), RecoveryReport::default());
    clock.advance(Duration::from_millis(1));

    let report = engine.recover().await.unwrap();
    assert_eq!(
        report,
        RecoveryReport {
            resumed: 0,
            failed: 0,
            canceled: 1
        }
    );
    let task = engine.get(submitted.id).await.unwrap();
    assert_eq!(task.status, TaskStatus::Canceled);
    assert!(
        task.stages
            .iter()
            .all(|s| s.status == StageStatus::Canceled)
    );
    assert_eq!(engine.run_pending().await.unwrap(), 0);
}
