//! `com.vmware.content.subscribed_library`: create, list, get, update, delete,
//! force-delete, probe, sync and evict of subscribed libraries.

use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_http::{Problem, Services};
use depot_library::{ContentLibrary, LibraryError, LibrarySyncRequest, NewSubscribedLibrary};
use depot_model::{LibraryKind, Privilege};

use super::convert::{backing_spec, library_id, publish_spec, subscription_spec};
use super::library::{self, IdInput, Kind as _, Subscribed};
use crate::vapi::registry::{Auth, Ctx, Operation, RestBody};
use crate::wire::content::library::{LibraryModel, LibraryType, SubscriptionInfo};
use crate::wire::content::subscribed_library::ProbeResult;

const SUBSCRIBED: Option<LibraryKind> = Some(LibraryKind::Subscribed);

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// create's input.
    pub struct CreateInput {
        /// Idempotency token (REST: the `Client-Token` header).
        #[serde(default)]
        pub client_token: Option<String>,
        /// The library, with its `subscription_info`.
        pub create_spec: LibraryModel,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// probe's input.
    pub struct ProbeInput {
        /// The subscription to try.
        pub subscription_info: SubscriptionInfo,
    }
}

/// The subscribed-library operations.
pub fn operations<S>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
    ContentLibrary: FromRef<S>,
{
    const SERVICE: &str = Subscribed::SERVICE;
    let mut operations = library::kind_operations::<S, Subscribed>();
    operations.extend([
        Operation::new(SERVICE, "create", Auth::Session, create::<S>)
            .privilege(Privilege::ContentLibraryCreateSubscribed)
            .rest(Method::POST, Subscribed::ALL, StatusCode::CREATED)
            .body(RestBody::Param("create_spec"))
            .header("Client-Token", "client_token"),
        Operation::new(SERVICE, "sync", Auth::Session, sync::<S>)
            .privilege(Privilege::ContentLibrarySyncLibrary)
            .rest(Method::POST, Subscribed::ONE, StatusCode::NO_CONTENT)
            .action("sync"),
        Operation::new(SERVICE, "evict", Auth::Session, evict::<S>)
            .privilege(Privilege::ContentLibraryEvictSubscribed)
            .rest(Method::POST, Subscribed::ONE, StatusCode::NO_CONTENT)
            .action("evict"),
        Operation::new(SERVICE, "probe", Auth::Session, probe::<S>)
            .privilege(Privilege::ContentLibraryCreateSubscribed)
            .rest(Method::POST, Subscribed::ALL, StatusCode::OK)
            .action("probe")
            .body(RestBody::Fields),
    ]);
    operations
}

async fn create<S>(ctx: Ctx<S>, input: CreateInput) -> Result<String, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let user = ctx.principal()?.user.to_string();
    let spec = input.create_spec;
    if spec.r#type == Some(LibraryType::Local) {
        return Err(
            LibraryError::Invalid("a subscribed library's type is SUBSCRIBED".to_owned()).into(),
        );
    }
    let new = NewSubscribedLibrary {
        name: spec.name,
        description: spec.description,
        storage: spec
            .storage_backings
            .unwrap_or_default()
            .iter()
            .map(backing_spec)
            .collect(),
        subscription: spec.subscription_info.map(subscription_spec),
        // depotd's extension: a subscribed library may be published to chain subscribers.
        publish: spec.publish_info.map(publish_spec),
    };
    let service: ContentLibrary = ctx.get();
    let id = service
        .create_subscribed_library(&user, new, input.client_token.as_deref())
        .await?;
    Ok(id.to_string())
}

async fn sync<S>(ctx: Ctx<S>, input: IdInput) -> Result<(), Problem>
where
    Services: FromRef<S>,
    ContentLibrary: FromRef<S>,
{
    let user = ctx.principal()?.user.to_string();
    let service: ContentLibrary = ctx.get();
    let id = library_id(&input.library_id)?;
    service.library_of(id, SUBSCRIBED).await?;
    let services: Services = ctx.get();
    // A sync of this library already pending or running is returned, not doubled.
    services
        .tasks
        .submit(LibrarySyncRequest::task(id, &user))
        .await?;
    Ok(())
}

async fn evict<S>(ctx: Ctx<S>, input: IdInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    Ok(service
        .evict_library(library_id(&input.library_id)?)
        .await?)
}

async fn probe<S>(ctx: Ctx<S>, input: ProbeInput) -> Result<ProbeResult, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    Ok(service
        .probe(subscription_spec(input.subscription_info))
        .await
        .into())
}
