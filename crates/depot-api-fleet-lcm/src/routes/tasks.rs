//! `vcf.fleet_lcm.v1.tasks`: list, get, retry, cancel.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use depot_http::{BearerCaller, Json, Problem, QueryPairs, Services, wire_time};
use depot_metadata::{PageRequest, TaskFilter};
use depot_model::{Privilege, TaskId, TaskStatus};

use crate::wire::task::{PageMetadata, PageOfTaskSummary, Task, TaskSummary};

const MAX_PAGE_SIZE: u32 = 100;
const DEFAULT_PAGE_SIZE: u32 = 20;

/// `GET /v1/tasks` — get_tasks.
pub async fn list(
    State(services): State<Services>,
    BearerCaller(caller): BearerCaller,
    query: QueryPairs,
) -> Result<Json<PageOfTaskSummary>, Problem> {
    caller.require(Privilege::SystemRead)?;
    let (filter, page) = filter_from(&query)?;
    let found = services.tasks.list(&filter, page).await?;
    Ok(Json(PageOfTaskSummary {
        elements: found.items.iter().map(TaskSummary::from).collect(),
        page_metadata: PageMetadata {
            page_number: page.number,
            page_size: page.size,
            total_elements: found.total,
            total_pages: found.total.div_ceil(u64::from(page.size)),
        },
    }))
}

/// `GET /v1/tasks/{taskId}` — get_task.
pub async fn get(
    State(services): State<Services>,
    BearerCaller(caller): BearerCaller,
    Path(task_id): Path<String>,
) -> Result<Json<Task>, Problem> {
    caller.require(Privilege::SystemRead)?;
    let task = services.tasks.get(parse_id(&task_id)?).await?;
    Ok(Json(Task::from(&task)))
}

/// `POST /v1/tasks/{taskId}?action=retry|cancel` — retry_task, cancel_task.
pub async fn action(
    State(services): State<Services>,
    BearerCaller(caller): BearerCaller,
    Path(task_id): Path<String>,
    query: QueryPairs,
) -> Result<(StatusCode, Json<Task>), Problem> {
    caller.require(Privilege::TaskManage)?;
    let id = parse_id(&task_id)?;
    let user = caller.user.to_string();
    query.only(&["action"])?;
    let task = match query.get("action")? {
        Some("retry") => services.tasks.retry(id, &user).await?,
        Some("cancel") => services.tasks.cancel(id, &user).await?,
        other => {
            return Err(Problem::invalid(
                "INVALID_ACTION",
                format!(
                    "action must be retry or cancel, not {:?}",
                    other.unwrap_or("")
                ),
            ));
        }
    };
    Ok((StatusCode::OK, Json(Task::from(&task))))
}

fn parse_id(raw: &str) -> Result<TaskId, Problem> {
    raw.parse::<TaskId>().map_err(|_| {
        Problem::new(
            depot_model::ErrorKind::NotFound,
            "TASK_NOT_FOUND",
            depot_model::Message::new(
                "com.vmware.depotd.task.not_found",
                format!("Task {raw} does not exist"),
            )
            .arg("taskId", raw),
        )
    })
}

/// The query parameters of `GET /v1/tasks`.
const LIST_PARAMETERS: &[&str] = &[
    "status",
    "type",
    "createdBy",
    "name",
    "description",
    "resourceId",
    "resourceType",
    "startTimeGt",
    "startTimeLt",
    "updateTimeGt",
    "updateTimeLt",
    "endTimeGt",
    "endTimeLt",
    "includeSystemTasks",
    "pageNumber",
    "pageSize",
];

fn filter_from(q: &QueryPairs) -> Result<(TaskFilter, PageRequest), Problem> {
    q.only(LIST_PARAMETERS)?;
    let statuses = q
        .all("status")
        .into_iter()
        .map(|s| {
            TaskStatus::parse(&s.to_ascii_uppercase()).ok_or_else(|| {
                Problem::invalid(
                    "INVALID_QUERY_PARAMETER",
                    format!("status={s:?} is not a task status"),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let time = |name: &str| q.get(name)?.map(|v| wire_time::parse(name, v)).transpose();
    let text = |name: &str| q.get(name).map(|v| v.map(str::to_owned));
    let filter = TaskFilter {
        statuses,
        task_type: text("type")?,
        created_by: q.all("createdBy").into_iter().map(str::to_owned).collect(),
        names: q.all("name").into_iter().map(str::to_owned).collect(),
        description: text("description")?,
        resource_id: text("resourceId")?,
        resource_type: text("resourceType")?,
        start_time_gt: time("startTimeGt")?,
        start_time_lt: time("startTimeLt")?,
        update_time_gt: time("updateTimeGt")?,
        update_time_lt: time("updateTimeLt")?,
        end_time_gt: time("endTimeGt")?,
        end_time_lt: time("endTimeLt")?,
        include_system: q.parsed::<bool>("includeSystemTasks")?.unwrap_or(false),
        ..TaskFilter::default()
    };
    Ok((filter, page_from(q)?))
}

/// `pageNumber` (1-based, default 1) and `pageSize` (1 to 100, default 20).
pub(crate) fn page_from(q: &QueryPairs) -> Result<PageRequest, Problem> {
    let number = q.parsed::<u32>("pageNumber")?.unwrap_or(1);
    let size = q.parsed::<u32>("pageSize")?.unwrap_or(DEFAULT_PAGE_SIZE);
    if number == 0 || size == 0 || size > MAX_PAGE_SIZE {
        return Err(Problem::invalid(
            "INVALID_PAGE",
            format!("pageNumber must be at least 1 and pageSize 1 to {MAX_PAGE_SIZE}"),
        ));
    }
    Ok(PageRequest { number, size })
}
