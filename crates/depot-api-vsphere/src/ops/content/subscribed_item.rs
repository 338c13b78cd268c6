//! `com.vmware.content.library.subscribed_item`: sync (seed 002) and evict of items of
//! subscribed libraries.

use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_http::{Problem, Services};
use depot_library::{ContentLibrary, ItemSyncRequest};
use depot_model::Privilege;

use super::convert::item_id;
use crate::vapi::registry::{Auth, Ctx, Operation, RestBody};

const SERVICE: &str = "com.vmware.content.library.subscribed_item";
const ONE: &str = "/content/library/subscribed-item/{library_item_id}";

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// sync's input.
    pub struct SyncInput {
        /// The item.
        pub library_item_id: String,
        /// Whether to download content of an on-demand item (required).
        pub force_sync_content: bool,
        /// Whether to download optional files too.
        #[serde(default)]
        pub sync_optional_files: Option<bool>,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// evict's input.
    pub struct EvictInput {
        /// The item.
        pub library_item_id: String,
    }
}

/// The subscribed-item operations.
pub fn operations<S>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
    ContentLibrary: FromRef<S>,
{
    vec![
        Operation::new(SERVICE, "evict", Auth::Session, evict::<S>)
            .privilege(Privilege::ContentLibraryEvictItem)
            .rest(Method::POST, ONE, StatusCode::NO_CONTENT)
            .action("evict"),
        Operation::new(SERVICE, "sync", Auth::Session, sync::<S>)
            .privilege(Privilege::ContentLibrarySyncItem)
            .rest(Method::POST, ONE, StatusCode::NO_CONTENT)
            .action("sync")
            .body(RestBody::Fields),
    ]
}

/// Checks the item at once (404, `INVALID_ELEMENT_TYPE`, `NOT_ALLOWED_IN_CURRENT_STATE`)
/// and syncs it in a task: 204 without waiting.
async fn sync<S>(ctx: Ctx<S>, input: SyncInput) -> Result<(), Problem>
where
    Services: FromRef<S>,
    ContentLibrary: FromRef<S>,
{
    let user = ctx.principal()?.user.to_string();
    let service: ContentLibrary = ctx.get();
    let id = item_id(&input.library_item_id)?;
    service.check_item_sync(id).await?;
    let optional = input.sync_optional_files.unwrap_or(false);
    let services: Services = ctx.get();
    services
        .tasks
        .submit(ItemSyncRequest::task(
            id,
            input.force_sync_content,
            optional,
            &user,
        ))
        .await?;
    Ok(())
}

async fn evict<S>(ctx: Ctx<S>, input: EvictInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    Ok(service.evict_item(item_id(&input.library_item_id)?).await?)
}
