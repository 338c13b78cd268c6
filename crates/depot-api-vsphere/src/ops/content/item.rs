//! `com.vmware.content.library.item`: list, get, find, create, update, delete, copy
//! and publish of library items.

use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_http::Problem;
use depot_library::{ContentLibrary, CopySpec, ItemChange, NewItem};
use depot_metadata::ItemFilter;
use depot_model::{ItemId, Privilege};

use super::convert::{item_id, item_model, library_id};
use crate::vapi::registry::{Auth, Ctx, Operation, RestBody};
use crate::wire::content::item::{DestinationSpec, FindSpec, ItemModel};

const SERVICE: &str = "com.vmware.content.library.item";
const ALL: &str = "/content/library/item";
const ONE: &str = "/content/library/item/{library_item_id}";

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// list's input.
    pub struct ListInput {
        /// The library.
        pub library_id: String,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// get's and delete's input.
    pub struct IdInput {
        /// The item.
        pub library_item_id: String,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// find's input.
    pub struct FindInput {
        /// Which items.
        pub spec: FindSpec,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// create's input.
    pub struct CreateInput {
        /// Idempotency token (REST: the `Client-Token` header).
        #[serde(default)]
        pub client_token: Option<String>,
        /// The item: `library_id` and `name` are needed.
        pub create_spec: ItemModel,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// update's input.
    pub struct UpdateInput {
        /// The item.
        pub library_item_id: String,
        /// What changes: only the fields set.
        pub update_spec: ItemModel,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// copy's input.
    pub struct CopyInput {
        /// Idempotency token (REST: the `Client-Token` header).
        #[serde(default)]
        pub client_token: Option<String>,
        /// The item to copy.
        pub source_library_item_id: String,
        /// The copy: unset fields take the source's.
        pub destination_create_spec: ItemModel,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// publish's input.
    pub struct PublishInput {
        /// The item.
        pub library_item_id: String,
        /// Whether subscribers sync the content at once.
        pub force_sync_content: bool,
        /// The subscriptions to publish to (all, if unset).
        #[serde(default)]
        pub subscriptions: Option<Vec<DestinationSpec>>,
    }
}

/// The item operations.
pub fn operations<S>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    ContentLibrary: FromRef<S>,
{
    vec![
        Operation::new(SERVICE, "list", Auth::Session, list::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, ALL, StatusCode::OK),
        Operation::new(SERVICE, "get", Auth::Session, get::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, ONE, StatusCode::OK),
        Operation::new(SERVICE, "find", Auth::Session, find::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::POST, ALL, StatusCode::OK)
            .action("find")
            .body(RestBody::Param("spec")),
        Operation::new(SERVICE, "create", Auth::Session, create::<S>)
            .privilege(Privilege::ContentLibraryAddItem)
            .rest(Method::POST, ALL, StatusCode::CREATED)
            .body(RestBody::Param("create_spec"))
            .header("Client-Token", "client_token"),
        Operation::new(SERVICE, "update", Auth::Session, update::<S>)
            .privilege(Privilege::ContentLibraryAddItem)
            .rest(Method::PATCH, ONE, StatusCode::NO_CONTENT)
            .body(RestBody::Param("update_spec")),
        Operation::new(SERVICE, "delete", Auth::Session, delete::<S>)
            .privilege(Privilege::ContentLibraryDeleteItem)
            .rest(Method::DELETE, ONE, StatusCode::NO_CONTENT),
        Operation::new(SERVICE, "copy", Auth::Session, copy::<S>)
            .privilege(Privilege::ContentLibraryAddItem)
            .rest(Method::POST, ONE, StatusCode::CREATED)
            .action("copy")
            .body(RestBody::Param("destination_create_spec"))
            .path_field("library_item_id", "source_library_item_id")
            .header("Client-Token", "client_token"),
        Operation::new(SERVICE, "publish", Auth::Session, publish::<S>)
            .privilege(Privilege::ContentLibraryAddItem)
            .rest(Method::POST, ONE, StatusCode::NO_CONTENT)
            .action("publish")
            .body(RestBody::Fields),
    ]
}

async fn list<S>(ctx: Ctx<S>, input: ListInput) -> Result<Vec<ItemId>, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    // Ids serialize as their strings: no intermediate `String` per item.
    Ok(service.item_ids(library_id(&input.library_id)?).await?)
}

async fn get<S>(ctx: Ctx<S>, input: IdInput) -> Result<ItemModel, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    let item = service.item(item_id(&input.library_item_id)?).await?;
    Ok(item_model(item))
}

async fn find<S>(ctx: Ctx<S>, input: FindInput) -> Result<Vec<String>, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    let spec = input.spec;
    let library = match spec.library_id.as_deref().map(library_id) {
        Some(Ok(id)) => Some(id),
        // An id that does not parse names no library: nothing matches.
        Some(Err(_)) => return Ok(Vec::new()),
        None => None,
    };
    let filter = ItemFilter {
        name: spec.name,
        library_id: library,
        source_id: spec.source_id,
        item_type: spec.r#type,
        cached: spec.cached,
    };
    let ids = service.find_items(&filter).await?;
    Ok(ids.iter().map(ToString::to_string).collect())
}

async fn create<S>(ctx: Ctx<S>, input: CreateInput) -> Result<String, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let user = ctx.principal()?.user.to_string();
    let spec = input.create_spec;
    let new = NewItem {
        library_id: spec.library_id.as_deref().map(library_id).transpose()?,
        name: spec.name,
        description: spec.description,
        item_type: spec.r#type,
    };
    let service: ContentLibrary = ctx.get();
    let id = service
        .create_item(&user, new, input.client_token.as_deref())
        .await?;
    Ok(id.to_string())
}

async fn update<S>(ctx: Ctx<S>, input: UpdateInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let spec = input.update_spec;
    let change = ItemChange {
        name: spec.name,
        description: spec.description,
        item_type: spec.r#type,
        version: spec.version,
    };
    let service: ContentLibrary = ctx.get();
    Ok(service
        .update_item(item_id(&input.library_item_id)?, change)
        .await?)
}

async fn delete<S>(ctx: Ctx<S>, input: IdInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    Ok(service
        .delete_item(item_id(&input.library_item_id)?)
        .await?)
}

async fn copy<S>(ctx: Ctx<S>, input: CopyInput) -> Result<String, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let user = ctx.principal()?.user.to_string();
    let spec = input.destination_create_spec;
    let copy = CopySpec {
        library_id: spec.library_id.as_deref().map(library_id).transpose()?,
        name: spec.name,
        description: spec.description,
    };
    let service: ContentLibrary = ctx.get();
    let id = service
        .copy_item(
            &user,
            item_id(&input.source_library_item_id)?,
            copy,
            input.client_token.as_deref(),
        )
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
    let _ = input.force_sync_content;
    Ok(service
        .publish_item(item_id(&input.library_item_id)?, &subscriptions)
        .await?)
}
