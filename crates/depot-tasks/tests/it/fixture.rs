//! A fresh SQLite database per test, engines over it, and waiting for task states.

use std::sync::Arc;
use std::time::{Duration, Instant};

use depot_metadata::{PageRequest, SqliteStore, TaskFilter, TaskStore};
use depot_model::{ManualClock, Message, Stage, Task, TaskId, TaskStatus};
use depot_tasks::{EngineSettings, Job, NewTask, TaskEngine};
use tempfile::TempDir;

/// How long a test waits for a state before it fails.
pub const WAIT_LIMIT: Duration = Duration::from_secs(10);
/// How often a waiting test looks again.
const WAIT_STEP: Duration = Duration::from_millis(20);

/// A database file in a temporary directory, deleted with it.
pub struct TestDb {
    dir: TempDir,
    /// A store over the file, opened at creation.
    pub store: Arc<SqliteStore>,
}

impl TestDb {
    /// A new, migrated database.
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Arc::new(open(&url_of(&dir)).await);
        Self { dir, store }
    }

    /// The database file.
    pub fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("t.db")
    }

    /// A second, independent store over the same file: what a restarted process or
    /// another node opens.
    pub async fn reopen(&self) -> Arc<SqliteStore> {
        Arc::new(open(&url_of(&self.dir)).await)
    }

    /// An engine of node `node` over the store, running `jobs`.
    pub fn engine(&self, node: &str, jobs: Vec<Arc<dyn Job>>) -> Arc<TaskEngine> {
        engine_on(&self.store, settings(node), jobs)
    }
}

fn url_of(dir: &TempDir) -> String {
    format!("sqlite://{}", dir.path().join("t.db").display())
}

/// Opens the store at `url`.
pub async fn open(url: &str) -> SqliteStore {
    SqliteStore::connect(url)
        .await
        .expect("open the test database")
}

/// Settings for tests: quick polling, long lease, no housekeeping during the test.
pub fn settings(node: &str) -> EngineSettings {
    EngineSettings {
        node_id: node.to_owned(),
        workers: 2,
        poll_interval: Duration::from_millis(20),
        lease: Duration::from_secs(30),
        housekeeping_interval: Duration::from_hours(1),
        ..EngineSettings::default()
    }
}

/// `settings` on a manual clock starting now, and that clock: tests move it forward
/// until a lease or a retention has passed, instead of waiting for the wall clock.
pub fn on_manual_clock(settings: EngineSettings) -> (EngineSettings, Arc<ManualClock>) {
    let clock = ManualClock::starting_now();
    let settings = EngineSettings {
        clock: clock.clone(),
        ..settings
    };
    (settings, clock)
}

/// An engine over `store` with `settings`.
pub fn engine_on(
    store: &Arc<SqliteStore>,
    settings: EngineSettings,
    jobs: Vec<Arc<dyn Job>>,
) -> Arc<TaskEngine> {
    TaskEngine::new(Arc::clone(store) as Arc<dyn TaskStore>, settings, jobs)
}

/// A task for `job` with the given stages, created by `admin`.
pub fn new_task(job: &'static str, stages: &[&str]) -> NewTask {
    let mut t = NewTask::new(
        job,
        Message::new(format!("test.{job}"), format!("Run {job}")),
        "admin",
    );
    t.stages = stages
        .iter()
        .map(|id| Stage::new(*id, Message::new(format!("test.stage.{id}"), *id)))
        .collect();
    t
}

/// Reads task `id` from `store` until `pred` holds; fails after [`WAIT_LIMIT`].
pub async fn wait_for(
    store: &dyn TaskStore,
    id: TaskId,
    what: &str,
    pred: impl Fn(&Task) -> bool,
) -> Task {
    let deadline = Instant::now() + WAIT_LIMIT;
    loop {
        let task = store
            .get_task(id)
            .await
            .expect("read task")
            .expect("task exists");
        if pred(&task) {
            return task;
        }
        assert!(
            Instant::now() < deadline,
            "task {id} did not become {what} within {WAIT_LIMIT:?}; last seen {} with stages {:?}",
            task.status.as_str(),
            stage_statuses(&task)
        );
        tokio::time::sleep(WAIT_STEP).await;
    }
}

/// Waits until task `id` has ended.
pub async fn wait_ended(store: &dyn TaskStore, id: TaskId) -> Task {
    wait_for(store, id, "ended", |t| t.status.is_terminal()).await
}

/// Waits until task `id` is running and inside stage `stage`.
pub async fn wait_in_stage(store: &dyn TaskStore, id: TaskId, stage: &str) -> Task {
    wait_for(store, id, &format!("running in stage {stage}"), |t| {
        t.status == TaskStatus::Running
            && stage_status(t, stage) == depot_model::StageStatus::Running
    })
    .await
}

/// Polls `cond` until it holds; fails after [`WAIT_LIMIT`].
pub async fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT_LIMIT;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {WAIT_LIMIT:?}"
        );
        tokio::time::sleep(WAIT_STEP).await;
    }
}

/// The status of stage `id`.
pub fn stage_status(task: &Task, id: &str) -> depot_model::StageStatus {
    task.stages
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("task {} has no stage {id}", task.id))
        .status
}

/// Every stage's id and status, in order.
pub fn stage_statuses(task: &Task) -> Vec<(String, &'static str)> {
    task.stages
        .iter()
        .map(|s| (s.id.clone(), s.status.as_str()))
        .collect()
}

/// Whether the task's log holds a message with `id`.
pub fn logged(task: &Task, id: &str) -> bool {
    task.messages.iter().any(|m| m.message.id == id)
}

/// Every task of job `name`, from one large page.
pub async fn tasks_named(store: &dyn TaskStore, name: &str) -> Vec<Task> {
    let filter = TaskFilter {
        names: vec![name.to_owned()],
        include_system: true,
        ..TaskFilter::default()
    };
    store
        .list_tasks(
            &filter,
            PageRequest {
                number: 1,
                size: 1000,
            },
        )
        .await
        .expect("list tasks")
        .items
}
