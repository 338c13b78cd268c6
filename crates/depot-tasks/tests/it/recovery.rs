//! Recovering tasks left `RUNNING` by a crash, a restart or a dead node.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use depot_metadata::TaskStore;
use depot_model::{Clock, Message, Stage, StageStatus, Task, TaskStatus, Timestamp};
use depot_tasks::{EngineSettings, RecoveryReport, TaskEngine};

use crate::faults::FaultyStore;
use crate::fixture::{
    TestDb, engine_on, logged, new_task, on_manual_clock, settings, stage_status, wait_ended,
};
use crate::jobs::{GATE_STAGES, Gate};

/// Claims the oldest pending task of job `name` for `owner` at `now` with a lease
/// ending `lease` after it (negative: already expired), and marks its first stage
/// running, as a worker that then died would have left it.
async fn claim_and_abandon(
    store: &dyn TaskStore,
    name: &str,
    owner: &str,
    now: Timestamp,
    lease: TimeDelta,
) -> Task {
    let mut task = store
        .claim_next(&[name.to_owned()], owner, now, now + lease)
        .await
        .unwrap()
        .expect("a pending task to claim");
    task.stages[0].status = StageStatus::Running;
    task.stages[0].start_time = Some(now);
    task.version = store
        .update_task(&task)
        .await
        .unwrap()
        .expect("unchanged since the claim");
    task
}

#[tokio::test]
async fn a_restarted_node_resumes_or_fails_its_own_running_tasks() {
    let db = TestDb::new().await;
    let (gate, gate_handle) = Gate::new(Gate::NAME);
    let (once, once_handle) = Gate::new(Gate::ONCE);
    let before = db.engine("node-a", vec![gate.clone(), once.clone()]);
    let resumable = before
        .submit(new_task(Gate::NAME, &GATE_STAGES))
        .await
        .unwrap();
    let one_shot = before
        .submit(new_task(Gate::ONCE, &GATE_STAGES))
        .await
        .unwrap();
    let live = TimeDelta::hours(1);
    let now = depot_model::now();
    claim_and_abandon(db.store.as_ref(), Gate::NAME, "node-a", now, live).await;
    claim_and_abandon(db.store.as_ref(), Gate::ONCE, "node-a", now, live).await;
    drop(before);

    let after = engine_on(&db.reopen().await, settings("node-a"), vec![gate, once]);
    let report = after.recover().await.unwrap();
    assert_eq!(
        report,
        RecoveryReport {
            resumed: 1,
            failed: 1,
            canceled: 0
        }
    );

    let task = after.get(resumable.id).await.unwrap();
    assert_eq!(task.status, TaskStatus::Pending);
    assert_eq!(stage_status(&task, "wait"), StageStatus::Pending);
    assert!(logged(&task, "com.vmware.depotd.task.interrupted.resume"));
    let task = after.get(one_shot.id).await.unwrap();
    assert_eq!(task.status, TaskStatus::Failed);
    assert!(task.retriable);
    assert!(!task.cancellable);
    assert!(task.end_time.is_some());
    assert_eq!(
        task.error.as_ref().map(|e| e.code.as_str()),
        Some("TASK_INTERRUPTED")
    );
    assert_eq!(stage_status(&task, "wait"), StageStatus::Failed);

    assert_eq!(
        after.recover().await.unwrap(),
        RecoveryReport::default(),
        "nothing left"
    );
    gate_handle.open();
    once_handle.open();
    assert_eq!(after.run_pending().await.unwrap(), 1);
    let task = after.get(resumable.id).await.unwrap();
    assert_eq!(task.status, TaskStatus::Succeeded);
    assert_eq!(task.attempts, 2);
}

#[tokio::test]
async fn only_tasks_of_dead_nodes_are_taken_over() {
    let db = TestDb::new().await;
    let (gate, _) = Gate::new(Gate::NAME);
    let (settings, clock) = on_manual_clock(settings("node-a"));
    let engine = engine_on(&db.store, settings, vec![gate]);
    let expired = engine
        .submit(new_task(Gate::NAME, &GATE_STAGES))
        .await
        .unwrap();
    // Submitted later, so claimed second.
    clock.advance(Duration::from_millis(1));
    let alive = engine
        .submit(new_task(Gate::NAME, &GATE_STAGES))
        .await
        .unwrap();
    let store = db.store.as_ref();
    let now = clock.now();
    let claimed = claim_and_abandon(store, Gate::NAME, "node-b", now, TimeDelta::seconds(-1)).await;
    assert_eq!(claimed.id, expired.id);
    let claimed = claim_and_abandon(store, Gate::NAME, "node-c", now, TimeDelta::hours(1)).await;
    assert_eq!(claimed.id, alive.id);

    assert_eq!(
        engine.recover().await.unwrap(),
        RecoveryReport {
            resumed: 1,
            failed: 0,
            canceled: 0
        }
    );
    assert_eq!(
        engine.get(expired.id).await.unwrap().status,
        TaskStatus::Pending
    );
    let untouched = engine.get(alive.id).await.unwrap();
    assert_eq!(
        untouched.status,
        TaskStatus::Running,
        "node-c still holds its lease"
    );
    assert_eq!(stage_status(&untouched, "wait"), StageStatus::Running);
}

#[tokio::test]
async fn a_running_engine_takes_over_expired_leases_in_housekeeping() {
    let db = TestDb::new().await;
    let (gate, handle) = Gate::new(Gate::NAME);
    handle.open();
    let engine = engine_on(
        &db.store,
        EngineSettings {
            housekeeping_interval: Duration::from_millis(50),
            ..settings("node-a")
        },
        vec![gate],
    );
    let submitted = engine
        .submit(new_task(Gate::NAME, &GATE_STAGES))
        .await
        .unwrap();
    claim_and_abandon(
        db.store.as_ref(),
        Gate::NAME,
        "node-b",
        depot_model::now(),
        TimeDelta::seconds(-1),
    )
    .await;
    engine.start();

    let task = wait_ended(db.store.as_ref(), submitted.id).await;
    assert_eq!(task.status, TaskStatus::Succeeded);
    assert_eq!(task.attempts, 2);
    engine.shutdown(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn a_running_task_of_an_unknown_job_is_failed_cleanly() {
    let db = TestDb::new().await;
    let mut retired = Task::new(
        "retired_job",
        Message::new("test.retired", "A job this version no longer has"),
        "admin",
        depot_model::now(),
    );
    retired.stages = vec![Stage::new("only", Message::new("test.stage.only", "only"))];
    db.store.insert_task(&retired).await.unwrap();
    claim_and_abandon(
        db.store.as_ref(),
        "retired_job",
        "node-a",
        depot_model::now(),
        TimeDelta::hours(1),
    )
    .await;

    let engine = db.engine("node-a", vec![Gate::new(Gate::NAME).0]);
    assert_eq!(
        engine.recover().await.unwrap(),
        RecoveryReport {
            resumed: 0,
            failed: 1,
            canceled: 0
        }
    );
    let task = engine.get(retired.id).await.unwrap();
    assert_eq!(task.status, TaskStatus::Failed);
    assert_eq!(
        task.error.as_ref().map(|e| e.code.as_str()),
        Some("TASK_JOB_UNKNOWN")
    );
    assert!(task.end_time.is_some());
    assert!(!task.cancellable);
    assert_eq!(
        stage_status(&task, "only"),
        StageStatus::Failed,
        "no stage of an ended task stays running"
    );
}

#[tokio::test]
async fn a_task_whose_outcome_could_not_be_stored_does_not_stay_running() {
    let db = TestDb::new().await;
    let store = Arc::new(FaultyStore::new(&db.store));
    store.fail_final_writes(1);
    let (gate, handle) = Gate::new(Gate::NAME);
    handle.open();
    let engine = TaskEngine::new(
        Arc::clone(&store) as Arc<dyn TaskStore>,
        EngineSettings {
            lease: Duration::from_millis(500),
            housekeeping_interval: Duration::from_millis(50),
            ..settings("node-a")
        },
        vec![gate],
    );
    engine.start();
    let submitted = engine
        .submit(new_task(Gate::NAME, &GATE_STAGES))
        .await
        .unwrap();

    // The first run's outcome is lost; this node keeps renewing the task's lease, so
    // only this node can notice that none of its workers runs it any more.
    let task = wait_ended(db.store.as_ref(), submitted.id).await;
    assert_eq!(
        store.final_write_failures_left(),
        0,
        "the first outcome was not stored"
    );
    assert_eq!(task.status, TaskStatus::Succeeded);
    assert_eq!(task.attempts, 2, "resumed and run again");
    assert!(logged(&task, "com.vmware.depotd.task.interrupted.resume"));
    engine.shutdown(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn zero_lease_and_housekeeping_periods_do_not_stop_housekeeping() {
    let db = TestDb::new().await;
    let (gate, handle) = Gate::new(Gate::NAME);
    handle.open();
    let engine = engine_on(
        &db.store,
        EngineSettings {
            lease: Duration::ZERO,
            housekeeping_interval: Duration::ZERO,
            ..settings("node-a")
        },
        vec![gate],
    );
    let orphan = engine
        .submit(new_task(Gate::NAME, &GATE_STAGES))
        .await
        .unwrap();
    claim_and_abandon(
        db.store.as_ref(),
        Gate::NAME,
        "node-b",
        depot_model::now(),
        TimeDelta::seconds(-1),
    )
    .await;
    engine.start();
    let fresh = engine
        .submit(new_task(Gate::NAME, &GATE_STAGES))
        .await
        .unwrap();

    for id in [orphan.id, fresh.id] {
        assert_eq!(
            wait_ended(db.store.as_ref(), id).await.status,
            TaskStatus::Succeeded
        );
    }
    engine.shutdown(Duration::from_secs(10)).await;
}
