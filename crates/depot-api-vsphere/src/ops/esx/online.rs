//! `com.vmware.esx.settings.depots.online`: list, get, create, update and delete of
//! online depots, and `...online.content` get, thin over `depot-esx-online`'s `OnlineDepots`.

use std::collections::BTreeMap;

use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_esx_online::{DepotDeleteRequest, NewOnlineDepot, OnlineDepotUpdate, OnlineDepots};
use depot_http::{Problem, Services};
use depot_model::{Privilege, TaskId};

use crate::vapi::registry::{Auth, Ctx, Operation, RestBody};
use crate::wire::esx::content::OnlineContentInfo;
use crate::wire::esx::online::{CreateSpec, DeleteSpec, Info, Summary, UpdateSpec};

const SERVICE: &str = "com.vmware.esx.settings.depots.online";
const CONTENT: &str = "com.vmware.esx.settings.depots.online.content";

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// list's input.
    pub struct ListInput {}
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// get's input.
    pub struct DepotInput {
        /// The depot.
        pub depot: String,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// create's input.
    pub struct CreateInput {
        /// The new depot.
        pub spec: CreateSpec,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// update's input.
    pub struct UpdateInput {
        /// The depot.
        pub depot: String,
        /// What changes.
        pub spec: UpdateSpec,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// delete's input.
    pub struct DeleteInput {
        /// The depot.
        pub depot: String,
        /// How (optional). `force` has nothing to force here: an online depot's synced
        /// content is never served (`/depot/esx/` serves offline depots only) and no
        /// image uses a depot, so there is no in-use state to override.
        #[serde(default)]
        pub spec: Option<DeleteSpec>,
    }
}

/// The online-depot operations, in the order of the bindings.
pub fn operations<S>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
    OnlineDepots: FromRef<S>,
{
    const ALL: &str = "/esx/settings/depots/online";
    const ONE: &str = "/esx/settings/depots/online/{depot}";
    vec![
        // `Online.list`.
        Operation::new(SERVICE, "list", Auth::Session, list::<S>)
            .privilege(Privilege::LifecycleSettingsRead)
            .rest(Method::GET, ALL, StatusCode::OK),
        // `Online.get`.
        Operation::new(SERVICE, "get", Auth::Session, get::<S>)
            .privilege(Privilege::LifecycleSettingsRead)
            .rest(Method::GET, ONE, StatusCode::OK),
        // `Online.create`.
        Operation::new(SERVICE, "create", Auth::Session, create::<S>)
            .privilege(Privilege::LifecycleSettingsWrite)
            .rest(Method::POST, ALL, StatusCode::CREATED)
            .body(RestBody::Param("spec")),
        // `Online.delete`.
        Operation::new(SERVICE, "delete", Auth::Session, delete::<S>)
            .with_task(delete_task::<S>)
            .privilege(Privilege::LifecycleSettingsWrite)
            .rest(Method::DELETE, ONE, StatusCode::NO_CONTENT)
            .body(RestBody::Param("spec")),
        // `online.Content.get`.
        Operation::new(CONTENT, "get", Auth::Session, content::<S>)
            .privilege(Privilege::LifecycleSettingsRead)
            .rest(
                Method::GET,
                "/esx/settings/depots/online/{depot}/content",
                StatusCode::OK,
            ),
        // `Online.update`.
        Operation::new(SERVICE, "update", Auth::Session, update::<S>)
            .privilege(Privilege::LifecycleSettingsWrite)
            .rest(Method::PATCH, ONE, StatusCode::NO_CONTENT)
            .body(RestBody::Param("spec")),
    ]
}

async fn list<S>(ctx: Ctx<S>, _: ListInput) -> Result<BTreeMap<String, Summary>, Problem>
where
    OnlineDepots: FromRef<S>,
{
    let service: OnlineDepots = ctx.get();
    Ok(service
        .list()
        .await?
        .into_iter()
        .map(|d| (d.id.to_string(), d.into()))
        .collect())
}

async fn get<S>(ctx: Ctx<S>, input: DepotInput) -> Result<Info, Problem>
where
    OnlineDepots: FromRef<S>,
{
    let service: OnlineDepots = ctx.get();
    Ok(service.get(&input.depot).await?.into())
}

async fn create<S>(ctx: Ctx<S>, input: CreateInput) -> Result<String, Problem>
where
    OnlineDepots: FromRef<S>,
{
    let user = ctx.principal()?.user.to_string();
    let spec = input.spec;
    let new = NewOnlineDepot {
        description: spec.description,
        location: spec.location,
        enabled: spec.enabled,
        ownerdata: spec.ownerdata,
    };
    let service: OnlineDepots = ctx.get();
    Ok(service.create(&user, new).await?.to_string())
}

async fn update<S>(ctx: Ctx<S>, input: UpdateInput) -> Result<(), Problem>
where
    OnlineDepots: FromRef<S>,
{
    let service: OnlineDepots = ctx.get();
    let update = OnlineDepotUpdate {
        enabled: input.spec.enabled,
        description: input.spec.description,
    };
    Ok(service.update(&input.depot, update).await?)
}

async fn delete<S>(ctx: Ctx<S>, input: DeleteInput) -> Result<(), Problem>
where
    OnlineDepots: FromRef<S>,
{
    let service: OnlineDepots = ctx.get();
    Ok(service.delete(&input.depot).await?)
}

/// `delete$task`: the depot must exist now; the task removes it with its content.
async fn delete_task<S>(ctx: Ctx<S>, input: DeleteInput) -> Result<TaskId, Problem>
where
    Services: FromRef<S>,
    OnlineDepots: FromRef<S>,
{
    let user = ctx.principal()?.user.to_string();
    let service: OnlineDepots = ctx.get();
    service.get(&input.depot).await?;
    let services: Services = ctx.get();
    let task = DepotDeleteRequest { depot: input.depot }.task(&user);
    Ok(services.tasks.submit(task).await?.id)
}

async fn content<S>(ctx: Ctx<S>, input: DepotInput) -> Result<OnlineContentInfo, Problem>
where
    OnlineDepots: FromRef<S>,
{
    let service: OnlineDepots = ctx.get();
    let view = service.content(&input.depot).await?;
    serde_json::from_value(view).map_err(|e| {
        depot_esx_online::OnlineDepotError::Internal(format!("the content view: {e}")).into()
    })
}
