//! Domain tasks rendered as `com.vmware.cis.task.info`.

use depot_http::Problem;
use depot_http::wire_time::format;
use depot_model::{ErrorKind, Message, Task, TaskStatus};

use crate::wire::message::LocalizableMessage;
use crate::wire::task::{Info, Progress};

/// Service id shown for tasks that are not vSphere operations.
const GENERIC_SERVICE: &str = "com.vmware.depotd.tasks";

impl Info {
    /// The CIS view of a task; `exclude_result` drops the result.
    pub fn from_task(t: &Task, exclude_result: bool) -> Self {
        let started = t.status != TaskStatus::Pending;
        Self {
            description: LocalizableMessage::from(&t.description),
            service: t
                .service
                .clone()
                .unwrap_or_else(|| GENERIC_SERVICE.to_owned()),
            operation: t.operation.clone().unwrap_or_else(|| t.name.clone()),
            parent: t.parent_task_id.map(|p| p.to_string()),
            status: status(t.status),
            cancelable: t.cancellable && !t.status.is_terminal(),
            error: error(t),
            start_time: t
                .start_time
                .or(started.then_some(t.update_time))
                .map(format),
            end_time: t.end_time.map(format),
            user: t.created_by.clone(),
            progress: started.then(|| Progress {
                total: t.progress.total,
                completed: t.progress.completed,
                message: LocalizableMessage::from(
                    t.progress.message.as_ref().unwrap_or(&t.description),
                ),
            }),
            result: if exclude_result || t.status != TaskStatus::Succeeded {
                None
            } else {
                t.result.clone()
            },
        }
    }
}

fn status(s: TaskStatus) -> &'static str {
    match s {
        TaskStatus::Pending => "PENDING",
        TaskStatus::Running => "RUNNING",
        TaskStatus::Succeeded => "SUCCEEDED",
        // CIS has no cancelled status: a cancelled task failed with a CANCELED error.
        TaskStatus::Failed | TaskStatus::Canceled => "FAILED",
    }
}

fn error(t: &Task) -> Option<serde_json::Value> {
    let problem = match (t.status, &t.error) {
        (TaskStatus::Failed, Some(e)) => Problem::new(e.kind, e.code.clone(), e.message.clone()),
        (TaskStatus::Canceled, _) => Problem::new(
            ErrorKind::Canceled,
            "CANCELED",
            Message::new("com.vmware.depotd.task.canceled", "The task was cancelled"),
        ),
        _ => return None,
    };
    Some(serde_json::json!({
        "error_type": crate::error::error_type(&problem),
        "messages": [LocalizableMessage::from(&problem.message)],
        "data": null,
    }))
}
