//! Describing a task to submit.

use depot_model::{Message, Stage, Task, TaskId, Timestamp};

/// Everything needed to submit a task; the engine fills times, status and id.
#[derive(Debug, Clone)]
pub struct NewTask {
    /// The job that runs it.
    pub job: &'static str,
    /// Public description.
    pub description: Message,
    /// Free classification (`sync`, `apply`, …).
    pub task_type: String,
    /// Who asks (`system` for scheduled work).
    pub created_by: String,
    /// The job's input.
    pub payload: serde_json::Value,
    /// Ordered stages, all pending.
    pub stages: Vec<Stage>,
    /// At most one pending or running task holds a given key.
    pub concurrency_key: Option<String>,
    /// The vSphere service id and operation id, for `cis.tasks` views.
    pub service_operation: Option<(String, String)>,
    /// Target resource id and type.
    pub resource: Option<(String, String)>,
    /// Correlates tasks of one request.
    pub correlation_id: Option<String>,
    /// Parent task, for sub-tasks.
    pub parent: Option<TaskId>,
    /// Internal housekeeping hidden from default listings.
    pub system: bool,
    /// Whether cancel is allowed.
    pub cancellable: bool,
}

impl NewTask {
    /// A task for `job` with sensible defaults.
    pub fn new(job: &'static str, description: Message, created_by: impl Into<String>) -> Self {
        Self {
            job,
            description,
            task_type: String::new(),
            created_by: created_by.into(),
            payload: serde_json::Value::Null,
            stages: Vec::new(),
            concurrency_key: None,
            service_operation: None,
            resource: None,
            correlation_id: None,
            parent: None,
            system: false,
            cancellable: true,
        }
    }

    /// The task as first stored (for tools that write to the store directly), created
    /// now by the system clock.
    pub fn into_task(self) -> Task {
        self.into_task_at(depot_model::now())
    }

    /// The task as first stored, created at `created`.
    pub fn into_task_at(self, created: Timestamp) -> Task {
        let mut t = Task::new(self.job, self.description, self.created_by, created);
        t.task_type = self.task_type;
        t.payload = self.payload;
        t.stages = self.stages;
        t.concurrency_key = self.concurrency_key;
        if let Some((service, operation)) = self.service_operation {
            t.service = Some(service);
            t.operation = Some(operation);
        }
        if let Some((id, kind)) = self.resource {
            t.resource_id = Some(id);
            t.resource_type = Some(kind);
        }
        t.correlation_id = self.correlation_id;
        t.parent_task_id = self.parent;
        t.system = self.system;
        t.cancellable = self.cancellable;
        t
    }
}
