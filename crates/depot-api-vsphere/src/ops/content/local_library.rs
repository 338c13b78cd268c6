//! `com.vmware.content.local_library`: create, list, get, update, delete,
//! force-delete and publish of local libraries.

use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_http::Problem;
use depot_library::{ContentLibrary, NewLibrary};
use depot_model::Privilege;

use super::convert::{backing_spec, library_id, publish_spec};
use super::library::{self, Kind as _, Local};
use crate::vapi::registry::{Auth, Ctx, Operation, RestBody};
use crate::wire::content::library::{DestinationSpec, LibraryModel, LibraryType};

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// create's input.
    pub struct CreateInput {
        /// Idempotency token (REST: the `Client-Token` header).
        #[serde(default)]
        pub client_token: Option<String>,
        /// The library.
        pub create_spec: LibraryModel,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// publish's input.
    pub struct PublishInput {
        /// The library.
        pub library_id: String,
        /// The subscriptions to publish to (all, if unset).
        #[serde(default)]
        pub subscriptions: Option<Vec<DestinationSpec>>,
    }
}

/// The local-library operations.
pub fn operations<S>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    ContentLibrary: FromRef<S>,
{
    const SERVICE: &str = Local::SERVICE;
    let mut operations = library::kind_operations::<S, Local>();
    operations.extend([
        Operation::new(SERVICE, "create", Auth::Session, create::<S>)
            .privilege(Privilege::ContentLibraryManage)
            .rest(Method::POST, Local::ALL, StatusCode::CREATED)
            .body(RestBody::Param("create_spec"))
            .header("Client-Token", "client_token"),
        Operation::new(SERVICE, "publish", Auth::Session, publish::<S>)
            .privilege(Privilege::ContentLibraryManage)
            .rest(Method::POST, Local::ONE, StatusCode::NO_CONTENT)
            .action("publish")
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
    if spec.r#type == Some(LibraryType::Subscribed) {
        return Err(depot_library::LibraryError::Invalid(
            "a local library's type is LOCAL".to_owned(),
        )
        .into());
    }
    let new = NewLibrary {
        name: spec.name,
        description: spec.description,
        storage: spec
            .storage_backings
            .unwrap_or_default()
            .iter()
            .map(backing_spec)
            .collect(),
        publish: spec.publish_info.map(publish_spec),
    };
    let service: ContentLibrary = ctx.get();
    let id = service
        .create_local_library(&user, new, input.client_token.as_deref())
        .await?;
    Ok(id.to_string())
}

async fn publish<S>(ctx: Ctx<S>, input: PublishInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    let subscriptions: Vec<String> = input
        .subscriptions
        .unwrap_or_default()
        .into_iter()
        .map(|s| s.subscription)
        .collect();
    Ok(service
        .publish_library(library_id(&input.library_id)?, &subscriptions)
        .await?)
}
