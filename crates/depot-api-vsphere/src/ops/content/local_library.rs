//! `com.vmware.content.local_library`: create, list, get, update, delete,
//! force-delete and publish of local libraries.

use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_http::Problem;
use depot_library::{ContentLibrary, NewLibrary};
use depot_model::{LibraryKind, Privilege};

use super::convert::{backing_spec, change, library_id, publish_spec};
use super::library::{IdInput, NoInput, UpdateInput, ids, read};
use crate::vapi::registry::{Auth, Ctx, Operation, RestBody};
use crate::wire::content::library::{DestinationSpec, LibraryModel, LibraryType};

const SERVICE: &str = "com.vmware.content.local_library";
const LOCAL: Option<LibraryKind> = Some(LibraryKind::Local);

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
        Operation::new(SERVICE, "list", Auth::Session, list::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, ALL, StatusCode::OK),
        Operation::new(SERVICE, "get", Auth::Session, get::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, ONE, StatusCode::OK),
        Operation::new(SERVICE, "update", Auth::Session, update::<S>)
            .privilege(Privilege::ContentLibraryManage)
            .rest(Method::PATCH, ONE, StatusCode::NO_CONTENT)
            .body(RestBody::Param("update_spec")),
        Operation::new(SERVICE, "delete", Auth::Session, delete::<S>)
            .privilege(Privilege::ContentLibraryManage)
            .rest(Method::DELETE, ONE, StatusCode::NO_CONTENT),
        Operation::new(SERVICE, "force_delete", Auth::Session, force_delete::<S>)
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

async fn list<S>(ctx: Ctx<S>, _: NoInput) -> Result<Vec<String>, Problem>
where
    ContentLibrary: FromRef<S>,
{
    ids(&ctx.get(), LOCAL).await
}

async fn get<S>(ctx: Ctx<S>, input: IdInput) -> Result<LibraryModel, Problem>
where
    ContentLibrary: FromRef<S>,
{
    read(&ctx, &input.library_id, LOCAL).await
}

async fn update<S>(ctx: Ctx<S>, input: UpdateInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    let id = library_id(&input.library_id)?;
    Ok(service
        .update_library(id, LOCAL, change(input.update_spec))
        .await?)
}

async fn delete<S>(ctx: Ctx<S>, input: IdInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    Ok(service
        .delete_library(library_id(&input.library_id)?, LOCAL, false)
        .await?)
}

async fn force_delete<S>(ctx: Ctx<S>, input: IdInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    Ok(service
        .delete_library(library_id(&input.library_id)?, LOCAL, true)
        .await?)
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
