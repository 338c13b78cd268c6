//! Domain tasks rendered as this family's `Task` and `TaskSummary`.

use depot_http::wire_time::format;
use depot_model::{Stage, Task as DomainTask};

use crate::wire::message::LocalizableMessage;
use crate::wire::task::{
    Task, TaskMessage, TaskStage, TaskStageMessage, TaskSummary, TaskTaskSummary,
};

impl From<&DomainTask> for TaskSummary {
    fn from(t: &DomainTask) -> Self {
        Self {
            id: t.id.to_string(),
            name: t.name.clone(),
            description: LocalizableMessage::from(&t.description),
            status: t.status.as_str(),
            task_type: t.task_type.clone(),
            created_by: t.created_by.clone(),
            updated_by: t.updated_by.clone(),
            resource_id: t.resource_id.clone(),
            resource_type: t.resource_type.clone(),
            create_time: format(t.create_time),
            start_time: t.start_time.map(format),
            update_time: format(t.update_time),
            end_time: t.end_time.map(format),
            correlation_id: t.correlation_id.clone(),
            parent_task_id: t.parent_task_id.map(|p| p.to_string()),
            retriable: t.retriable,
            cancellable: t.cancellable,
        }
    }
}

impl From<&DomainTask> for Task {
    fn from(t: &DomainTask) -> Self {
        let mut additional_details = serde_json::Map::new();
        if let Some(error) = &t.error {
            additional_details.insert("errorCode".to_owned(), error.code.clone().into());
        }
        Self {
            summary: TaskSummary::from(t),
            task_summary: TaskTaskSummary {
                total_sub_tasks: 0,
                total_steps: t.stages.len() as u64,
            },
            stages: t.stages.iter().map(stage).collect(),
            sub_tasks: Vec::new(),
            messages: t
                .messages
                .iter()
                .map(|m| TaskMessage {
                    timestamp: format(m.time),
                    level: m.level.as_str(),
                    message: LocalizableMessage::from(&m.message),
                })
                .collect(),
            result: result(t),
            additional_details,
        }
    }
}

/// `result` must be an object: a non-object job result is wrapped.
fn result(t: &DomainTask) -> Option<serde_json::Value> {
    let value = t.result.as_ref()?;
    let mut object = match value {
        serde_json::Value::Object(o) => o.clone(),
        other => {
            let mut o = serde_json::Map::new();
            o.insert("value".to_owned(), other.clone());
            o
        }
    };
    if !object.contains_key("type") && !t.task_type.is_empty() {
        object.insert("type".to_owned(), t.task_type.clone().into());
    }
    Some(serde_json::Value::Object(object))
}

fn stage(s: &Stage) -> TaskStage {
    TaskStage {
        id: s.id.clone(),
        name: s.name.clone(),
        description: LocalizableMessage::from(&s.description),
        status: s.status.as_str(),
        update_time: s.update_time.map(format),
        start_time: s.start_time.map(format),
        end_time: s.end_time.map(format),
        messages: s
            .messages
            .iter()
            .map(|m| TaskStageMessage {
                stage_id: s.id.clone(),
                timestamp: format(m.time),
                level: m.level.as_str(),
                message: LocalizableMessage::from(&m.message),
            })
            .collect(),
    }
}
