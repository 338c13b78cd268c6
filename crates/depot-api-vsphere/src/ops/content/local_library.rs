//! `com.vmware.content.local_library`: create, list, get, update, delete,
//! force-delete and publish of local libraries.

use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_http::Problem;
use depot_library::{ContentLibrary, NewLibrary};
use depot_model::Privilege;

use super::convert::{backing_spec, library_id, publish_spec};
use super::library::{self, Local};
use crate::vapi::registry::{Auth, Ctx, Operation, RestBody};
use crate::wire::content::library::{DestinationSpec, LibraryModel, LibraryType};

const SERVICE: &str = "com.vmware.content.local_library";

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
    const ALL: &str = "/content/local-library";
    const ONE: &str = "/content/local-library/{library_id}";
    vec![
        Operation::new(SERVICE, "create", Auth::Session, create::<S>)
            .privilege(Privilege::ContentLibraryManage)
            .rest(Method::POST, ALL, StatusCode::CREATED)
            .body(RestBody::Param("create_spec"))
            .header("Client-Token", "client_token"),
        Operation::new(SERVICE, "list", Auth::Session, library::list::<S, Local>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, ALL, StatusCode::OK),
        Operation::new(SERVICE, "get", Auth::Session, library::get::<S, Local>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, ONE, StatusCode::OK),
        Operation::new(
            SERVICE,
            "update",
            Auth::Session,
            library::update::<S, Local>,
        )
        .privilege(Privilege::ContentLibraryManage)
        .rest(Method::PATCH, ONE, StatusCode::NO_CONTENT)
        .body(RestBody::Param("update_spec")),
        Operation::new(
            SERVICE,
            "delete",
            Auth::Session,
            library::delete::<S, Local>,
        )
        .privilege(Privilege::ContentLibraryManage)
        .rest(Method::DELETE, ONE, StatusCode::NO_CONTENT),
        Operation::new(
            SERVICE,
            "force_delete",
            Auth::Session,
            library::force_delete::<S, Local>,
        )
        .privilege(Privilege::ContentLibraryManage)
        .rest(Method::POST, ONE, StatusCode::NO_CONTENT)
        .action("force-delete"),
        Operation::new(SERVICE, "publish", Auth::Session, publish::<S>)
            .privilege(Privilege::ContentLibraryManage)
            .rest(Method::POST, ONE, StatusCode::NO_CONTENT)
            .action("publish")
            .body(RestBody::Fields),
    ]
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
