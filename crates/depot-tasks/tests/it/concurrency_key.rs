//! At most one pending or running task per concurrency key.

use std::collections::HashSet;
use std::time::Duration;

use depot_model::{ErrorKind, TaskStatus};
use depot_tasks::{EngineError, NewTask};
use serde_json::json;
use tokio::task::JoinSet;

use crate::fixture::{TestDb, new_task, tasks_named, wait_ended, wait_in_stage};
use crate::jobs::{COUNT_STAGES, Count, CountInput, GATE_STAGES, Gate};

fn keyed(job: &'static str, stages: &[&str], key: &str) -> NewTask {
    let mut t = new_task(job, stages);
    t.concurrency_key = Some(key.to_owned());
    t.payload = json!(CountInput {
        steps: 1,
        ..CountInput::default()
    });
    t
}

#[tokio::test]
async fn a_pending_task_holds_its_key_until_it_ends() {
    let db = TestDb::new().await;
    let engine = db.engine("node-a", vec![Count::new().0]);
    let first = engine
        .submit(keyed(Count::NAME, &COUNT_STAGES, "remote:r1"))
        .await
        .unwrap();
    let again = engine
        .submit(keyed(Count::NAME, &COUNT_STAGES, "remote:r1"))
        .await
        .unwrap();
    assert_eq!(again.id, first.id);
    let other = engine
        .submit(keyed(Count::NAME, &COUNT_STAGES, "remote:r2"))
        .await
        .unwrap();
    assert_ne!(other.id, first.id, "another key is another task");
    assert_eq!(tasks_named(db.store.as_ref(), Count::NAME).await.len(), 2);

    assert_eq!(engine.run_pending().await.unwrap(), 2);
    let after = engine
        .submit(keyed(Count::NAME, &COUNT_STAGES, "remote:r1"))
        .await
        .unwrap();
    assert_ne!(after.id, first.id, "an ended task no longer holds the key");
    assert_eq!(after.status, TaskStatus::Pending);
}

#[tokio::test]
async fn a_running_task_holds_its_key_until_it_ends() {
    let db = TestDb::new().await;
    let (gate, handle) = Gate::new(Gate::NAME);
    let engine = db.engine("node-a", vec![gate]);
    engine.start();

    let first = engine
        .submit(keyed(Gate::NAME, &GATE_STAGES, "k"))
        .await
        .unwrap();
    wait_in_stage(db.store.as_ref(), first.id, "wait").await;
    let again = engine
        .submit(keyed(Gate::NAME, &GATE_STAGES, "k"))
        .await
        .unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again.status, TaskStatus::Running);

    handle.open();
    assert_eq!(
        wait_ended(db.store.as_ref(), first.id).await.status,
        TaskStatus::Succeeded
    );
    let after = engine
        .submit(keyed(Gate::NAME, &GATE_STAGES, "k"))
        .await
        .unwrap();
    assert_ne!(after.id, first.id);
    assert_eq!(
        wait_ended(db.store.as_ref(), after.id).await.status,
        TaskStatus::Succeeded
    );
    engine.shutdown(Duration::from_secs(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_submits_with_one_key_create_one_task() {
    let db = TestDb::new().await;
    let engine = db.engine("node-a", vec![Count::new().0]);
    let mut submits = JoinSet::new();
    for _ in 0..500 {
        let engine = engine.clone();
        submits.spawn(async move {
            engine
                .submit(keyed(Count::NAME, &COUNT_STAGES, "remote:busy"))
                .await
                .map(|t| t.id)
        });
    }
    let mut ids = HashSet::new();
    while let Some(joined) = submits.join_next().await {
        ids.insert(joined.expect("submit task").expect("submit"));
    }
    assert_eq!(ids.len(), 1, "every submit returns the same task");
    let stored = tasks_named(db.store.as_ref(), Count::NAME).await;
    assert_eq!(stored.len(), 1);
    assert!(ids.contains(&stored[0].id));
}

#[tokio::test]
async fn retrying_while_another_task_holds_the_key_is_a_conflict() {
    let db = TestDb::new().await;
    let engine = db.engine("node-a", vec![Count::new().0]);
    let mut flaky = keyed(Count::NAME, &COUNT_STAGES, "k");
    flaky.payload = json!(CountInput {
        steps: 1,
        fail_at: Some("verify".into()),
        permanent: false,
    });
    let failed = engine.submit(flaky).await.unwrap();
    engine.run_pending().await.unwrap();
    assert_eq!(
        engine.get(failed.id).await.unwrap().status,
        TaskStatus::Failed
    );

    let holder = engine
        .submit(keyed(Count::NAME, &COUNT_STAGES, "k"))
        .await
        .unwrap();
    assert_ne!(holder.id, failed.id);
    let err = engine.retry(failed.id, "admin").await.unwrap_err();
    assert!(matches!(err, EngineError::Store(_)), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    let still = engine.get(failed.id).await.unwrap();
    assert_eq!(still.status, TaskStatus::Failed);
    assert!(still.retriable, "the refused retry changed nothing");
}
