//! `com.vmware.content.library`: list, get, find, update, delete and force-delete of
//! any library.

use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_http::Problem;
use depot_library::{ContentLibrary, LibraryQuery};
use depot_model::{LibraryKind, Privilege};

use super::convert::{backing_spec, change, kind, library_id, library_model};
use crate::vapi::registry::{Auth, Ctx, Operation, RestBody};
use crate::wire::content::library::{FindSpec, LibraryModel};

const SERVICE: &str = "com.vmware.content.library";

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// list's input.
    pub struct NoInput {}
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// get's, delete's and force_delete's input.
    pub struct IdInput {
        /// The library.
        pub library_id: String,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// find's input.
    pub struct FindInput {
        /// Which libraries.
        pub spec: FindSpec,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// update's input.
    pub struct UpdateInput {
        /// The library.
        pub library_id: String,
        /// What changes: only the fields set.
        pub update_spec: LibraryModel,
    }
}

/// The generic library operations, reading and changing libraries of either kind.
pub fn operations<S>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    ContentLibrary: FromRef<S>,
{
    const ONE: &str = "/content/library/{library_id}";
    vec![
        Operation::new(SERVICE, "list", Auth::Session, list::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, "/content/library", StatusCode::OK),
        Operation::new(SERVICE, "get", Auth::Session, get::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, ONE, StatusCode::OK),
        Operation::new(SERVICE, "find", Auth::Session, find::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::POST, "/content/library", StatusCode::OK)
            .action("find")
            .body(RestBody::Param("spec")),
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
    ]
}

/// The ids of every library of `kind` (any, if `None`).
pub async fn ids(library: &ContentLibrary, k: Option<LibraryKind>) -> Result<Vec<String>, Problem> {
    Ok(library
        .library_ids(k)
        .await?
        .iter()
        .map(ToString::to_string)
        .collect())
}

/// One library of `kind` (any, if `None`) as read.
pub async fn read<S>(
    ctx: &Ctx<S>,
    raw: &str,
    k: Option<LibraryKind>,
) -> Result<LibraryModel, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    let library = service.library_of(library_id(raw)?, k).await?;
    Ok(library_model(library, &ctx.base_url))
}

async fn list<S>(ctx: Ctx<S>, _: NoInput) -> Result<Vec<String>, Problem>
where
    ContentLibrary: FromRef<S>,
{
    ids(&ctx.get(), None).await
}

async fn get<S>(ctx: Ctx<S>, input: IdInput) -> Result<LibraryModel, Problem>
where
    ContentLibrary: FromRef<S>,
{
    read(&ctx, &input.library_id, None).await
}

async fn find<S>(ctx: Ctx<S>, input: FindInput) -> Result<Vec<String>, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    let query = LibraryQuery {
        name: input.spec.name,
        kind: input.spec.r#type.map(kind),
        storage: input.spec.storage_backing.as_ref().map(backing_spec),
    };
    Ok(service
        .find_libraries(&query)
        .await?
        .iter()
        .map(ToString::to_string)
        .collect())
}

async fn update<S>(ctx: Ctx<S>, input: UpdateInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    let id = library_id(&input.library_id)?;
    Ok(service
        .update_library(id, None, change(input.update_spec))
        .await?)
}

async fn delete<S>(ctx: Ctx<S>, input: IdInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    Ok(service
        .delete_library(library_id(&input.library_id)?, None, false)
        .await?)
}

async fn force_delete<S>(ctx: Ctx<S>, input: IdInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    Ok(service
        .delete_library(library_id(&input.library_id)?, None, true)
        .await?)
}
