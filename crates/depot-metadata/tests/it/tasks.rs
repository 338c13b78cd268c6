//! Storing, updating, cancelling, pruning and counting tasks.

use std::collections::HashMap;

use depot_metadata::{InsertOutcome, TaskFilter};
use depot_model::{ErrorKind, TaskId, TaskStatus};
use tokio::task::JoinSet;

use crate::backends::{Store, conformance};
use crate::fixtures::{at, full_task, keyed_task, listed, task, task_in};

conformance! {
    insert_get_round_trip => sqlite_insert_get_round_trip, postgres_insert_get_round_trip;
    concurrency_key_returns_active_holder =>
        sqlite_concurrency_key_returns_active_holder, postgres_concurrency_key_returns_active_holder;
    concurrent_inserts_with_one_key =>
        sqlite_concurrent_inserts_with_one_key, postgres_concurrent_inserts_with_one_key;
    update_with_stale_version => sqlite_update_with_stale_version, postgres_update_with_stale_version;
    update_to_held_key_conflicts =>
        sqlite_update_to_held_key_conflicts, postgres_update_to_held_key_conflicts;
    cancel_flag => sqlite_cancel_flag, postgres_cancel_flag;
    prune_only_old_terminal_tasks =>
        sqlite_prune_only_old_terminal_tasks, postgres_prune_only_old_terminal_tasks;
    counts_by_status => sqlite_counts_by_status, postgres_counts_by_status;
}

async fn insert_get_round_trip(store: Store) {
    let full = full_task();
    assert_eq!(
        store.insert_task(&full).await.unwrap(),
        InsertOutcome::Inserted
    );
    assert_eq!(store.get_task(full.id).await.unwrap(), Some(full.clone()));

    // The sparse end: every option unset, a null payload, no stages.
    let sparse = task("job", 0);
    assert_eq!(
        store.insert_task(&sparse).await.unwrap(),
        InsertOutcome::Inserted
    );
    assert_eq!(
        store.get_task(sparse.id).await.unwrap(),
        Some(sparse.clone())
    );

    // `Some(null)` stays distinct from `None`.
    let mut null_result = task("job", 1);
    null_result.result = Some(serde_json::Value::Null);
    store.insert_task(&null_result).await.unwrap();
    assert_eq!(
        store.get_task(null_result.id).await.unwrap(),
        Some(null_result)
    );

    assert_eq!(store.get_task(TaskId::new()).await.unwrap(), None);

    let mut same_id = sparse.clone();
    same_id.name = "other".into();
    let err = store.insert_task(&same_id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert_eq!(store.get_task(sparse.id).await.unwrap(), Some(sparse));
}

async fn concurrency_key_returns_active_holder(store: Store) {
    let first = keyed_task("remote:1", 0);
    assert_eq!(
        store.insert_task(&first).await.unwrap(),
        InsertOutcome::Inserted
    );

    let second = keyed_task("remote:1", 10);
    assert_eq!(
        store.insert_task(&second).await.unwrap(),
        InsertOutcome::Existing(Box::new(first.clone()))
    );
    assert_eq!(store.get_task(second.id).await.unwrap(), None);

    // Other keys and unkeyed tasks are independent.
    let other = keyed_task("remote:2", 20);
    assert_eq!(
        store.insert_task(&other).await.unwrap(),
        InsertOutcome::Inserted
    );
    for i in 0..2 {
        assert_eq!(
            store.insert_task(&task("job", 30 + i)).await.unwrap(),
            InsertOutcome::Inserted
        );
    }

    // Running still holds the key.
    let names = [first.name.clone()];
    let running = store
        .claim_next(&names, "node-a", at(100), at(1000))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(running.id, first.id);
    match store.insert_task(&second).await.unwrap() {
        InsertOutcome::Existing(holder) => assert_eq!(*holder, running),
        InsertOutcome::Inserted => panic!("a running task holds the key"),
    }

    // Once it ends, the key is free again.
    let mut done = running;
    done.status = TaskStatus::Succeeded;
    done.end_time = Some(at(200));
    assert!(store.update_task(&done).await.unwrap().is_some());
    assert_eq!(
        store.insert_task(&second).await.unwrap(),
        InsertOutcome::Inserted
    );
    assert_eq!(store.get_task(second.id).await.unwrap(), Some(second));
}

async fn concurrent_inserts_with_one_key(store: Store) {
    let mut inserts = JoinSet::new();
    for i in 0..500 {
        let store = store.clone();
        inserts.spawn(async move {
            let t = keyed_task("remote:busy", i);
            (t.id, store.insert_task(&t).await.unwrap())
        });
    }
    let (mut inserted, mut holders) = (Vec::new(), Vec::new());
    while let Some(joined) = inserts.join_next().await {
        match joined.unwrap() {
            (id, InsertOutcome::Inserted) => inserted.push(id),
            (_, InsertOutcome::Existing(holder)) => holders.push(holder.id),
        }
    }
    assert_eq!(inserted.len(), 1, "exactly one insert wins");
    assert_eq!(holders.len(), 499);
    assert!(
        holders.iter().all(|id| *id == inserted[0]),
        "all others see the winner"
    );
    let all = TaskFilter {
        include_system: true,
        ..TaskFilter::default()
    };
    assert_eq!(listed(&*store, &all).await, (inserted, 1));
}

async fn update_with_stale_version(store: Store) {
    let mut t = task("job", 0);
    store.insert_task(&t).await.unwrap();

    t.status = TaskStatus::Running;
    t.progress.completed = 50;
    t.updated_by = "operator".into();
    t.update_time = at(10);
    assert_eq!(store.update_task(&t).await.unwrap(), Some(1));
    t.version = 1;
    assert_eq!(store.get_task(t.id).await.unwrap(), Some(t.clone()));

    // A writer holding the old version loses and changes nothing.
    let mut stale = t.clone();
    stale.version = 0;
    stale.name = "stale".into();
    assert_eq!(store.update_task(&stale).await.unwrap(), None);
    assert_eq!(store.get_task(t.id).await.unwrap(), Some(t.clone()));

    t.progress.completed = 100;
    assert_eq!(store.update_task(&t).await.unwrap(), Some(2));
    assert_eq!(store.update_task(&task("gone", 0)).await.unwrap(), None);
}

async fn update_to_held_key_conflicts(store: Store) {
    let holder = keyed_task("remote:1", 0);
    store.insert_task(&holder).await.unwrap();
    // A terminal task may carry the key: only active ones hold it.
    let mut old = keyed_task("remote:1", 10);
    old.status = TaskStatus::Failed;
    old.end_time = Some(at(20));
    assert_eq!(
        store.insert_task(&old).await.unwrap(),
        InsertOutcome::Inserted
    );

    let mut retry = old.clone();
    retry.status = TaskStatus::Pending;
    retry.end_time = None;
    let err = store.update_task(&retry).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert_eq!(store.get_task(old.id).await.unwrap(), Some(old));
}

async fn cancel_flag(store: Store) {
    let mut t = task("job", 0);
    store.insert_task(&t).await.unwrap();
    assert!(!store.cancel_requested(t.id).await.unwrap());
    assert!(store.request_cancel(t.id).await.unwrap());
    assert!(store.cancel_requested(t.id).await.unwrap());

    // Raising the flag leaves the version alone, and update_task leaves the flag alone.
    t.update_time = at(5);
    assert_eq!(store.update_task(&t).await.unwrap(), Some(1));
    assert!(store.cancel_requested(t.id).await.unwrap());

    // A claim starts a fresh attempt: the flag is cleared.
    let names = [t.name.clone()];
    store
        .claim_next(&names, "node-a", at(10), at(100))
        .await
        .unwrap()
        .unwrap();
    assert!(!store.cancel_requested(t.id).await.unwrap());

    let unknown = TaskId::new();
    assert!(!store.request_cancel(unknown).await.unwrap());
    assert!(!store.cancel_requested(unknown).await.unwrap());
}

async fn prune_only_old_terminal_tasks(store: Store) {
    let cut = at(10_000);
    let pruned = [
        task_in(TaskStatus::Succeeded, 0, 1_000),
        task_in(TaskStatus::Failed, 0, 2_000),
        task_in(TaskStatus::Canceled, 0, 9_999),
    ];
    let kept = [
        task_in(TaskStatus::Succeeded, 0, 10_000), // not strictly before the cut
        task_in(TaskStatus::Failed, 0, 20_000),
        task_in(TaskStatus::Pending, 0, 0),
        task_in(TaskStatus::Running, 0, 0),
    ];
    for t in pruned.iter().chain(&kept) {
        store.insert_task(t).await.unwrap();
    }
    assert_eq!(store.prune_tasks(cut).await.unwrap(), 3);
    for t in &pruned {
        assert_eq!(store.get_task(t.id).await.unwrap(), None);
    }
    for t in &kept {
        assert_eq!(store.get_task(t.id).await.unwrap().as_ref(), Some(t));
    }
    assert_eq!(store.prune_tasks(cut).await.unwrap(), 0);
}

async fn counts_by_status(store: Store) {
    let nonzero = |counts: Vec<(TaskStatus, u64)>| -> HashMap<TaskStatus, u64> {
        counts.into_iter().filter(|(_, n)| *n > 0).collect()
    };
    assert!(nonzero(store.count_tasks_by_status().await.unwrap()).is_empty());
    let mix = [
        (TaskStatus::Pending, 2_u8),
        (TaskStatus::Running, 1),
        (TaskStatus::Succeeded, 3),
        (TaskStatus::Failed, 1),
    ];
    for (status, n) in mix {
        for i in 0..n {
            let mut t = task_in(status, i64::from(i), 100);
            t.system = i % 2 == 1; // system tasks count too
            store.insert_task(&t).await.unwrap();
        }
    }
    let expected: HashMap<_, _> = mix.into_iter().map(|(s, n)| (s, u64::from(n))).collect();
    assert_eq!(
        nonzero(store.count_tasks_by_status().await.unwrap()),
        expected
    );
}
