//! Claiming tasks, leases and orphans.

use std::collections::HashSet;

use depot_model::{TaskId, TaskStatus};
use tokio::task::JoinSet;

use crate::backends::{Store, conformance};
use crate::fixtures::{at, task};

conformance! {
    claim_oldest_first => sqlite_claim_oldest_first, postgres_claim_oldest_first;
    claim_by_name => sqlite_claim_by_name, postgres_claim_by_name;
    concurrent_claimers_never_share =>
        sqlite_concurrent_claimers_never_share, postgres_concurrent_claimers_never_share;
    leases_and_orphans => sqlite_leases_and_orphans, postgres_leases_and_orphans;
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|n| (*n).to_owned()).collect()
}

async fn claim_oldest_first(store: Store) {
    let (t1, t2, t3) = (task("job", 0), task("job", 1_000), task("job", 2_000));
    for t in [&t3, &t1, &t2] {
        store.insert_task(t).await.unwrap();
    }
    let jobs = names(&["job"]);
    assert_eq!(
        store
            .claim_next(&[], "node-a", at(5_000), at(65_000))
            .await
            .unwrap(),
        None
    );

    let claimed = store
        .claim_next(&jobs, "node-a", at(5_000), at(65_000))
        .await
        .unwrap();
    let claimed = claimed.expect("a pending task");
    let mut expected = t1.clone();
    expected.status = TaskStatus::Running;
    expected.attempts = 1;
    expected.start_time = Some(at(5_000));
    expected.update_time = at(5_000);
    expected.version = 1;
    assert_eq!(claimed, expected);
    assert_eq!(store.get_task(t1.id).await.unwrap(), Some(claimed));

    for next in [&t2, &t3] {
        let claimed = store
            .claim_next(&jobs, "node-a", at(6_000), at(66_000))
            .await
            .unwrap();
        assert_eq!(claimed.map(|t| t.id), Some(next.id));
    }
    assert_eq!(
        store
            .claim_next(&jobs, "node-a", at(7_000), at(67_000))
            .await
            .unwrap(),
        None
    );

    // A retried task keeps its first start time and counts attempts on.
    let mut retried = task("job", 3_000);
    retried.start_time = Some(at(100));
    retried.attempts = 2;
    store.insert_task(&retried).await.unwrap();
    let claimed = store
        .claim_next(&jobs, "node-b", at(8_000), at(68_000))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((claimed.start_time, claimed.attempts), (Some(at(100)), 3));
}

async fn claim_by_name(store: Store) {
    let alpha = task("alpha", 0);
    let beta = task("beta", 1_000);
    let mut done = task("beta", -1_000);
    done.status = TaskStatus::Succeeded;
    for t in [&alpha, &beta, &done] {
        store.insert_task(t).await.unwrap();
    }
    let claim = |list: &'static [&'static str]| {
        let store = store.clone();
        async move {
            let claimed = store
                .claim_next(&names(list), "node-a", at(5_000), at(9_000))
                .await;
            claimed.unwrap().map(|t| t.id)
        }
    };
    assert_eq!(claim(&["beta"]).await, Some(beta.id));
    assert_eq!(claim(&["beta"]).await, None);
    assert_eq!(claim(&["gamma"]).await, None);
    assert_eq!(claim(&["gamma", "alpha"]).await, Some(alpha.id));
}

async fn concurrent_claimers_never_share(store: Store) {
    let mut all = HashSet::new();
    for i in 0..60 {
        let t = task("job", i);
        all.insert(t.id);
        store.insert_task(&t).await.unwrap();
    }
    let mut claimers = JoinSet::new();
    for node in 0..4 {
        let store = store.clone();
        claimers.spawn(async move {
            let (owner, jobs) = (format!("node-{node}"), names(&["job"]));
            let mut got = Vec::new();
            while let Some(t) = store
                .claim_next(&jobs, &owner, at(100), at(1_000))
                .await
                .unwrap()
            {
                got.push(t.id);
            }
            got
        });
    }
    let mut claimed: Vec<TaskId> = Vec::new();
    while let Some(got) = claimers.join_next().await {
        claimed.extend(got.unwrap());
    }
    let unique: HashSet<TaskId> = claimed.iter().copied().collect();
    assert_eq!(unique.len(), claimed.len(), "a task was claimed twice");
    assert_eq!(unique, all);
}

async fn leases_and_orphans(store: Store) {
    let (t1, t2, t3, idle) = (
        task("job", 0),
        task("job", 1),
        task("job", 2),
        task("job", 3),
    );
    for t in [&t1, &t2, &t3, &idle] {
        store.insert_task(t).await.unwrap();
    }
    let jobs = names(&["job"]);
    let now = at(10_000);
    let claim = |owner: &'static str, lease_ms: i64| {
        let (store, jobs) = (store.clone(), jobs.clone());
        async move {
            store
                .claim_next(&jobs, owner, now, at(lease_ms))
                .await
                .unwrap()
                .unwrap()
        }
    };
    let c1 = claim("node-a", 60_000).await; // our own, lease still good
    claim("node-b", 9_000).await; // another node's, lease ran out
    claim("node-b", 70_000).await; // another node's, lease still good
    let ids = |tasks: Vec<depot_model::Task>| tasks.into_iter().map(|t| t.id).collect::<Vec<_>>();

    assert_eq!(
        ids(store.orphaned_tasks("node-a", now).await.unwrap()),
        vec![t1.id, t2.id]
    );

    // node-b renews: its tasks are no longer orphans, node-a's lease is untouched.
    store.renew_leases("node-b", at(120_000)).await.unwrap();
    assert_eq!(
        ids(store.orphaned_tasks("node-a", now).await.unwrap()),
        vec![t1.id]
    );
    assert_eq!(
        ids(store.orphaned_tasks("node-c", at(100_000)).await.unwrap()),
        vec![t1.id]
    );
    assert!(
        store
            .orphaned_tasks("node-c", now)
            .await
            .unwrap()
            .is_empty()
    );

    // update_task keeps the owner and lease; a finished task is no orphan.
    let mut progressed = c1;
    progressed.progress.completed = 10;
    assert!(store.update_task(&progressed).await.unwrap().is_some());
    assert_eq!(
        ids(store.orphaned_tasks("node-a", now).await.unwrap()),
        vec![t1.id]
    );
    progressed.version += 1;
    progressed.status = TaskStatus::Succeeded;
    progressed.end_time = Some(now);
    assert!(store.update_task(&progressed).await.unwrap().is_some());
    assert!(
        store
            .orphaned_tasks("node-a", now)
            .await
            .unwrap()
            .is_empty()
    );
    let idle = store.get_task(idle.id).await.unwrap().unwrap();
    assert_eq!(
        idle.status,
        TaskStatus::Pending,
        "pending tasks are never orphans"
    );
}
