//! `com.vmware.esx.settings.depots`: `sync$task`, the sync of every enabled online depot.

use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_esx_online::DepotsSyncRequest;
use depot_http::{Problem, Services};
use depot_model::{Privilege, TaskId};

use crate::vapi::registry::{Auth, Ctx, Operation, RestBody};
use crate::wire::esx::online::SyncSpec;

const SERVICE: &str = "com.vmware.esx.settings.depots";

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// sync's input.
    pub struct SyncInput {
        /// How (optional).
        #[serde(default)]
        pub spec: Option<SyncSpec>,
    }
}

/// The depots operations.
pub fn operations<S>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
{
    vec![
        // `Depots.sync$task` (task only; REST form from the API reference).
        Operation::task_only::<_, (), _, _>(SERVICE, "sync", Auth::Session, sync::<S>)
            .privilege(Privilege::LifecycleSettingsWrite)
            .rest(Method::POST, "/esx/settings/depots", StatusCode::ACCEPTED)
            .action("sync")
            .body(RestBody::Param("spec")),
    ]
}

/// Submits the sync; a sync already pending or running is returned instead.
async fn sync<S>(ctx: Ctx<S>, input: SyncInput) -> Result<TaskId, Problem>
where
    Services: FromRef<S>,
{
    let user = ctx.principal()?.user.to_string();
    let cleanup = input.spec.and_then(|s| s.cleanup).unwrap_or(false);
    let services: Services = ctx.get();
    let task = DepotsSyncRequest { cleanup }.task(&user);
    Ok(services.tasks.submit(task).await?.id)
}
