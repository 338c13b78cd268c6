//! `com.vmware.cis.tasks`: get, list, cancel.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use depot_http::{Json, Problem, QueryPairs, Services, SessionCaller};
use depot_metadata::{PageRequest, TaskFilter};
use depot_model::{ErrorKind, Message, Privilege, TaskId, TaskStatus};

use crate::wire::task::Info;

/// Most tasks a list returns.
const LIST_LIMIT: u32 = 1000;

/// `GET /api/cis/tasks/{task}` — get (`exclude_result` honoured).
pub async fn get(
    State(services): State<Services>,
    SessionCaller(caller): SessionCaller,
    Path(task): Path<String>,
    query: QueryPairs,
) -> Result<Json<Info>, Problem> {
    caller.require(Privilege::SystemRead)?;
    let exclude_result = query.parsed::<bool>("exclude_result")?.unwrap_or(false);
    let task = services.tasks.get(parse_id(&task)?).await?;
    Ok(Json(Info::from_task(&task, exclude_result)))
}

/// `GET /api/cis/tasks` — list: map of task id to Info, filtered by FilterSpec fields.
pub async fn list(
    State(services): State<Services>,
    SessionCaller(caller): SessionCaller,
    query: QueryPairs,
) -> Result<Json<BTreeMap<String, Info>>, Problem> {
    caller.require(Privilege::SystemRead)?;
    let filter = filter_from(&query)?;
    let exclude_result = query.parsed::<bool>("exclude_result")?.unwrap_or(false);
    let page = services
        .tasks
        .list(
            &filter,
            PageRequest {
                number: 1,
                size: LIST_LIMIT,
            },
        )
        .await?;
    Ok(Json(
        page.items
            .iter()
            .map(|t| (t.id.to_string(), Info::from_task(t, exclude_result)))
            .collect(),
    ))
}

/// `POST /api/cis/tasks/{task}?action=cancel` — cancel (204).
pub async fn cancel(
    State(services): State<Services>,
    SessionCaller(caller): SessionCaller,
    Path(task): Path<String>,
    query: QueryPairs,
) -> Result<StatusCode, Problem> {
    if let Some(action) = query.get("action").filter(|a| *a != "cancel") {
        return Err(Problem::no_route(
            "POST",
            &format!("/api/cis/tasks/{task}?action={action}"),
        ));
    }
    caller.require(Privilege::TaskManage)?;
    services
        .tasks
        .cancel(parse_id(&task)?, caller.user.as_str())
        .await?;
    Ok(StatusCode::NO_CONTENT)
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

/// FilterSpec fields, plain (`status=RUNNING`) or prefixed (`filter_spec.status=RUNNING`).
fn filter_from(q: &QueryPairs) -> Result<TaskFilter, Problem> {
    let all = |name: &str| {
        let mut v: Vec<String> = q.all(name).into_iter().map(str::to_owned).collect();
        v.extend(
            q.all(&format!("filter_spec.{name}"))
                .into_iter()
                .map(str::to_owned),
        );
        v
    };
    let ids = all("tasks")
        .iter()
        .map(|t| parse_id(t))
        .collect::<Result<Vec<_>, _>>()?;
    let mut statuses = Vec::new();
    for s in all("status") {
        match s.as_str() {
            "PENDING" => statuses.push(TaskStatus::Pending),
            "RUNNING" | "BLOCKED" => statuses.push(TaskStatus::Running),
            "SUCCEEDED" => statuses.push(TaskStatus::Succeeded),
            "FAILED" => statuses.extend([TaskStatus::Failed, TaskStatus::Canceled]),
            other => {
                return Err(Problem::invalid(
                    "INVALID_ARGUMENT",
                    format!("status={other:?} is not a task status"),
                ));
            }
        }
    }
    Ok(TaskFilter {
        ids,
        statuses,
        services: all("services"),
        operations: all("operations"),
        created_by: all("users"),
        include_system: true,
        ..TaskFilter::default()
    })
}
