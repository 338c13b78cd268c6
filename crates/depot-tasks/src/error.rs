//! Errors of the engine's API, and the ways a job can end other than success.

use depot_metadata::MetadataError;
use depot_model::{DomainError, ErrorKind, Message, TaskError, TaskId, TaskStatus};

/// Why an engine operation failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No task has this id.
    #[error("task {0} does not exist")]
    NotFound(TaskId),
    /// Only failed, retriable tasks can be retried.
    #[error("task {id} is {} and cannot be retried", status.as_str())]
    NotRetriable {
        /// The task.
        id: TaskId,
        /// Its status.
        status: TaskStatus,
    },
    /// Finished or non-cancellable tasks cannot be cancelled.
    #[error("task {id} is {} and cannot be cancelled", status.as_str())]
    NotCancellable {
        /// The task.
        id: TaskId,
        /// Its status.
        status: TaskStatus,
    },
    /// No job of this name is registered.
    #[error("no job named {0:?} is registered")]
    UnknownJob(String),
    /// The task changed concurrently too often to apply the change.
    #[error("task {0} is changing concurrently; try again")]
    Busy(TaskId),
    /// The store failed (including a concurrency-key conflict on retry).
    #[error(transparent)]
    Store(#[from] MetadataError),
}

impl EngineError {
    /// The failure category.
    pub fn kind(&self) -> ErrorKind {
        match self {
            EngineError::NotFound(_) => ErrorKind::NotFound,
            EngineError::NotRetriable { .. } | EngineError::NotCancellable { .. } => {
                ErrorKind::NotAllowedInCurrentState
            }
            EngineError::UnknownJob(_) => ErrorKind::Internal,
            EngineError::Busy(_) => ErrorKind::Conflict,
            EngineError::Store(e) => e.kind(),
        }
    }
}

impl DomainError for EngineError {
    fn kind(&self) -> ErrorKind {
        EngineError::kind(self)
    }

    fn code(&self) -> &'static str {
        match self {
            EngineError::NotFound(_) => "TASK_NOT_FOUND",
            EngineError::NotRetriable { .. } => "TASK_NOT_RETRIABLE",
            EngineError::NotCancellable { .. } => "TASK_NOT_CANCELLABLE",
            EngineError::Busy(_) => "TASK_BUSY",
            EngineError::Store(s) if s.kind() == ErrorKind::Conflict => "TASK_CONFLICT",
            EngineError::UnknownJob(_) | EngineError::Store(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    fn message(&self) -> Message {
        let task = match self {
            EngineError::NotFound(id) | EngineError::Busy(id) => id.to_string(),
            EngineError::NotRetriable { id, .. } | EngineError::NotCancellable { id, .. } => {
                id.to_string()
            }
            EngineError::UnknownJob(_) | EngineError::Store(_) => String::new(),
        };
        Message::new(
            format!(
                "com.vmware.depotd.{}",
                self.code().to_ascii_lowercase().replacen('_', ".", 1)
            ),
            self.to_string(),
        )
        .arg("taskId", task)
    }

    fn is_internal(&self) -> bool {
        match self {
            EngineError::UnknownJob(_) => true,
            EngineError::Store(s) => s.kind() != ErrorKind::Conflict,
            _ => false,
        }
    }
}

/// How a job run ends when it does not succeed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JobError {
    /// The job failed.
    #[error("{}", error.message.default)]
    Failed {
        /// Why, in family-neutral terms.
        error: Box<TaskError>,
        /// Whether `retry` may run it again from the failed stage.
        retriable: bool,
    },
    /// Cancellation was requested and the job stopped at a checkpoint.
    #[error("cancelled")]
    Canceled,
    /// The node is shutting down; the job stopped at a checkpoint.
    #[error("interrupted by shutdown")]
    Interrupted,
    /// The task was taken over or changed by someone else; stop without writing.
    #[error("the task is no longer owned by this worker")]
    Lost,
}

impl JobError {
    /// A failure that `retry` may run again (for transient causes).
    pub fn retriable(kind: ErrorKind, code: impl Into<String>, message: Message) -> Self {
        JobError::Failed {
            error: Box::new(TaskError {
                kind,
                code: code.into(),
                message,
                resolution: None,
                data: None,
            }),
            retriable: true,
        }
    }

    /// A failure that retrying cannot fix (bad input).
    pub fn permanent(kind: ErrorKind, code: impl Into<String>, message: Message) -> Self {
        JobError::Failed {
            error: Box::new(TaskError {
                kind,
                code: code.into(),
                message,
                resolution: None,
                data: None,
            }),
            retriable: false,
        }
    }

    /// Adds a resolution hint to a failure.
    #[must_use]
    pub fn with_resolution(mut self, resolution: Message) -> Self {
        if let JobError::Failed { error, .. } = &mut self {
            error.resolution = Some(resolution);
        }
        self
    }

    /// Adds structured data to a failure (the vAPI error's `data`).
    #[must_use]
    pub fn with_data(mut self, data: serde_json::Value) -> Self {
        if let JobError::Failed { error, .. } = &mut self {
            error.data = Some(data);
        }
        self
    }

    /// Wraps a store failure met while running.
    pub(crate) fn store(e: &MetadataError) -> Self {
        tracing::warn!(error = %e, "task store failed while a job ran");
        JobError::retriable(
            ErrorKind::Unavailable,
            "TASK_STORE_UNAVAILABLE",
            Message::new(
                "com.vmware.depotd.task.store.unavailable",
                "The task could not be saved: the database is unavailable",
            ),
        )
    }
}
