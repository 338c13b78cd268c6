//! Two engines on one PostgreSQL database stand for two replicas: their clocks may
//! differ, and the database may restart under them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use depot_metadata::{PostgresStore, TaskStore};
use depot_model::{Clock, TaskId, TaskStatus, Timestamp};
use depot_tasks::{EngineSettings, Job, JobContext, JobError, TaskEngine};

use crate::fixture::{new_task, settings};
use crate::pg_cluster::{PgCluster, fresh_schema, shared_url};

/// The wall clock moved by a fixed offset: another host's clock.
#[derive(Debug)]
struct Skewed(chrono::TimeDelta);

impl Clock for Skewed {
    fn now(&self) -> Timestamp {
        depot_model::now() + self.0
    }
}

/// What the runs of each task did, across both engines.
#[derive(Default)]
struct Runs {
    /// Runs going on now, by task.
    active: HashMap<TaskId, u32>,
    /// Runs that did the work, by task.
    worked: HashMap<TaskId, u32>,
    /// Whether two runs of one task ever overlapped.
    overlapped: bool,
}

/// One stage of `work` long, recording its runs.
struct Counted {
    work: Duration,
    runs: Arc<Mutex<Runs>>,
}

impl Counted {
    const NAME: &'static str = "replica_counted";
}

#[async_trait]
impl Job for Counted {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    async fn run(&self, ctx: &mut JobContext) -> Result<Option<serde_json::Value>, JobError> {
        let id = ctx.task().id;
        {
            let mut runs = self.runs.lock().unwrap();
            let active = runs.active.entry(id).or_default();
            *active += 1;
            if *active > 1 {
                runs.overlapped = true;
            }
        }
        let done = async {
            if ctx.begin_stage("work").await? {
                tokio::time::sleep(self.work).await;
                *self.runs.lock().unwrap().worked.entry(id).or_default() += 1;
                ctx.finish_stage("work").await?;
            }
            Ok(None)
        }
        .await;
        *self.runs.lock().unwrap().active.entry(id).or_default() -= 1;
        done
    }
}

/// An engine of `node` on its own store over `url` in `schema`.
async fn replica(
    url: &str,
    schema: &str,
    node: &str,
    clock: Arc<dyn Clock>,
    lease: Duration,
    job: Arc<Counted>,
) -> Arc<TaskEngine> {
    let store = PostgresStore::connect_in_schema(url, schema).await.unwrap();
    let settings = EngineSettings {
        lease,
        housekeeping_interval: Duration::from_millis(100),
        clock,
        ..settings(node)
    };
    let engine = TaskEngine::new(Arc::new(store), settings, vec![job]);
    engine.start();
    engine
}

/// Waits until every task in `ids` has ended, reading through `store`; fails after
/// `limit`.
async fn all_ended(store: &dyn TaskStore, ids: &[TaskId], limit: Duration) -> Vec<TaskStatus> {
    let start = Instant::now();
    loop {
        let mut statuses = Vec::new();
        for id in ids {
            match store.get_task(*id).await {
                Ok(Some(t)) => statuses.push(t.status),
                Ok(None) => panic!("task {id} lost"),
                Err(_) => break,
            }
        }
        if statuses.len() == ids.len() && statuses.iter().all(|s| s.is_terminal()) {
            return statuses;
        }
        assert!(start.elapsed() < limit, "tasks still open: {statuses:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn leases_hold_when_clocks_differ_by_two_seconds() {
    let Some(url) = shared_url() else { return };
    let schema = fresh_schema();
    let runs = Arc::new(Mutex::new(Runs::default()));
    let job = Arc::new(Counted {
        // Longer than the lease: it holds only because it is renewed.
        work: Duration::from_secs(8),
        runs: Arc::clone(&runs),
    });
    // A lease of 6 s is renewed every 2 s, so at least 4 s of it are left at any time:
    // more than the 2 s the clocks differ by.
    let lease = Duration::from_secs(6);
    let behind: Arc<dyn Clock> = Arc::new(Skewed(chrono::TimeDelta::zero()));
    let ahead: Arc<dyn Clock> = Arc::new(Skewed(chrono::TimeDelta::seconds(2)));
    let a = replica(&url, &schema, "behind", behind, lease, Arc::clone(&job)).await;
    let b = replica(&url, &schema, "ahead", ahead, lease, Arc::clone(&job)).await;
    let mut ids = Vec::new();
    for i in 0..4 {
        let engine = if i % 2 == 0 { &a } else { &b };
        ids.push(
            engine
                .submit(new_task(Counted::NAME, &["work"]))
                .await
                .unwrap()
                .id,
        );
    }
    let store = PostgresStore::connect_in_schema(&url, &schema)
        .await
        .unwrap();
    let statuses = all_ended(&store, &ids, Duration::from_mins(1)).await;
    a.shutdown(Duration::from_secs(5)).await;
    b.shutdown(Duration::from_secs(5)).await;
    assert!(
        statuses.iter().all(|s| *s == TaskStatus::Succeeded),
        "{statuses:?}"
    );
    for id in &ids {
        let task = store.get_task(*id).await.unwrap().unwrap();
        assert_eq!(task.attempts, 1, "task {id} was taken from its runner");
    }
    {
        let runs = runs.lock().unwrap();
        assert!(!runs.overlapped, "two runs of one task overlapped");
        assert!(runs.worked.values().all(|n| *n == 1), "{:?}", runs.worked);
        assert_eq!(runs.worked.len(), ids.len());
    }
    drop(store);
    PostgresStore::drop_schema(&url, &schema, Duration::from_secs(10))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_restart_under_load_loses_no_task_and_runs_none_twice() {
    let Some(cluster) = PgCluster::start() else {
        return;
    };
    let url = cluster.url();
    let schema = fresh_schema();
    let runs = Arc::new(Mutex::new(Runs::default()));
    let job = Arc::new(Counted {
        work: Duration::from_millis(300),
        runs: Arc::clone(&runs),
    });
    let lease = Duration::from_secs(3);
    let clock = depot_model::SystemClock::shared;
    let a = replica(&url, &schema, "a", clock(), lease, Arc::clone(&job)).await;
    let b = replica(&url, &schema, "b", clock(), lease, Arc::clone(&job)).await;
    let mut ids = Vec::new();
    for i in 0..24 {
        let engine = if i % 2 == 0 { &a } else { &b };
        ids.push(
            engine
                .submit(new_task(Counted::NAME, &["work"]))
                .await
                .unwrap()
                .id,
        );
    }
    // Some tasks ran, some run now, most wait: the database goes away and comes back.
    tokio::time::sleep(Duration::from_millis(700)).await;
    cluster.stop();
    let in_flight = runs.lock().unwrap().active.values().sum::<u32>();
    tokio::time::sleep(Duration::from_secs(1)).await;
    cluster.start_again();

    let store = PostgresStore::connect_in_schema(&url, &schema)
        .await
        .unwrap();
    let statuses = all_ended(&store, &ids, Duration::from_secs(90)).await;
    a.shutdown(Duration::from_secs(5)).await;
    b.shutdown(Duration::from_secs(5)).await;
    let runs = runs.lock().unwrap();
    eprintln!(
        "statuses {statuses:?}; work done per task {:?}",
        runs.worked.values()
    );
    assert!(
        statuses.iter().all(|s| *s == TaskStatus::Succeeded),
        "{statuses:?}"
    );
    assert!(in_flight > 0, "the restart came while tasks ran");
    assert!(!runs.overlapped, "two runs of one task overlapped");
    assert_eq!(runs.worked.len(), ids.len());
    assert!(runs.worked.values().all(|n| *n == 1), "{:?}", runs.worked);
}
