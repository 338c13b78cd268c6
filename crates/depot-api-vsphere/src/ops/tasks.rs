//! `com.vmware.cis.tasks`: get, list, cancel.

use depot_http::Problem;
use depot_metadata::{PageRequest, TaskFilter};
use depot_model::{ErrorKind, Message, Privilege, TaskId, TaskStatus};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::vapi::registry::{Auth, Call, Operation, Reply, RestBinding, RestBody};
use crate::vapi::std_types::{DYNAMIC_ID, TASK_INFO, TASK_STATUS};
use crate::vapi::types::{StructType, Type, field};
use crate::wire::task::Info;

const SERVICE: &str = "com.vmware.cis.tasks";
/// Most tasks a list returns.
const LIST_LIMIT: u32 = 1000;

/// `com.vmware.cis.tasks.get_spec`.
pub const GET_SPEC: StructType = StructType {
    id: "com.vmware.cis.tasks.get_spec",
    fields: &[
        field("return_all", Type::Optional(&Type::Bool)),
        field("exclude_result", Type::Optional(&Type::Bool)),
    ],
};

/// `com.vmware.cis.tasks.filter_spec`.
pub const FILTER_SPEC: StructType = StructType {
    id: "com.vmware.cis.tasks.filter_spec",
    fields: &[
        field("tasks", Type::Optional(&Type::List(&Type::String))),
        field("services", Type::Optional(&Type::List(&Type::String))),
        field("operations", Type::Optional(&Type::List(&Type::String))),
        field(
            "status",
            Type::Optional(&Type::List(&Type::Enum(&TASK_STATUS))),
        ),
        field(
            "targets",
            Type::Optional(&Type::List(&Type::Struct(&DYNAMIC_ID))),
        ),
        field("users", Type::Optional(&Type::List(&Type::String))),
    ],
};

const GET_INPUT: StructType = StructType {
    id: "operation-input",
    fields: &[
        field("task", Type::String),
        field("spec", Type::Optional(&Type::Struct(&GET_SPEC))),
    ],
};

const LIST_INPUT: StructType = StructType {
    id: "operation-input",
    fields: &[
        field("filter_spec", Type::Optional(&Type::Struct(&FILTER_SPEC))),
        field("result_spec", Type::Optional(&Type::Struct(&GET_SPEC))),
    ],
};

const CANCEL_INPUT: StructType = StructType {
    id: "operation-input",
    fields: &[field("task", Type::String)],
};

/// get: one task's `Info`.
pub const GET: Operation = Operation {
    service: SERVICE,
    operation: "get",
    input: &GET_INPUT,
    output: &Type::Struct(&TASK_INFO),
    auth: Auth::Session,
    privilege: Some(Privilege::SystemRead),
    rest: Some(RestBinding {
        method: "GET",
        path: "/cis/tasks/{task}",
        action: None,
        body: RestBody::None,
        status: 200,
    }),
    task_result: None,
    handler: get,
};

/// list: task id → `Info`, filtered.
pub const LIST: Operation = Operation {
    service: SERVICE,
    operation: "list",
    input: &LIST_INPUT,
    output: &Type::Map(&Type::Struct(&TASK_INFO)),
    auth: Auth::Session,
    privilege: Some(Privilege::SystemRead),
    rest: Some(RestBinding {
        method: "GET",
        path: "/cis/tasks",
        action: None,
        body: RestBody::None,
        status: 200,
    }),
    task_result: None,
    handler: list,
};

/// cancel: requests cancellation (REST `?action=cancel`, or a bare POST as in the bindings).
pub const CANCEL: Operation = Operation {
    service: SERVICE,
    operation: "cancel",
    input: &CANCEL_INPUT,
    output: &Type::Void,
    auth: Auth::Session,
    privilege: Some(Privilege::TaskManage),
    rest: Some(RestBinding {
        method: "POST",
        path: "/cis/tasks/{task}",
        action: Some("cancel"),
        body: RestBody::None,
        status: 204,
    }),
    task_result: None,
    handler: cancel,
};

#[derive(Default, Deserialize)]
struct GetSpec {
    exclude_result: Option<bool>,
}

#[derive(Default, Deserialize)]
struct FilterSpec {
    #[serde(default)]
    tasks: Vec<String>,
    #[serde(default)]
    services: Vec<String>,
    #[serde(default)]
    operations: Vec<String>,
    #[serde(default)]
    status: Vec<String>,
    #[serde(default)]
    users: Vec<String>,
}

fn get(call: Call) -> Reply {
    Box::pin(async move {
        let spec: GetSpec = call.param("spec")?;
        let task = call
            .services
            .tasks
            .get(parse_id(call.str_param("task")?)?)
            .await?;
        info_value(&Info::from_task(
            &task,
            spec.exclude_result.unwrap_or(false),
        ))
    })
}

fn list(call: Call) -> Reply {
    Box::pin(async move {
        let filter = filter_from(call.param("filter_spec")?)?;
        let exclude_result = call
            .param::<GetSpec>("result_spec")?
            .exclude_result
            .unwrap_or(false);
        let page = call
            .services
            .tasks
            .list(
                &filter,
                PageRequest {
                    number: 1,
                    size: LIST_LIMIT,
                },
            )
            .await?;
        let mut out = Map::new();
        for t in &page.items {
            out.insert(
                t.id.to_string(),
                info_value(&Info::from_task(t, exclude_result))?,
            );
        }
        Ok(Value::Object(out))
    })
}

fn cancel(call: Call) -> Reply {
    Box::pin(async move {
        let id = parse_id(call.str_param("task")?)?;
        let user = call.principal()?.user.to_string();
        call.services.tasks.cancel(id, &user).await?;
        Ok(Value::Null)
    })
}

fn info_value(info: &Info) -> Result<Value, Problem> {
    serde_json::to_value(info).map_err(|e| Problem::internal(&e))
}

/// Accepts the plain UUID and vCenter's `<uuid>:<service id>` form.
fn parse_id(raw: &str) -> Result<TaskId, Problem> {
    let uuid = raw.split_once(':').map_or(raw, |(id, _)| id);
    uuid.parse::<TaskId>().map_err(|_| {
        Problem::new(
            ErrorKind::NotFound,
            "TASK_NOT_FOUND",
            Message::new(
                "com.vmware.depotd.task.not_found",
                format!("Task {raw} does not exist"),
            )
            .arg("task", raw),
        )
    })
}

fn filter_from(spec: FilterSpec) -> Result<TaskFilter, Problem> {
    let ids = spec
        .tasks
        .iter()
        .map(|t| parse_id(t))
        .collect::<Result<Vec<_>, _>>()?;
    let mut statuses = Vec::new();
    for s in &spec.status {
        match s.as_str() {
            "PENDING" => statuses.push(TaskStatus::Pending),
            "RUNNING" | "BLOCKED" => statuses.push(TaskStatus::Running),
            "SUCCEEDED" => statuses.push(TaskStatus::Succeeded),
            "FAILED" => statuses.extend([TaskStatus::Failed, TaskStatus::Canceled]),
            other => {
                return Err(Problem::invalid(
                    "INVALID_ARGUMENT",
                    format!("status {other:?} is not a task status"),
                ));
            }
        }
    }
    Ok(TaskFilter {
        ids,
        statuses,
        services: spec.services,
        operations: spec.operations,
        created_by: spec.users,
        include_system: true,
        ..TaskFilter::default()
    })
}
