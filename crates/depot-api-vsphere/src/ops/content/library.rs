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
    let mut operations = kind_operations::<S, AnyKind>();
    operations.push(
        Operation::new(AnyKind::SERVICE, "find", Auth::Session, find::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::POST, AnyKind::ALL, StatusCode::OK)
            .action("find")
            .body(RestBody::Param("spec")),
    );
    operations
}

/// What the three library services share, on libraries of kind `K`: list, get,
/// update, delete and force-delete.
pub fn kind_operations<S, K: Kind>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    ContentLibrary: FromRef<S>,
{
    vec![
        Operation::new(K::SERVICE, "list", Auth::Session, list::<S, K>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, K::ALL, StatusCode::OK),
        Operation::new(K::SERVICE, "get", Auth::Session, get::<S, K>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, K::ONE, StatusCode::OK),
        Operation::new(K::SERVICE, "update", Auth::Session, update::<S, K>)
            .privilege(K::UPDATE)
            .rest(Method::PATCH, K::ONE, StatusCode::NO_CONTENT)
            .body(RestBody::Param("update_spec")),
        Operation::new(K::SERVICE, "delete", Auth::Session, delete::<S, K>)
            .privilege(K::DELETE)
            .rest(Method::DELETE, K::ONE, StatusCode::NO_CONTENT),
        Operation::new(
            K::SERVICE,
            "force_delete",
            Auth::Session,
            force_delete::<S, K>,
        )
        .privilege(K::DELETE)
        .rest(Method::POST, K::ONE, StatusCode::NO_CONTENT)
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

/// Which libraries a service's list, get, update and delete operations act on:
/// `com.vmware.content.library` any, `local_library` local ones, `subscribed_library`
/// subscribed ones (another kind is `NOT_FOUND` or `INVALID_ELEMENT_TYPE`), and the
/// service's name, REST paths and privileges.
pub trait Kind: Send + Sync + 'static {
    /// The kind, or `None` for any.
    const KIND: Option<LibraryKind>;
    /// The vAPI service.
    const SERVICE: &'static str;
    /// The REST path of the collection.
    const ALL: &'static str;
    /// The REST path of one library.
    const ONE: &'static str;
    /// The privilege an update needs.
    const UPDATE: Privilege;
    /// The privilege a delete needs.
    const DELETE: Privilege;
}

/// Libraries of any kind.
pub struct AnyKind;
/// Local libraries.
pub struct Local;
/// Subscribed libraries.
pub struct Subscribed;

impl Kind for AnyKind {
    const KIND: Option<LibraryKind> = None;
    const SERVICE: &'static str = "com.vmware.content.library";
    const ALL: &'static str = "/content/library";
    const ONE: &'static str = "/content/library/{library_id}";
    const UPDATE: Privilege = Privilege::ContentLibraryManage;
    const DELETE: Privilege = Privilege::ContentLibraryManage;
}
impl Kind for Local {
    const KIND: Option<LibraryKind> = Some(LibraryKind::Local);
    const SERVICE: &'static str = "com.vmware.content.local_library";
    const ALL: &'static str = "/content/local-library";
    const ONE: &'static str = "/content/local-library/{library_id}";
    const UPDATE: Privilege = Privilege::ContentLibraryManage;
    const DELETE: Privilege = Privilege::ContentLibraryManage;
}
impl Kind for Subscribed {
    const KIND: Option<LibraryKind> = Some(LibraryKind::Subscribed);
    const SERVICE: &'static str = "com.vmware.content.subscribed_library";
    const ALL: &'static str = "/content/subscribed-library";
    const ONE: &'static str = "/content/subscribed-library/{library_id}";
    const UPDATE: Privilege = Privilege::ContentLibraryUpdateSubscribed;
    const DELETE: Privilege = Privilege::ContentLibraryDeleteSubscribed;
}

/// `list`: the ids of the libraries of kind `K`.
pub async fn list<S, K: Kind>(ctx: Ctx<S>, _: NoInput) -> Result<Vec<String>, Problem>
where
    ContentLibrary: FromRef<S>,
{
    ids(&ctx.get(), K::KIND).await
}

/// `get`: one library of kind `K`.
pub async fn get<S, K: Kind>(ctx: Ctx<S>, input: IdInput) -> Result<LibraryModel, Problem>
where
    ContentLibrary: FromRef<S>,
{
    read(&ctx, &input.library_id, K::KIND).await
}

/// `update`: the fields set in the spec of a library of kind `K`.
pub async fn update<S, K: Kind>(ctx: Ctx<S>, input: UpdateInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    let id = library_id(&input.library_id)?;
    Ok(service
        .update_library(id, K::KIND, change(input.update_spec))
        .await?)
}

/// `delete`: a library of kind `K`, refused while an update session is open.
pub async fn delete<S, K: Kind>(ctx: Ctx<S>, input: IdInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    Ok(service
        .delete_library(library_id(&input.library_id)?, K::KIND, false)
        .await?)
}

/// `force_delete`: a library of kind `K`, whatever is open.
pub async fn force_delete<S, K: Kind>(ctx: Ctx<S>, input: IdInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    Ok(service
        .delete_library(library_id(&input.library_id)?, K::KIND, true)
        .await?)
}
