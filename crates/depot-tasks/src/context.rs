//! What a running job sees: its task, stages, progress, log and stop signals.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use depot_metadata::TaskStore;
use depot_model::{Clock, Level, Message, StageMessage, StageStatus, Task, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::watch;

use crate::JobError;

/// Progress updates are written at most this often (stage and log changes always are).
const PROGRESS_WRITE_INTERVAL: Duration = Duration::from_millis(250);
/// The database's cancel flag is read at most this often.
const CANCEL_POLL_INTERVAL: Duration = Duration::from_millis(200);

/// The handle a job works through.
pub struct JobContext {
    pub(crate) task: Task,
    store: Arc<dyn TaskStore>,
    cancel: Arc<AtomicBool>,
    shutdown: watch::Receiver<bool>,
    clock: Arc<dyn Clock>,
    last_progress_write: Instant,
    last_cancel_poll: Instant,
}

impl JobContext {
    pub(crate) fn new(
        task: Task,
        store: Arc<dyn TaskStore>,
        cancel: Arc<AtomicBool>,
        shutdown: watch::Receiver<bool>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let now = Instant::now();
        Self {
            task,
            store,
            cancel,
            shutdown,
            clock,
            last_progress_write: now,
            last_cancel_poll: now,
        }
    }

    /// The task as last saved.
    pub fn task(&self) -> &Task {
        &self.task
    }

    /// The current time, from the engine's clock: for what the job records or decides
    /// by time (a certificate's validity, an acceptance time).
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The submitted payload, decoded.
    pub fn payload<T: DeserializeOwned>(&self) -> Result<T, JobError> {
        serde_json::from_value(self.task.payload.clone()).map_err(|e| {
            JobError::permanent(
                depot_model::ErrorKind::Internal,
                "TASK_PAYLOAD_INVALID",
                Message::new(
                    "com.vmware.depotd.task.payload.invalid",
                    format!("The task's stored input cannot be read: {e}"),
                ),
            )
        })
    }

    /// Replaces the stored payload, so that a retry or a restart resumes with what this
    /// run already did (e.g. which files a finished stage fetched).
    pub async fn set_payload<T: Serialize>(&mut self, value: &T) -> Result<(), JobError> {
        self.task.payload = serde_json::to_value(value).map_err(|e| {
            JobError::permanent(
                depot_model::ErrorKind::Internal,
                "TASK_PAYLOAD_INVALID",
                Message::new(
                    "com.vmware.depotd.task.payload.invalid",
                    format!("The task's state cannot be stored: {e}"),
                ),
            )
        })?;
        self.save().await
    }

    /// Returns an error when the job should stop: cancellation requested or shutdown.
    pub async fn checkpoint(&mut self) -> Result<(), JobError> {
        if *self.shutdown.borrow() {
            return Err(JobError::Interrupted);
        }
        if self.is_cancel_requested().await? {
            return Err(JobError::Canceled);
        }
        Ok(())
    }

    /// Starts stage `id`. Returns false when the stage already succeeded in an earlier
    /// run (after a retry or a restart): the job should skip its work.
    pub async fn begin_stage(&mut self, id: &str) -> Result<bool, JobError> {
        self.checkpoint().await?;
        let now = self.now();
        let stage = self.stage_mut(id)?;
        if matches!(stage.status, StageStatus::Succeeded | StageStatus::Skipped) {
            return Ok(false);
        }
        stage.status = StageStatus::Running;
        stage.start_time = Some(now);
        stage.update_time = Some(now);
        stage.end_time = None;
        self.task.update_time = now;
        self.save().await?;
        Ok(true)
    }

    /// Marks stage `id` succeeded and advances progress by one stage.
    pub async fn finish_stage(&mut self, id: &str) -> Result<(), JobError> {
        self.end_stage(id, StageStatus::Succeeded).await
    }

    /// Marks stage `id` skipped (not needed this time).
    pub async fn skip_stage(&mut self, id: &str) -> Result<(), JobError> {
        self.end_stage(id, StageStatus::Skipped).await
    }

    /// Adds a line to stage `id`'s log.
    pub async fn stage_log(
        &mut self,
        id: &str,
        level: Level,
        message: Message,
    ) -> Result<(), JobError> {
        let now = self.now();
        let stage = self.stage_mut(id)?;
        stage.messages.push(StageMessage {
            time: now,
            level,
            message,
        });
        stage.update_time = Some(now);
        self.task.update_time = now;
        self.save().await
    }

    /// Adds a line to the task's log.
    pub async fn log(&mut self, level: Level, message: Message) -> Result<(), JobError> {
        let now = self.now();
        self.task.log(level, message, now);
        self.save().await
    }

    /// Adds several lines to the task's log in one write.
    pub async fn log_all(&mut self, level: Level, messages: Vec<Message>) -> Result<(), JobError> {
        if messages.is_empty() {
            return Ok(());
        }
        let now = self.now();
        for m in messages {
            self.task.log(level, m, now);
        }
        self.save().await
    }

    /// Reports progress: `completed` of `total` units of the work in hand (of the
    /// running stage, when the task has stages). Written at most every 250 ms unless
    /// complete.
    pub async fn progress(
        &mut self,
        completed: u64,
        total: u64,
        message: Option<Message>,
    ) -> Result<(), JobError> {
        let (completed, total) = (completed.min(total), total.max(1));
        let stages = self.task.stages.len() as u64;
        // A staged task's progress is a percentage of its stages: the finished stages
        // plus the reported share of the running one.
        let within = self.finished_stages() * 100 + completed * 100 / total;
        if let Some(percent) = within.checked_div(stages) {
            self.task.progress.total = 100;
            self.task.progress.completed = percent.min(100);
        } else {
            self.task.progress.completed = completed;
            self.task.progress.total = total;
        }
        if message.is_some() {
            self.task.progress.message = message;
        }
        self.task.update_time = self.now();
        if completed >= total || self.last_progress_write.elapsed() >= PROGRESS_WRITE_INTERVAL {
            self.save().await?;
        }
        Ok(())
    }

    fn finished_stages(&self) -> u64 {
        self.task
            .stages
            .iter()
            .filter(|s| matches!(s.status, StageStatus::Succeeded | StageStatus::Skipped))
            .count() as u64
    }

    /// Writes the task; stops the job when someone else changed it meanwhile.
    pub(crate) async fn save(&mut self) -> Result<(), JobError> {
        match self.store.update_task(&self.task).await {
            Ok(Some(version)) => {
                self.task.version = version;
                self.last_progress_write = Instant::now();
                Ok(())
            }
            Ok(None) => Err(JobError::Lost),
            Err(e) => Err(JobError::store(&e)),
        }
    }

    async fn is_cancel_requested(&mut self) -> Result<bool, JobError> {
        if self.cancel.load(Ordering::Acquire) {
            return Ok(true);
        }
        if self.last_cancel_poll.elapsed() < CANCEL_POLL_INTERVAL {
            return Ok(false);
        }
        self.last_cancel_poll = Instant::now();
        let requested = self
            .store
            .cancel_requested(self.task.id)
            .await
            .map_err(|e| JobError::store(&e))?;
        if requested {
            self.cancel.store(true, Ordering::Release);
        }
        Ok(requested)
    }

    async fn end_stage(&mut self, id: &str, status: StageStatus) -> Result<(), JobError> {
        let now = self.now();
        let stage = self.stage_mut(id)?;
        stage.status = status;
        stage.end_time = Some(now);
        stage.update_time = Some(now);
        let done = self.finished_stages();
        let total = self.task.stages.len() as u64;
        if let Some(percent) = (done * 100).checked_div(total) {
            self.task.progress.total = 100;
            self.task.progress.completed = percent;
        }
        self.task.update_time = now;
        self.save().await
    }

    fn stage_mut(&mut self, id: &str) -> Result<&mut depot_model::Stage, JobError> {
        let name = self.task.name.clone();
        self.task.stage_mut(id).ok_or_else(|| {
            JobError::permanent(
                depot_model::ErrorKind::Internal,
                "TASK_STAGE_UNKNOWN",
                Message::new(
                    "com.vmware.depotd.task.stage.unknown",
                    format!("Job {name} has no stage {id}"),
                ),
            )
        })
    }
}
