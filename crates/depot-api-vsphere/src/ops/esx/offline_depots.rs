//! `com.vmware.esx.settings.depots.offline` (create$task, list, get, delete,
//! delete$task) and `com.vmware.esx.settings.depots.offline.content` (get).

use std::collections::BTreeMap;

use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_esx_depots::{AuthHeader, CreateRequest, EsxDepots, SourceKind};
use depot_http::{Problem, Services};
use depot_model::{Privilege, Secret, TaskId};

use crate::vapi::registry::{Auth, Ctx, Operation, RestBody};
use crate::vapi::typed::VapiType as _;
use crate::wire::esx::content::DepotContentInfo;
use crate::wire::esx::offline::{
    self, AuthenticationSpec, CreateResult, CreateSpec, DeleteResult, DeleteSpec, Info, SourceType,
    Summary,
};

const SERVICE: &str = "com.vmware.esx.settings.depots.offline";
const CONTENT: &str = "com.vmware.esx.settings.depots.offline.content";
const ALL: &str = "/esx/settings/depots/offline";
const ONE: &str = "/esx/settings/depots/offline/{depot}";

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// create's input.
    pub struct CreateInput {
        /// What to import.
        pub spec: CreateSpec,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// The input of operations on one depot.
    pub struct DepotInput {
        /// The depot.
        pub depot: String,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// list's input.
    pub struct ListInput {}
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// delete's input.
    pub struct DeleteInput {
        /// The depot.
        pub depot: String,
        /// How.
        #[serde(default)]
        pub spec: Option<DeleteSpec>,
    }
}

/// The offline depot operations, in the bindings' order.
pub fn operations<S>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
    EsxDepots: FromRef<S>,
{
    let mut delete = Operation::new(SERVICE, "delete", Auth::Session, delete::<S>)
        .with_task(delete_task::<S>)
        .privilege(Privilege::LifecycleSettingsWrite)
        .rest(Method::DELETE, ONE, StatusCode::NO_CONTENT)
        .body(RestBody::Param("spec"));
    // The task's result is a DeleteResult; the plain form answers nothing.
    delete.task_result = Some(DeleteResult::TYPE);
    vec![
        // `GET /api/esx/settings/depots/offline/{depot}`: get.
        Operation::new(SERVICE, "get", Auth::Session, get::<S>)
            .privilege(Privilege::LifecycleSettingsRead)
            .rest(Method::GET, ONE, StatusCode::OK),
        // `GET /api/esx/settings/depots/offline`: list.
        Operation::new(SERVICE, "list", Auth::Session, list::<S>)
            .privilege(Privilege::LifecycleSettingsRead)
            .rest(Method::GET, ALL, StatusCode::OK),
        // `POST /api/esx/settings/depots/offline?vmw-task=true`: create$task.
        Operation::task_only::<CreateInput, CreateResult, _, _>(
            SERVICE,
            "create",
            Auth::Session,
            create_task::<S>,
        )
        .privilege(Privilege::LifecycleSettingsWrite)
        .rest(Method::POST, ALL, StatusCode::ACCEPTED)
        .body(RestBody::Param("spec")),
        // `DELETE /api/esx/settings/depots/offline/{depot}[?vmw-task=true]`: delete,
        // delete$task.
        delete,
        // `GET /api/esx/settings/depots/offline/{depot}/content`: content get.
        Operation::new(CONTENT, "get", Auth::Session, content::<S>)
            .privilege(Privilege::LifecycleSettingsRead)
            .rest(
                Method::GET,
                "/esx/settings/depots/offline/{depot}/content",
                StatusCode::OK,
            ),
    ]
}

async fn get<S>(ctx: Ctx<S>, input: DepotInput) -> Result<Info, Problem>
where
    EsxDepots: FromRef<S>,
{
    let depots: EsxDepots = ctx.get();
    Ok(Info::from(&depots.get(&input.depot).await?))
}

async fn list<S>(ctx: Ctx<S>, _: ListInput) -> Result<BTreeMap<String, Summary>, Problem>
where
    EsxDepots: FromRef<S>,
{
    let depots: EsxDepots = ctx.get();
    Ok(offline::summaries(&depots.list().await?))
}

async fn create_task<S>(ctx: Ctx<S>, input: CreateInput) -> Result<TaskId, Problem>
where
    Services: FromRef<S>,
    EsxDepots: FromRef<S>,
{
    let user = ctx.principal()?.user.clone();
    let depots: EsxDepots = ctx.get();
    let task = depots
        .prepare_create(&user, create_request(input.spec)?)
        .await?;
    let services: Services = ctx.get();
    Ok(services.tasks.submit(task).await?.id)
}

/// The service's request from the wire's spec.
fn create_request(spec: CreateSpec) -> Result<CreateRequest, Problem> {
    let auth_header = spec.authentication_spec.map(header).transpose()?;
    Ok(CreateRequest {
        source: match spec.source_type {
            SourceType::Pull => SourceKind::Pull,
            SourceType::Push => SourceKind::Push,
        },
        description: spec.description,
        location: spec.location,
        file_id: spec.file_id,
        ownerdata: spec.ownerdata.or(spec.owner_data),
        auth_header,
    })
}

fn header(spec: AuthenticationSpec) -> Result<AuthHeader, Problem> {
    match (spec.authentication_key, spec.authentication_value) {
        (Some(name), Some(value)) => Ok(AuthHeader {
            name,
            value: Secret::new(value),
        }),
        _ => Err(Problem::invalid(
            "INVALID_ARGUMENT",
            "HEADER_AUTH needs authentication_key and authentication_value",
        )),
    }
}

async fn delete<S>(ctx: Ctx<S>, input: DeleteInput) -> Result<(), Problem>
where
    EsxDepots: FromRef<S>,
{
    let depots: EsxDepots = ctx.get();
    Ok(depots.delete_record(&input.depot).await?)
}

async fn delete_task<S>(ctx: Ctx<S>, input: DeleteInput) -> Result<TaskId, Problem>
where
    Services: FromRef<S>,
    EsxDepots: FromRef<S>,
{
    let user = ctx.principal()?.user.clone();
    let force = input.spec.and_then(|s| s.force).unwrap_or(false);
    let depots: EsxDepots = ctx.get();
    let task = depots.prepare_delete(&user, &input.depot, force).await?;
    let services: Services = ctx.get();
    Ok(services.tasks.submit(task).await?.id)
}

async fn content<S>(ctx: Ctx<S>, input: DepotInput) -> Result<DepotContentInfo, Problem>
where
    EsxDepots: FromRef<S>,
{
    let depots: EsxDepots = ctx.get();
    let content = depots.content(&input.depot).await?;
    serde_json::from_value(content).map_err(|e| Problem::internal(&e))
}
