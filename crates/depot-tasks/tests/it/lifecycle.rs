//! Submitting, running, listing and pruning tasks.

use std::sync::Arc;
use std::time::Duration;

use depot_metadata::{PageRequest, TaskFilter, TaskStore};
use depot_model::{ErrorKind, StageStatus, TaskId, TaskStatus};
use depot_tasks::{EngineError, EngineSettings};
use serde_json::json;

use crate::fixture::{TestDb, engine_on, logged, new_task, on_manual_clock, settings, wait_ended};
use crate::jobs::{COUNT_STAGES, Count, CountInput, Panics};

fn count_task(steps: u64) -> depot_tasks::NewTask {
    let mut t = new_task(Count::NAME, &COUNT_STAGES);
    t.payload = json!(CountInput {
        steps,
        ..CountInput::default()
    });
    t
}

#[tokio::test]
async fn submitted_task_runs_to_success() {
    let db = TestDb::new().await;
    let (job, runs) = Count::new();
    let engine = db.engine("node-a", vec![job]);

    let submitted = engine.submit(count_task(2)).await.unwrap();
    assert_eq!(submitted.status, TaskStatus::Pending);
    assert!(submitted.cancellable);
    assert_eq!(submitted.attempts, 0);
    assert!(submitted.start_time.is_none());
    assert!(
        submitted
            .stages
            .iter()
            .all(|s| s.status == StageStatus::Pending)
    );
    assert_eq!(engine.get(submitted.id).await.unwrap(), submitted);

    assert_eq!(engine.run_pending().await.unwrap(), 1);
    assert_eq!(
        engine.run_pending().await.unwrap(),
        0,
        "nothing is left to run"
    );

    let task = engine.get(submitted.id).await.unwrap();
    assert_eq!(task.status, TaskStatus::Succeeded);
    assert_eq!(task.result, Some(json!({ "counted": 6 })));
    assert_eq!(task.error, None);
    assert_eq!(task.attempts, 1);
    assert!(!task.retriable);
    assert!(!task.cancellable);
    let (start, end) = (
        task.start_time.expect("start time"),
        task.end_time.expect("end time"),
    );
    assert!(start <= end);
    assert!(task.progress.total > 0);
    assert_eq!(task.progress.completed, task.progress.total);
    assert!(logged(&task, "test.count.done"));
    assert!(logged(&task, "com.vmware.depotd.task.succeeded"));
    for stage in &task.stages {
        assert_eq!(stage.status, StageStatus::Succeeded, "stage {}", stage.id);
        assert!(
            stage.start_time.is_some() && stage.end_time.is_some(),
            "stage {}",
            stage.id
        );
        let lines: Vec<_> = stage
            .messages
            .iter()
            .map(|m| m.message.id.as_str())
            .collect();
        assert_eq!(lines, ["test.count.step"; 2], "stage {}", stage.id);
    }
    for stage in COUNT_STAGES {
        assert_eq!(runs.of(stage), 1, "stage {stage}");
    }
}

#[tokio::test]
async fn unknown_jobs_and_ids_are_refused() {
    let db = TestDb::new().await;
    let engine = db.engine("node-a", vec![Count::new().0]);
    let err = engine
        .submit(new_task("no_such_job", &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(err, EngineError::UnknownJob(ref name) if name == "no_such_job"),
        "{err:?}"
    );

    let id = TaskId::new();
    let err = engine.get(id).await.unwrap_err();
    assert!(
        matches!(err, EngineError::NotFound(missing) if missing == id),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn a_panicking_job_fails_its_task_and_the_worker_goes_on() {
    let db = TestDb::new().await;
    let (count, _) = Count::new();
    let engine = db.engine("node-a", vec![Arc::new(Panics), count]);
    engine.start();

    let doomed = engine
        .submit(new_task(Panics::NAME, &["explode"]))
        .await
        .unwrap();
    let task = wait_ended(db.store.as_ref(), doomed.id).await;
    assert_eq!(task.status, TaskStatus::Failed);
    assert_eq!(
        task.error.as_ref().map(|e| e.code.as_str()),
        Some("TASK_PANICKED")
    );
    assert!(!task.retriable, "a panic is a bug, not a transient failure");
    assert!(!task.cancellable);
    assert!(task.end_time.is_some());
    assert_eq!(task.stages[0].status, StageStatus::Failed);

    // Both workers are still alive: two tasks at once still run.
    let a = engine.submit(count_task(1)).await.unwrap();
    let b = engine.submit(count_task(1)).await.unwrap();
    for id in [a.id, b.id] {
        assert_eq!(
            wait_ended(db.store.as_ref(), id).await.status,
            TaskStatus::Succeeded
        );
    }
    engine.shutdown(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn prune_removes_only_finished_tasks_past_retention() {
    let db = TestDb::new().await;
    let (job, _) = Count::new();
    let (keep_a_week_settings, clock) = on_manual_clock(settings("node-a"));
    let keep_a_week = engine_on(&db.store, keep_a_week_settings.clone(), vec![job.clone()]);

    let succeeded = keep_a_week.submit(count_task(1)).await.unwrap();
    let mut bad = count_task(1);
    bad.payload = json!(CountInput {
        steps: 1,
        fail_at: Some("fetch".into()),
        permanent: true,
    });
    let failed = keep_a_week.submit(bad).await.unwrap();
    assert_eq!(keep_a_week.run_pending().await.unwrap(), 2);
    let canceled = keep_a_week.submit(count_task(1)).await.unwrap();
    keep_a_week.cancel(canceled.id, "admin").await.unwrap();
    let pending = keep_a_week.submit(count_task(1)).await.unwrap();

    assert_eq!(
        keep_a_week.prune().await.unwrap(),
        0,
        "nothing is a week old"
    );

    let keep_nothing = engine_on(
        &db.store,
        EngineSettings {
            retention: Duration::ZERO,
            ..keep_a_week_settings
        },
        vec![job],
    );
    // The end times are exactly "now minus zero": not yet past it.
    assert_eq!(keep_nothing.prune().await.unwrap(), 0);
    clock.advance(Duration::from_millis(1));
    assert_eq!(keep_nothing.prune().await.unwrap(), 3);
    for gone in [succeeded.id, failed.id, canceled.id] {
        assert!(matches!(
            keep_nothing.get(gone).await,
            Err(EngineError::NotFound(_))
        ));
    }
    assert_eq!(
        keep_nothing.get(pending.id).await.unwrap().status,
        TaskStatus::Pending
    );
    assert_eq!(keep_nothing.prune().await.unwrap(), 0);
}

#[tokio::test]
async fn a_retention_too_long_to_represent_keeps_everything() {
    let db = TestDb::new().await;
    let engine = engine_on(
        &db.store,
        EngineSettings {
            retention: Duration::from_secs(u64::MAX),
            ..settings("node-a")
        },
        vec![Count::new().0],
    );
    let done = engine.submit(count_task(1)).await.unwrap();
    engine.run_pending().await.unwrap();
    assert_eq!(engine.prune().await.unwrap(), 0);
    assert_eq!(
        engine.get(done.id).await.unwrap().status,
        TaskStatus::Succeeded
    );
}

#[tokio::test]
async fn listing_through_the_engine_matches_the_store() {
    let db = TestDb::new().await;
    let engine = db.engine("node-a", vec![Count::new().0]);
    for (i, (task_type, by)) in [("sync", "alice"), ("apply", "bob")]
        .into_iter()
        .cycle()
        .take(7)
        .enumerate()
    {
        let mut t = count_task(1);
        t.task_type = task_type.to_owned();
        t.created_by = by.to_owned();
        t.system = i == 0;
        engine.submit(t).await.unwrap();
    }

    let cases = [
        (
            TaskFilter::default(),
            PageRequest { number: 1, size: 4 },
            4,
            6,
        ),
        (
            TaskFilter::default(),
            PageRequest { number: 2, size: 4 },
            2,
            6,
        ),
        (
            TaskFilter {
                include_system: true,
                ..TaskFilter::default()
            },
            PageRequest {
                number: 1,
                size: 100,
            },
            7,
            7,
        ),
        (
            TaskFilter {
                task_type: Some("sync".into()),
                created_by: vec!["alice".into()],
                ..TaskFilter::default()
            },
            PageRequest { number: 1, size: 2 },
            2,
            3,
        ),
        (
            TaskFilter {
                statuses: vec![TaskStatus::Succeeded],
                ..TaskFilter::default()
            },
            PageRequest {
                number: 1,
                size: 10,
            },
            0,
            0,
        ),
    ];
    for (filter, page, on_page, total) in cases {
        let listed = engine.list(&filter, page).await.unwrap();
        assert_eq!(
            listed,
            db.store.list_tasks(&filter, page).await.unwrap(),
            "{filter:?}"
        );
        assert_eq!(
            (listed.items.len(), listed.total),
            (on_page, total),
            "{filter:?} {page:?}"
        );
    }
    assert_eq!(
        engine.counts().await.unwrap(),
        vec![(TaskStatus::Pending, 7)]
    );
}
