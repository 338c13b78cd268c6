//! A real `kill -9` of a process running a task, and recovery in the next one.
//!
//! The test runs this test binary again as a child that executes only
//! [`engine_child`], an ignored test that does nothing unless [`DB_ENV`] names a
//! database file.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use depot_metadata::TaskStore;
use depot_model::{StageStatus, TaskStatus};
use depot_tasks::{Job, JobContext, JobError, RecoveryReport, TaskEngine};
use serde_json::json;

use crate::fixture::{TestDb, engine_on, new_task, open, settings, tasks_named};

/// The database file the child works on.
const DB_ENV: &str = "DEPOT_TASKS_IT_KILL9_DB";
/// The child's node id.
const CHILD_NODE: &str = "kill9-child";
/// The child's helper test, by its full name.
const CHILD_TEST: &str = "kill9::engine_child";
/// How long the parent waits for the child to start its task.
const CHILD_START_LIMIT: Duration = Duration::from_secs(30);

/// Runs its one stage; in the child, that stage never ends.
struct Hang {
    forever: bool,
}

impl Hang {
    const NAME: &'static str = "kill9_hang";
}

#[async_trait]
impl Job for Hang {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    async fn run(&self, ctx: &mut JobContext) -> Result<Option<serde_json::Value>, JobError> {
        if ctx.begin_stage("work").await? {
            if self.forever {
                std::future::pending::<()>().await;
            }
            ctx.finish_stage("work").await?;
        }
        Ok(Some(json!("worked")))
    }
}

/// The child: an engine with workers on the parent's database, running a task that
/// hangs, until it is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "helper process of kill9::recovers_after_sigkill; does nothing when run alone"]
async fn engine_child() {
    let Ok(db) = std::env::var(DB_ENV) else {
        return;
    };
    let store = Arc::new(open(&format!("sqlite://{db}")).await);
    let engine = engine_on(
        &store,
        settings(CHILD_NODE),
        vec![Arc::new(Hang { forever: true })],
    );
    engine.start();
    engine
        .submit(new_task(Hang::NAME, &["work"]))
        .await
        .expect("submit");
    // Killed long before this; the bound only stops an orphan.
    tokio::time::sleep(Duration::from_mins(2)).await;
}

/// Kills the child when the test ends, however it ends.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_child(db: &Path, log: &Path) -> KillOnDrop {
    let out = std::fs::File::create(log).expect("child log");
    let err = out.try_clone().expect("child log");
    let child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", CHILD_TEST, "--nocapture", "--include-ignored"])
        .env(DB_ENV, db)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("start the child");
    KillOnDrop(child)
}

#[tokio::test]
async fn recovers_after_sigkill() {
    let db = TestDb::new().await;
    let log = db.path().with_extension("child.log");
    let mut child = spawn_child(&db.path(), &log);

    let deadline = Instant::now() + CHILD_START_LIMIT;
    let task = loop {
        let running = tasks_named(db.store.as_ref(), Hang::NAME)
            .await
            .into_iter()
            .find(|t| {
                t.status == TaskStatus::Running && t.stages[0].status == StageStatus::Running
            });
        if let Some(task) = running {
            break task;
        }
        let exited = child.0.try_wait().expect("child status");
        assert!(
            exited.is_none() && Instant::now() < deadline,
            "the child did not start its task (exit: {exited:?}); its output:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(task.attempts, 1);

    child.0.kill().expect("SIGKILL the child");
    child.0.wait().expect("reap the child");

    // The next process: same node id, same file, the job registered again.
    let store = Arc::new(open(&format!("sqlite://{}", db.path().display())).await);
    let engine: Arc<TaskEngine> = engine_on(
        &store,
        settings(CHILD_NODE),
        vec![Arc::new(Hang { forever: false })],
    );
    assert_eq!(
        engine.recover().await.unwrap(),
        RecoveryReport {
            resumed: 1,
            failed: 0,
            canceled: 0
        }
    );
    let resumed = engine.get(task.id).await.unwrap();
    assert_eq!(resumed.status, TaskStatus::Pending);
    assert_eq!(resumed.stages[0].status, StageStatus::Pending);

    assert_eq!(engine.run_pending().await.unwrap(), 1);
    let done = store.get_task(task.id).await.unwrap().expect("task");
    assert_eq!(done.status, TaskStatus::Succeeded);
    assert_eq!(done.attempts, 2);
    assert_eq!(done.result, Some(json!("worked")));
}
