//! Domain tasks rendered as `com.vmware.cis.task.info`.

use depot_http::Problem;
use depot_model::{ErrorKind, Message, Task, TaskStatus};

use crate::ops::tasks::GetSpec;
use crate::vapi::typed::{DateTime, StdError, TaskResult};
use crate::wire::message::LocalizableMessage;
use crate::wire::task::{DynamicId, Info, Progress, Stage, StageStatus, Status};

/// Service id shown for tasks that are not vSphere operations.
const GENERIC_SERVICE: &str = "com.vmware.depotd.tasks";

impl Info {
    /// The CIS view of a task, as `spec` asks: without the result with
    /// `exclude_result`, with the stages with `return_all`.
    pub fn from_task(t: &Task, spec: &GetSpec) -> Self {
        let started = t.status != TaskStatus::Pending;
        let exclude_result = spec.exclude_result.unwrap_or(false);
        Self {
            description: LocalizableMessage::from(&t.description),
            service: t
                .service
                .clone()
                .unwrap_or_else(|| GENERIC_SERVICE.to_owned()),
            operation: t.operation.clone().unwrap_or_else(|| t.name.clone()),
            parent: t.parent_task_id.map(|p| p.to_string()),
            target: target(t),
            status: status(t.status),
            cancelable: t.cancellable && !t.status.is_terminal(),
            error: error(t),
            start_time: t
                .start_time
                .or(started.then_some(t.update_time))
                .map(DateTime),
            end_time: t.end_time.map(DateTime),
            user: Some(t.created_by.clone()),
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
                t.result.clone().map(TaskResult)
            },
            stages: spec
                .return_all
                .unwrap_or(false)
                .then(|| t.stages.iter().map(stage).collect()),
        }
    }
}

fn target(t: &Task) -> Option<DynamicId> {
    match (&t.resource_type, &t.resource_id) {
        (Some(kind), Some(id)) => Some(DynamicId {
            r#type: kind.clone(),
            id: id.clone(),
        }),
        _ => None,
    }
}

fn stage(s: &depot_model::Stage) -> Stage {
    Stage {
        id: s.id.clone(),
        description: LocalizableMessage::from(&s.description),
        status: match s.status {
            depot_model::StageStatus::Pending => StageStatus::Pending,
            depot_model::StageStatus::Running => StageStatus::Running,
            depot_model::StageStatus::Succeeded => StageStatus::Succeeded,
            depot_model::StageStatus::Failed => StageStatus::Failed,
            depot_model::StageStatus::Canceled => StageStatus::Canceled,
            depot_model::StageStatus::Skipped => StageStatus::Skipped,
        },
        start_time: s.start_time.map(DateTime),
        end_time: s.end_time.map(DateTime),
        messages: s
            .messages
            .iter()
            .map(|m| LocalizableMessage::from(&m.message))
            .collect(),
    }
}

fn status(s: TaskStatus) -> Status {
    match s {
        TaskStatus::Pending => Status::Pending,
        TaskStatus::Running => Status::Running,
        TaskStatus::Succeeded => Status::Succeeded,
        // CIS has no cancelled status: a cancelled task failed with a CANCELED error.
        TaskStatus::Failed | TaskStatus::Canceled => Status::Failed,
    }
}

fn error(t: &Task) -> Option<StdError> {
    let problem = match (t.status, &t.error) {
        (TaskStatus::Failed, Some(e)) => Problem {
            data: e.data.clone(),
            ..Problem::new(e.kind, e.code.clone(), e.message.clone())
        },
        (TaskStatus::Canceled, _) => Problem::new(
            ErrorKind::Canceled,
            "CANCELED",
            Message::new("com.vmware.depotd.task.canceled", "The task was cancelled"),
        ),
        _ => return None,
    };
    Some(StdError(serde_json::json!({
        "error_type": crate::error::error_type(&problem),
        "messages": [LocalizableMessage::from(&problem.message)],
        "data": problem.data,
    })))
}
