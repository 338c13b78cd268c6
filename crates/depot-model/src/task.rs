//! Persistent asynchronous tasks: one model rich enough for the fleet-lcm `Task`, the
//! SDDC Manager upload task and the vSphere CIS task `Info`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{ErrorKind, Message, Timestamp};

/// A task id: a UUID, shown in its hyphenated lower-case form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TaskId(pub Uuid);

impl TaskId {
    /// A new random id.
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }
}

impl Default for TaskId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// A string that is not a task id.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a task id")]
pub struct InvalidTaskId(pub String);

impl FromStr for TaskId {
    type Err = InvalidTaskId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s)
            .map(Self)
            .map_err(|_| InvalidTaskId(s.to_owned()))
    }
}

/// Where a task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TaskStatus {
    /// Waiting for a worker.
    Pending,
    /// A worker is running it.
    Running,
    /// Finished well; `result` may be set.
    Succeeded,
    /// Finished badly; `error` is set.
    Failed,
    /// Stopped on request.
    Canceled,
}

impl TaskStatus {
    /// All statuses, in life order.
    pub const ALL: [TaskStatus; 5] = [
        TaskStatus::Pending,
        TaskStatus::Running,
        TaskStatus::Succeeded,
        TaskStatus::Failed,
        TaskStatus::Canceled,
    ];

    /// Whether the task has ended.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskStatus::Succeeded | TaskStatus::Failed | TaskStatus::Canceled
        )
    }

    /// Stable upper-case name (also fleet-lcm's wire value).
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Pending => "PENDING",
            TaskStatus::Running => "RUNNING",
            TaskStatus::Succeeded => "SUCCEEDED",
            TaskStatus::Failed => "FAILED",
            TaskStatus::Canceled => "CANCELED",
        }
    }

    /// Parses the upper-case name.
    pub fn parse(s: &str) -> Option<Self> {
        TaskStatus::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// The state of one stage of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StageStatus {
    /// Not started.
    Pending,
    /// Running now.
    Running,
    /// Done.
    Succeeded,
    /// Failed; a retry resumes here.
    Failed,
    /// Not run because the task was cancelled.
    Canceled,
    /// Not needed this time.
    Skipped,
}

impl StageStatus {
    /// Stable upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            StageStatus::Pending => "PENDING",
            StageStatus::Running => "RUNNING",
            StageStatus::Succeeded => "SUCCEEDED",
            StageStatus::Failed => "FAILED",
            StageStatus::Canceled => "CANCELED",
            StageStatus::Skipped => "SKIPPED",
        }
    }
}

/// Severity of a task message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Level {
    /// Progress information.
    Info,
    /// Something to look at; the task goes on.
    Warn,
    /// Something failed.
    Error,
}

impl Level {
    /// Stable upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// A line in a task's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskMessage {
    /// When it was said.
    pub time: Timestamp,
    /// How serious it is.
    pub level: Level,
    /// What was said.
    pub message: Message,
}

/// A line in a stage's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageMessage {
    /// When it was said.
    pub time: Timestamp,
    /// How serious it is.
    pub level: Level,
    /// What was said.
    pub message: Message,
}

/// One ordered step of a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// Stable id, e.g. `download-pvc`.
    pub id: String,
    /// Short name.
    pub name: String,
    /// Public description.
    pub description: Message,
    /// Where the stage is.
    pub status: StageStatus,
    /// When it started.
    pub start_time: Option<Timestamp>,
    /// When it last changed.
    pub update_time: Option<Timestamp>,
    /// When it ended.
    pub end_time: Option<Timestamp>,
    /// The stage's log.
    pub messages: Vec<StageMessage>,
}

impl Stage {
    /// A pending stage.
    pub fn new(id: impl Into<String>, description: Message) -> Self {
        let id = id.into();
        Self {
            name: id.clone(),
            id,
            description,
            status: StageStatus::Pending,
            start_time: None,
            update_time: None,
            end_time: None,
            messages: Vec::new(),
        }
    }
}

/// How far a task has come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Units of work in all (100 for percentages).
    pub total: u64,
    /// Units done.
    pub completed: u64,
    /// What is happening now.
    pub message: Option<Message>,
}

impl Default for Progress {
    fn default() -> Self {
        Self {
            total: 100,
            completed: 0,
            message: None,
        }
    }
}

/// Why a task failed, in family-neutral terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskError {
    /// Category, which picks the family's error type.
    pub kind: ErrorKind,
    /// Stable machine-readable code, e.g. `DEPOT_UNREACHABLE`.
    pub code: String,
    /// What went wrong.
    pub message: Message,
    /// What the user can do about it.
    pub resolution: Option<Message>,
    /// The error's structured data, when it has any (an `AlreadyExists` naming the
    /// existing object: `{"depot": "<id>"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

/// A persistent task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Unique id.
    pub id: TaskId,
    /// The job that runs it (stable internal name, e.g. `depot_metadata_sync`).
    pub name: String,
    /// Public description.
    pub description: Message,
    /// Free classification, e.g. `sync`, `apply`.
    pub task_type: String,
    /// Where the task is.
    pub status: TaskStatus,
    /// Who asked for it (`system` for scheduled work).
    pub created_by: String,
    /// Who changed it last.
    pub updated_by: String,
    /// The target resource, if any.
    pub resource_id: Option<String>,
    /// The target resource's type, if any.
    pub resource_type: Option<String>,
    /// When it was submitted.
    pub create_time: Timestamp,
    /// When it first started running.
    pub start_time: Option<Timestamp>,
    /// When it last changed.
    pub update_time: Timestamp,
    /// When it ended.
    pub end_time: Option<Timestamp>,
    /// Correlates the tasks of one request.
    pub correlation_id: Option<String>,
    /// The parent, for sub-tasks.
    pub parent_task_id: Option<TaskId>,
    /// Whether `retry` is allowed now.
    pub retriable: bool,
    /// Whether `cancel` is allowed now.
    pub cancellable: bool,
    /// Internal housekeeping the customer does not see by default.
    pub system: bool,
    /// The vSphere service id of the operation, e.g. `com.vmware.esx.settings.depots.offline`.
    pub service: Option<String>,
    /// The vSphere operation id, e.g. `create`.
    pub operation: Option<String>,
    /// Ordered steps.
    pub stages: Vec<Stage>,
    /// The task's log.
    pub messages: Vec<TaskMessage>,
    /// How far it has come.
    pub progress: Progress,
    /// The job's typed result, as JSON, when succeeded.
    pub result: Option<serde_json::Value>,
    /// Why it failed.
    pub error: Option<TaskError>,
    /// The job's input.
    pub payload: serde_json::Value,
    /// At most one pending or running task holds a given key.
    pub concurrency_key: Option<String>,
    /// How often it has been started.
    pub attempts: u32,
    /// Optimistic-concurrency version: every stored change increments it.
    pub version: i64,
}

impl Task {
    /// A new pending task for job `name`, submitted by `created_by`.
    pub fn new(
        name: impl Into<String>,
        description: Message,
        created_by: impl Into<String>,
        now: Timestamp,
    ) -> Self {
        let created_by = created_by.into();
        Self {
            id: TaskId::new(),
            name: name.into(),
            description,
            task_type: String::new(),
            status: TaskStatus::Pending,
            updated_by: created_by.clone(),
            created_by,
            resource_id: None,
            resource_type: None,
            create_time: now,
            start_time: None,
            update_time: now,
            end_time: None,
            correlation_id: None,
            parent_task_id: None,
            retriable: false,
            cancellable: true,
            system: false,
            service: None,
            operation: None,
            stages: Vec::new(),
            messages: Vec::new(),
            progress: Progress::default(),
            result: None,
            error: None,
            payload: serde_json::Value::Null,
            concurrency_key: None,
            attempts: 0,
            version: 0,
        }
    }

    /// The stage with `id`, if the task has one.
    pub fn stage_mut(&mut self, id: &str) -> Option<&mut Stage> {
        self.stages.iter_mut().find(|s| s.id == id)
    }

    /// Appends a task-level log line.
    pub fn log(&mut self, level: Level, message: Message, now: Timestamp) {
        self.messages.push(TaskMessage {
            time: now,
            level,
            message,
        });
        self.update_time = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let id = TaskId::new();
        assert_eq!(id.to_string().parse::<TaskId>().unwrap(), id);
        assert!("nope".parse::<TaskId>().is_err());
    }

    #[test]
    fn statuses_round_trip() {
        for s in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(s.as_str()), Some(s));
        }
        assert!(TaskStatus::Canceled.is_terminal());
        assert!(!TaskStatus::Running.is_terminal());
    }
}
