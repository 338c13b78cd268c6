//! `com.vmware.cis.tasks`: get, list, cancel.

use std::collections::BTreeMap;

use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_http::{Problem, Services};
use depot_metadata::{PageRequest, TaskFilter, TaskTarget};
use depot_model::{ErrorKind, Message, Privilege, TaskId, TaskStatus};

use crate::vapi::registry::{Auth, Ctx, Operation};
use crate::wire::task::{DynamicId, Info, Status};

const SERVICE: &str = "com.vmware.cis.tasks";
/// Most tasks a list returns.
const LIST_LIMIT: u32 = 1000;

crate::vapi_struct! {
    #[vapi("com.vmware.cis.tasks.get_spec")]
    /// What a get or list returns of each task.
    #[derive(Default)]
    pub struct GetSpec {
        /// Also the operation-specific data: the task's stages and their messages
        /// (depotd's tasks have no other).
        pub return_all: Option<bool>,
        /// Leave the result out.
        pub exclude_result: Option<bool>,
    }
}

crate::vapi_struct! {
    #[vapi("com.vmware.cis.tasks.filter_spec")]
    /// Which tasks a list returns; unset fields match every task.
    #[derive(Default)]
    pub struct FilterSpec {
        /// Only these task ids.
        pub tasks: Option<Vec<String>>,
        /// Only tasks of these services.
        pub services: Option<Vec<String>>,
        /// Only tasks of these operations.
        pub operations: Option<Vec<String>>,
        /// Only tasks in these statuses.
        pub status: Option<Vec<Status>>,
        /// Only tasks on these resources.
        pub targets: Option<Vec<DynamicId>>,
        /// Only tasks of these users.
        pub users: Option<Vec<String>>,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// get's input.
    pub struct GetInput {
        /// The task id.
        pub task: String,
        /// What to return.
        pub spec: Option<GetSpec>,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// list's input.
    pub struct ListInput {
        /// Which tasks.
        pub filter_spec: Option<FilterSpec>,
        /// What to return of each.
        pub result_spec: Option<GetSpec>,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// cancel's input.
    pub struct CancelInput {
        /// The task id.
        pub task: String,
    }
}

/// get (one task's `Info`), list (task id → `Info`, filtered) and cancel (REST
/// `?action=cancel`, or a bare POST as in the bindings).
pub fn operations<S>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    vec![
        Operation::new(SERVICE, "get", Auth::Session, get::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, "/cis/tasks/{task}", StatusCode::OK),
        Operation::new(SERVICE, "list", Auth::Session, list::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, "/cis/tasks", StatusCode::OK),
        Operation::new(SERVICE, "cancel", Auth::Session, cancel::<S>)
            .privilege(Privilege::TaskManage)
            .rest(Method::POST, "/cis/tasks/{task}", StatusCode::NO_CONTENT)
            .action("cancel"),
    ]
}

async fn get<S>(ctx: Ctx<S>, input: GetInput) -> Result<Info, Problem>
where
    Services: FromRef<S>,
{
    let services: Services = ctx.get();
    let task = services.tasks.get(parse_id(&input.task)?).await?;
    Ok(Info::from_task(&task, &input.spec.unwrap_or_default()))
}

async fn list<S>(ctx: Ctx<S>, input: ListInput) -> Result<BTreeMap<String, Info>, Problem>
where
    Services: FromRef<S>,
{
    let services: Services = ctx.get();
    let filter = filter_from(input.filter_spec.unwrap_or_default())?;
    let spec = input.result_spec.unwrap_or_default();
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
    Ok(page
        .items
        .iter()
        .map(|t| (t.id.to_string(), Info::from_task(t, &spec)))
        .collect())
}

async fn cancel<S>(ctx: Ctx<S>, input: CancelInput) -> Result<(), Problem>
where
    Services: FromRef<S>,
{
    let id = parse_id(&input.task)?;
    let user = ctx.principal()?.user.to_string();
    let services: Services = ctx.get();
    services.tasks.cancel(id, &user).await?;
    Ok(())
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
        .unwrap_or_default()
        .iter()
        .map(|t| parse_id(t))
        .collect::<Result<Vec<_>, _>>()?;
    let mut statuses = Vec::new();
    for s in spec.status.unwrap_or_default() {
        match s {
            Status::Pending => statuses.push(TaskStatus::Pending),
            Status::Running | Status::Blocked => statuses.push(TaskStatus::Running),
            Status::Succeeded => statuses.push(TaskStatus::Succeeded),
            Status::Failed => statuses.extend([TaskStatus::Failed, TaskStatus::Canceled]),
        }
    }
    let targets = spec
        .targets
        .unwrap_or_default()
        .into_iter()
        .map(|t| TaskTarget {
            resource_type: t.r#type,
            resource_id: t.id,
        })
        .collect();
    Ok(TaskFilter {
        ids,
        statuses,
        services: spec.services.unwrap_or_default(),
        operations: spec.operations.unwrap_or_default(),
        created_by: spec.users.unwrap_or_default(),
        targets,
        include_system: true,
        ..TaskFilter::default()
    })
}
