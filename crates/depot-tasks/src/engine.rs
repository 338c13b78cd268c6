//! The engine: submission, workers, cancel and retry.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use depot_metadata::{InsertOutcome, Page, PageRequest, RemoteWrites, TaskFilter, TaskStore};
use depot_model::{Clock, SystemClock, Task, TaskId, TaskStatus, Timestamp};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tracing::{Instrument, info, info_span, warn};

use crate::context::JobContext;
use crate::finished_cache::FinishedCache;
use crate::{EngineError, Job, JobError, NewTask, outcome};

/// Bounds of the background timers' periods: `tokio::time::interval` panics on a zero
/// period and on one so long that the next tick overflows.
const MIN_TICK: Duration = Duration::from_millis(10);
const MAX_TICK: Duration = Duration::from_hours(24);

/// Tunables of the engine.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// This node's stable id (kept in the data dir), owner of the tasks it runs.
    pub node_id: String,
    /// Tasks run at once on this node.
    pub workers: usize,
    /// How often idle workers look for work submitted by other nodes.
    pub poll_interval: Duration,
    /// How long a claim lasts without renewal; a dead node's tasks are recovered after it.
    pub lease: Duration,
    /// Finished tasks are deleted this long after they ended.
    pub retention: Duration,
    /// How often recovery of expired leases and pruning run.
    pub housekeeping_interval: Duration,
    /// Where the engine reads the time: task and stage times, lease ends, which leases
    /// expired, which tasks are old enough to prune. Timers that only wake the workers
    /// (polling, lease renewal, housekeeping) run on the runtime's timer.
    pub clock: Arc<dyn Clock>,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            node_id: "local".to_owned(),
            workers: 4,
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(30),
            retention: Duration::from_hours(168),
            housekeeping_interval: Duration::from_mins(1),
            clock: SystemClock::shared(),
        }
    }
}

/// Persistent tasks: submit, observe, cancel, retry; run by background workers.
pub struct TaskEngine {
    pub(crate) store: Arc<dyn TaskStore>,
    pub(crate) jobs: HashMap<&'static str, Arc<dyn Job>>,
    pub(crate) settings: EngineSettings,
    pub(crate) notify: Notify,
    running: Mutex<HashMap<TaskId, Arc<AtomicBool>>>,
    pub(crate) finished: FinishedCache,
    /// Other replicas' writes, which make cached finished tasks stale.
    remote_writes: RemoteWrites,
    shutdown: watch::Sender<bool>,
    workers: Mutex<JoinSet<()>>,
}

impl TaskEngine {
    /// An engine over `store` running `jobs`. Call [`TaskEngine::start`] to run workers.
    pub fn new(
        store: Arc<dyn TaskStore>,
        settings: EngineSettings,
        jobs: Vec<Arc<dyn Job>>,
    ) -> Arc<Self> {
        Arc::new(Self {
            remote_writes: store.remote_writes(),
            store,
            jobs: jobs.into_iter().map(|j| (j.name(), j)).collect(),
            settings,
            notify: Notify::new(),
            running: Mutex::new(HashMap::new()),
            finished: FinishedCache::default(),
            shutdown: watch::channel(false).0,
            workers: Mutex::new(JoinSet::new()),
        })
    }

    /// Submits a task. If another pending or running task holds its concurrency key,
    /// that task is returned instead and nothing new is stored.
    pub async fn submit(&self, new: NewTask) -> Result<Task, EngineError> {
        let Some(job) = self.jobs.get(new.job) else {
            return Err(EngineError::UnknownJob(new.job.to_owned()));
        };
        let mut task = new.into_task_at(self.now());
        task.cancellable &= job.cancellable();
        match self.store.insert_task(&task).await? {
            InsertOutcome::Inserted => {
                info!(task_id = %task.id, job = task.name, "task submitted");
                self.notify.notify_one();
                Ok(task)
            }
            InsertOutcome::Existing(existing) => Ok(*existing),
        }
    }

    /// The task with `id`. Finished tasks may be served from a short-lived cache.
    pub async fn get(&self, id: TaskId) -> Result<Task, EngineError> {
        let mark = self.remote_writes.mark();
        if let Some(task) = self.finished.get(id, mark) {
            return Ok(task);
        }
        let task = self.read(id).await?;
        self.finished.offer(&task, mark);
        Ok(task)
    }

    /// The task with `id`, from the store.
    async fn read(&self, id: TaskId) -> Result<Task, EngineError> {
        self.store
            .get_task(id)
            .await?
            .ok_or(EngineError::NotFound(id))
    }

    /// Tasks matching `filter`, newest first.
    pub async fn list(
        &self,
        filter: &TaskFilter,
        page: PageRequest,
    ) -> Result<Page<Task>, EngineError> {
        Ok(self.store.list_tasks(filter, page).await?)
    }

    /// How many tasks are in each status.
    pub async fn counts(&self) -> Result<Vec<(TaskStatus, u64)>, EngineError> {
        Ok(self.store.count_tasks_by_status().await?)
    }

    /// Requests cancellation. A pending task is cancelled at once; a running one stops
    /// at its next checkpoint (the current stage finishes). Returns the task as now stored.
    pub async fn cancel(&self, id: TaskId, by: &str) -> Result<Task, EngineError> {
        for _ in 0..5 {
            let mut task = self.read(id).await?;
            if task.status.is_terminal() || !task.cancellable {
                return Err(EngineError::NotCancellable {
                    id,
                    status: task.status,
                });
            }
            if task.status == TaskStatus::Pending {
                outcome::cancel_pending(&mut task, by, self.now());
                if let Some(v) = self.store.update_task(&task).await? {
                    task.version = v;
                    return Ok(task);
                }
                continue;
            }
            self.store.request_cancel(id).await?;
            if let Some(flag) = self.lock_running().get(&id) {
                flag.store(true, Ordering::Release);
            }
            info!(task_id = %id, user = by, "cancellation requested");
            return self.read(id).await;
        }
        Err(EngineError::Busy(id))
    }

    /// Runs a failed, retriable task again from its failed stage.
    pub async fn retry(&self, id: TaskId, by: &str) -> Result<Task, EngineError> {
        for _ in 0..5 {
            self.finished.evict(id);
            let mut task = self.read(id).await?;
            if task.status != TaskStatus::Failed || !task.retriable {
                return Err(EngineError::NotRetriable {
                    id,
                    status: task.status,
                });
            }
            let cancellable = self
                .jobs
                .get(task.name.as_str())
                .is_none_or(|j| j.cancellable());
            outcome::retry(&mut task, by, cancellable, self.now());
            if let Some(v) = self.store.update_task(&task).await? {
                task.version = v;
                info!(task_id = %id, user = by, "task retried");
                self.notify.notify_one();
                return Ok(task);
            }
        }
        Err(EngineError::Busy(id))
    }

    /// Starts the workers, lease renewal and housekeeping in the background.
    pub fn start(self: &Arc<Self>) {
        let mut set = self.lock_workers();
        for n in 0..self.settings.workers.max(1) {
            let engine = Arc::clone(self);
            set.spawn(
                async move { engine.worker_loop().await }.instrument(info_span!("task_worker", n)),
            );
        }
        let engine = Arc::clone(self);
        set.spawn(async move { engine.maintenance_loop().await });
    }

    /// Stops taking work and waits up to `deadline` for running tasks to reach a
    /// checkpoint; tasks still running then are left to recovery at the next start.
    pub async fn shutdown(&self, deadline: Duration) {
        self.shutdown.send_replace(true);
        self.notify.notify_waiters();
        let mut set = std::mem::take(&mut *self.lock_workers());
        let drained =
            tokio::time::timeout(deadline, async { while set.join_next().await.is_some() {} })
                .await;
        if drained.is_err() {
            warn!("tasks still running at the shutdown deadline; they resume at the next start");
            set.abort_all();
        }
    }

    /// Runs pending tasks on the calling task until none is left; returns how many
    /// ran. For tests and single-shot tools; servers use [`TaskEngine::start`].
    pub async fn run_pending(&self) -> Result<usize, EngineError> {
        let mut ran = 0;
        while let Some(task) = self.claim().await? {
            self.execute(task).await;
            ran += 1;
        }
        Ok(ran)
    }

    async fn worker_loop(self: Arc<Self>) {
        let mut shutdown = self.shutdown.subscribe();
        while !*shutdown.borrow() {
            match self.claim().await {
                Ok(Some(task)) if *shutdown.borrow() => {
                    // Shutdown began while we claimed: the job has not started, so
                    // handing the task back is safe even for a non-idempotent job.
                    self.release_unstarted(task).await;
                }
                Ok(Some(task)) => {
                    let engine = Arc::clone(&self);
                    let id = task.id;
                    // A panicking job must not take the worker down with it; and when
                    // the worker is aborted at the shutdown deadline, the run goes too.
                    let handle = tokio::spawn(async move { engine.execute(task).await });
                    let _abort_with_worker = AbortOnDrop(handle.abort_handle());
                    match handle.await {
                        Err(e) if e.is_panic() => {
                            warn!(task_id = %id, error = %e, "task panicked");
                            self.fail_after_panic(id).await;
                        }
                        // Cancelled: only when the runtime shuts down; recovery handles it.
                        Ok(()) | Err(_) => {}
                    }
                }
                Ok(None) => {
                    tokio::select! {
                        () = self.notify.notified() => {}
                        () = tokio::time::sleep(self.settings.poll_interval) => {}
                        () = stopping(&mut shutdown) => {}
                    }
                }
                Err(e) => {
                    warn!(error = %e, "claiming a task failed");
                    tokio::time::sleep(self.settings.poll_interval).await;
                }
            }
        }
    }

    async fn maintenance_loop(self: Arc<Self>) {
        let mut shutdown = self.shutdown.subscribe();
        let renew_every = (self.settings.lease / 3).clamp(MIN_TICK, MAX_TICK);
        let mut renew = tokio::time::interval(renew_every);
        let mut housekeeping = tokio::time::interval(
            self.settings
                .housekeeping_interval
                .clamp(MIN_TICK, MAX_TICK),
        );
        loop {
            tokio::select! {
                _ = renew.tick() => {
                    let until = self.lease_until(self.now());
                    if let Err(e) = self.store.renew_leases(&self.settings.node_id, until).await {
                        warn!(error = %e, "renewing task leases failed");
                    }
                }
                _ = housekeeping.tick() => self.housekeeping().await,
                () = stopping(&mut shutdown) => return,
            }
        }
    }

    async fn claim(&self) -> Result<Option<Task>, EngineError> {
        let names: Vec<String> = self.jobs.keys().map(|k| (*k).to_owned()).collect();
        let now = self.now();
        let until = self.lease_until(now);
        Ok(self
            .store
            .claim_next(&names, &self.settings.node_id, now, until)
            .await?)
    }

    /// The current time, from the engine's clock.
    pub(crate) fn now(&self) -> Timestamp {
        self.settings.clock.now()
    }

    /// When a lease taken or renewed at `now` ends. A lease too long to represent
    /// lasts to the end of the calendar (not zero, which would expire it at once).
    fn lease_until(&self, now: Timestamp) -> Timestamp {
        chrono::TimeDelta::from_std(self.settings.lease)
            .ok()
            .and_then(|lease| now.checked_add_signed(lease))
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
    }

    /// Runs one claimed task to its end and stores the outcome.
    async fn execute(&self, task: Task) {
        let Some(job) = self.jobs.get(task.name.as_str()).cloned() else {
            return;
        };
        let id = task.id;
        let cancel = Arc::new(AtomicBool::new(false));
        self.lock_running().insert(id, Arc::clone(&cancel));
        let mut ctx = JobContext::new(
            task,
            Arc::clone(&self.store),
            cancel,
            self.shutdown.subscribe(),
            Arc::clone(&self.settings.clock),
        );
        let span = info_span!("task", task_id = %id, job = job.name());
        let result = match job.run(&mut ctx).instrument(span).await {
            // Stopped by the shutdown, but cancelled meanwhile: the cancel wins, or the
            // next claim (which clears the request) would run the task again.
            Err(JobError::Interrupted) if self.cancel_requested(id).await => {
                Err(JobError::Canceled)
            }
            other => other,
        };
        let now = self.now();
        let write = match result {
            Ok(value) => {
                outcome::succeeded(&mut ctx.task, value, now);
                true
            }
            Err(e) => {
                if !matches!(
                    e,
                    JobError::Lost | JobError::Canceled | JobError::Interrupted
                ) {
                    warn!(task_id = %id, error = %e, "task failed");
                }
                outcome::ended(&mut ctx.task, e, job.idempotent(), now)
            }
        };
        if write {
            match self.store.update_task(&ctx.task).await {
                Ok(Some(_)) => {
                    info!(task_id = %id, status = ctx.task.status.as_str(), "task ended");
                }
                Ok(None) => warn!(task_id = %id, "task changed by another worker; outcome dropped"),
                Err(e) => {
                    warn!(task_id = %id, error = %e, "storing the task outcome failed; recovery will handle it");
                }
            }
        }
        self.lock_running().remove(&id);
    }

    /// Whether cancellation of running task `id` was asked for, here or through the
    /// store (by another node).
    async fn cancel_requested(&self, id: TaskId) -> bool {
        let here = self
            .lock_running()
            .get(&id)
            .is_some_and(|flag| flag.load(Ordering::Acquire));
        here || matches!(self.store.cancel_requested(id).await, Ok(true))
    }

    /// Puts a task claimed during shutdown back to pending, as if never claimed.
    async fn release_unstarted(&self, mut task: Task) {
        let id = task.id;
        outcome::released(&mut task, self.now());
        match self.store.update_task(&task).await {
            Ok(Some(_)) => info!(task_id = %id, "task handed back at shutdown"),
            Ok(None) => warn!(task_id = %id, "task changed while handing it back at shutdown"),
            Err(e) => {
                warn!(task_id = %id, error = %e, "handing a task back failed; recovery will handle it");
            }
        }
    }

    async fn fail_after_panic(&self, id: TaskId) {
        self.store_panic(id).await;
        // Only now: until the failure is stored, housekeeping must not see the task as
        // an orphan of this node and resume it.
        self.lock_running().remove(&id);
    }

    async fn store_panic(&self, id: TaskId) {
        let Ok(mut task) = self.read(id).await else {
            return;
        };
        if task.status != TaskStatus::Running {
            return;
        }
        let err = JobError::permanent(
            depot_model::ErrorKind::Internal,
            "TASK_PANICKED",
            depot_model::Message::new(
                "com.vmware.depotd.task.panicked",
                "The task stopped on an internal error",
            ),
        );
        outcome::ended(&mut task, err, false, self.now());
        if let Err(e) = self.store.update_task(&task).await {
            warn!(task_id = %id, error = %e, "storing a panicked task failed");
        }
    }

    pub(crate) fn is_running_here(&self, id: TaskId) -> bool {
        self.lock_running().contains_key(&id)
    }

    fn lock_running(&self) -> std::sync::MutexGuard<'_, HashMap<TaskId, Arc<AtomicBool>>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_workers(&self) -> std::sync::MutexGuard<'_, JoinSet<()>> {
        self.workers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Resolves once shutdown has begun, including when it began before this loop first
/// ran and subscribed (which `changed` would miss).
async fn stopping(shutdown: &mut watch::Receiver<bool>) {
    // An error means the engine is gone: that is a shutdown too.
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Aborts a spawned task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
