//! Stopping an engine: jobs stop at their next checkpoint, or are dropped at the
//! deadline; interrupted tasks resume on the next engine.

use std::sync::Arc;
use std::time::Duration;

use depot_metadata::TaskStore;
use depot_model::{StageStatus, TaskStatus};
use depot_tasks::TaskEngine;

use crate::faults::FaultyStore;
use crate::fixture::{
    TestDb, engine_on, logged, new_task, settings, stage_status, wait_in_stage, wait_until,
};
use crate::jobs::{GATE_STAGES, Gate};

#[tokio::test]
async fn shutdown_stops_jobs_at_their_checkpoint() {
    let db = TestDb::new().await;
    let (gate, gate_handle) = Gate::new(Gate::NAME);
    let (once, once_handle) = Gate::new(Gate::ONCE);
    let engine = db.engine("node-a", vec![gate.clone(), once.clone()]);
    engine.start();
    let resumable = engine
        .submit(new_task(Gate::NAME, &GATE_STAGES))
        .await
        .unwrap();
    let one_shot = engine
        .submit(new_task(Gate::ONCE, &GATE_STAGES))
        .await
        .unwrap();
    wait_in_stage(db.store.as_ref(), resumable.id, "wait").await;
    wait_in_stage(db.store.as_ref(), one_shot.id, "wait").await;

    engine.shutdown(Duration::from_secs(10)).await;

    let task = engine.get(resumable.id).await.unwrap();
    assert_eq!(
        task.status,
        TaskStatus::Pending,
        "an idempotent job resumes later"
    );
    assert_eq!(stage_status(&task, "wait"), StageStatus::Pending);
    assert_eq!(task.end_time, None);
    assert!(logged(&task, "com.vmware.depotd.task.interrupted.resume"));

    let task = engine.get(one_shot.id).await.unwrap();
    assert_eq!(
        task.status,
        TaskStatus::Failed,
        "a non-idempotent job must not run twice"
    );
    assert!(task.retriable);
    assert_eq!(
        task.error.as_ref().map(|e| e.code.as_str()),
        Some("TASK_INTERRUPTED")
    );
    assert_eq!(stage_status(&task, "wait"), StageStatus::Failed);
    assert_eq!(
        gate_handle.dropped() + once_handle.dropped(),
        2,
        "both runs ended"
    );

    // The next start, on the same database, runs what was left.
    gate_handle.open();
    once_handle.open();
    let next = engine_on(&db.reopen().await, settings("node-a"), vec![gate, once]);
    assert_eq!(next.run_pending().await.unwrap(), 1);
    assert_eq!(
        next.get(resumable.id).await.unwrap().status,
        TaskStatus::Succeeded
    );
    next.retry(one_shot.id, "operator").await.unwrap();
    assert_eq!(next.run_pending().await.unwrap(), 1);
    assert_eq!(
        next.get(one_shot.id).await.unwrap().status,
        TaskStatus::Succeeded
    );
}

#[tokio::test(flavor = "current_thread")]
async fn shutdown_right_after_start_does_not_wait_for_the_deadline() {
    let db = TestDb::new().await;
    let engine = db.engine("node-a", vec![Gate::new(Gate::NAME).0]);
    // On this single-threaded runtime the background loops first run inside shutdown,
    // after it raised the flag.
    engine.start();
    let stopped = tokio::time::timeout(
        Duration::from_secs(10),
        engine.shutdown(Duration::from_hours(1)),
    )
    .await;
    assert!(
        stopped.is_ok(),
        "an idle engine must stop without waiting for the deadline"
    );
}

#[tokio::test]
async fn the_deadline_drops_jobs_that_never_check_in() {
    let db = TestDb::new().await;
    let (deaf, handle) = Gate::new(Gate::DEAF);
    let engine = db.engine("node-a", vec![deaf.clone()]);
    engine.start();
    let submitted = engine
        .submit(new_task(Gate::DEAF, &GATE_STAGES))
        .await
        .unwrap();
    wait_in_stage(db.store.as_ref(), submitted.id, "wait").await;

    engine.shutdown(Duration::from_millis(100)).await;
    wait_until("the stuck job's run being dropped", || {
        handle.dropped() == 1
    })
    .await;
    let task = engine.get(submitted.id).await.unwrap();
    assert_eq!(
        task.status,
        TaskStatus::Running,
        "left for recovery at the next start"
    );

    handle.open();
    let next = engine_on(&db.reopen().await, settings("node-a"), vec![deaf]);
    assert_eq!(next.recover().await.unwrap().resumed, 1);
    assert_eq!(next.run_pending().await.unwrap(), 1);
    assert_eq!(
        next.get(submitted.id).await.unwrap().status,
        TaskStatus::Succeeded
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_task_claimed_during_shutdown_is_handed_back_unstarted() {
    let db = TestDb::new().await;
    let store = Arc::new(FaultyStore::new(&db.store));
    store.hold_claims();
    let (once, handle) = Gate::new(Gate::ONCE);
    let engine = TaskEngine::new(
        Arc::clone(&store) as Arc<dyn TaskStore>,
        depot_tasks::EngineSettings {
            workers: 1,
            ..settings("node-a")
        },
        vec![once],
    );
    let submitted = engine
        .submit(new_task(Gate::ONCE, &GATE_STAGES))
        .await
        .unwrap();
    engine.start();
    store.claiming.notified().await;

    let stopping = tokio::spawn({
        let engine = Arc::clone(&engine);
        async move { engine.shutdown(Duration::from_secs(10)).await }
    });
    // Let the shutdown raise its flag (it does so before its first await).
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    store.release_claims(1);
    stopping.await.unwrap();

    let task = db.store.get_task(submitted.id).await.unwrap().unwrap();
    assert_eq!(handle.dropped(), 0, "the job never started");
    assert_eq!(
        task.status,
        TaskStatus::Pending,
        "a non-idempotent task that never started is not failed by a shutdown"
    );
    assert_eq!(task.attempts, 0);
    assert!(task.stages.iter().all(|s| s.status == StageStatus::Pending));
}
