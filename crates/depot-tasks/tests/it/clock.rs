//! The engine reads the time from its clock: what it records and what it decides
//! (whose lease is over) follow a manual clock, not the wall clock.

use std::time::Duration;

use depot_model::{Clock, ManualClock, StageStatus, TaskStatus, Timestamp};
use depot_tasks::{EngineSettings, RecoveryReport};
use serde_json::json;

use crate::fixture::{TestDb, engine_on, new_task, settings, wait_ended, wait_in_stage};
use crate::jobs::{COUNT_STAGES, Count, CountInput, GATE_STAGES, Gate};

/// An instant far from the wall clock, so a time read from the wall clock shows.
fn start() -> Timestamp {
    "2031-05-06T07:08:09.010Z".parse().unwrap()
}

#[tokio::test]
async fn task_and_stage_times_are_the_clock_s() {
    let db = TestDb::new().await;
    let clock = ManualClock::at(start());
    let (job, _) = Count::new();
    let engine = engine_on(
        &db.store,
        EngineSettings {
            clock: clock.clone(),
            ..settings("node-a")
        },
        vec![job],
    );
    let mut new = new_task(Count::NAME, &COUNT_STAGES);
    new.payload = json!(CountInput {
        steps: 1,
        ..CountInput::default()
    });
    let submitted = engine.submit(new).await.unwrap();
    assert_eq!(submitted.create_time, start());

    clock.advance(Duration::from_secs(90));
    let ran_at = clock.now();
    assert_eq!(engine.run_pending().await.unwrap(), 1);
    let task = engine.get(submitted.id).await.unwrap();
    assert_eq!(task.status, TaskStatus::Succeeded);
    assert_eq!(task.create_time, start());
    assert_eq!(task.start_time, Some(ran_at));
    assert_eq!(task.end_time, Some(ran_at));
    assert_eq!(task.update_time, ran_at);
    for stage in &task.stages {
        assert_eq!(stage.status, StageStatus::Succeeded);
        assert_eq!(
            (stage.start_time, stage.end_time),
            (Some(ran_at), Some(ran_at))
        );
        assert!(stage.messages.iter().all(|m| m.time == ran_at));
    }
}

#[tokio::test]
async fn a_lease_ends_when_the_clock_passes_it() {
    let db = TestDb::new().await;
    let clock = ManualClock::at(start());
    let lease = Duration::from_secs(30);
    let on_clock = |node| EngineSettings {
        lease,
        clock: clock.clone(),
        ..settings(node)
    };
    let (gate, handle) = Gate::new(Gate::NAME);
    // One worker, busy with the task: node-b cannot claim it again once recovered.
    let node_b = engine_on(
        &db.store,
        EngineSettings {
            workers: 1,
            ..on_clock("node-b")
        },
        vec![gate.clone()],
    );
    node_b.start();
    let submitted = node_b
        .submit(new_task(Gate::NAME, &GATE_STAGES))
        .await
        .unwrap();
    wait_in_stage(db.store.as_ref(), submitted.id, "wait").await;

    // node-b holds the task, claimed and renewed on the clock: not orphaned until the
    // clock passes the lease, however long the wall clock takes.
    let node_a = engine_on(&db.store, on_clock("node-a"), vec![gate]);
    assert_eq!(node_a.recover().await.unwrap(), RecoveryReport::default());
    clock.advance(lease);
    assert_eq!(
        node_a.recover().await.unwrap(),
        RecoveryReport::default(),
        "the lease ends at, not before, its last instant"
    );
    clock.advance(Duration::from_millis(1));
    assert_eq!(
        node_a.recover().await.unwrap(),
        RecoveryReport {
            resumed: 1,
            failed: 0,
            canceled: 0
        }
    );
    handle.open();
    node_b.shutdown(Duration::from_secs(10)).await;
    node_a.start();
    let task = wait_ended(db.store.as_ref(), submitted.id).await;
    assert_eq!(task.status, TaskStatus::Succeeded);
    assert_eq!(task.attempts, 2);
    node_a.shutdown(Duration::from_secs(10)).await;
}
