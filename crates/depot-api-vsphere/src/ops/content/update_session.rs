//! `com.vmware.content.library.item.update_session`: open, read, keep alive, complete,
//! cancel, fail, delete and update the sessions that upload content into an item.

use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_http::{Problem, Services};
use depot_library::ContentLibrary;
use depot_model::Privilege;

use crate::vapi::registry::{Auth, Ctx, Operation, RestBody};
use crate::wire::content::update_session::UpdateSessionModel;

const SERVICE: &str = "com.vmware.content.library.item.update_session";
const BASE: &str = "/content/library/item/update-session";
const ONE: &str = "/content/library/item/update-session/{update_session_id}";

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// create's input.
    pub struct CreateInput {
        /// Idempotency token (`Client-Token`).
        pub client_token: Option<String>,
        /// The session to open.
        pub create_spec: UpdateSessionModel,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// The input of operations on one session.
    pub struct IdInput {
        /// The session.
        pub update_session_id: String,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// list's input.
    pub struct ListInput {
        /// Only sessions of this item.
        pub library_item_id: Option<String>,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// keep_alive's input.
    pub struct KeepAliveInput {
        /// The session.
        pub update_session_id: String,
        /// The client's progress, 0–100.
        pub client_progress: Option<i64>,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// fail's input.
    pub struct FailInput {
        /// The session.
        pub update_session_id: String,
        /// What went wrong on the client.
        pub client_error_message: String,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// update's input.
    pub struct UpdateInput {
        /// The session.
        pub update_session_id: String,
        /// What to change (only `warning_behavior` may be set).
        pub update_spec: UpdateSessionModel,
    }
}

/// Every operation of the service.
pub fn operations<S>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
    ContentLibrary: FromRef<S>,
{
    vec![
        Operation::new(SERVICE, "create", Auth::Session, create::<S>)
            .privilege(Privilege::ContentLibraryUpdateSession)
            .rest(Method::POST, BASE, StatusCode::CREATED)
            .body(RestBody::Param("create_spec"))
            .header("Client-Token", "client_token"),
        Operation::new(SERVICE, "get", Auth::Session, get::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, ONE, StatusCode::OK),
        Operation::new(SERVICE, "list", Auth::Session, list::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, BASE, StatusCode::OK),
        Operation::new(SERVICE, "keep_alive", Auth::Session, keep_alive::<S>)
            .privilege(Privilege::ContentLibraryUpdateSession)
            .rest(Method::POST, ONE, StatusCode::NO_CONTENT)
            .action("keep-alive")
            .body(RestBody::Fields),
        Operation::new(SERVICE, "complete", Auth::Session, complete::<S>)
            .privilege(Privilege::ContentLibraryUpdateSession)
            .rest(Method::POST, ONE, StatusCode::NO_CONTENT)
            .action("complete"),
        Operation::new(SERVICE, "cancel", Auth::Session, cancel::<S>)
            .privilege(Privilege::ContentLibraryUpdateSession)
            .rest(Method::POST, ONE, StatusCode::NO_CONTENT)
            .action("cancel"),
        Operation::new(SERVICE, "fail", Auth::Session, fail::<S>)
            .privilege(Privilege::ContentLibraryUpdateSession)
            .rest(Method::POST, ONE, StatusCode::NO_CONTENT)
            .action("fail")
            .body(RestBody::Fields),
        Operation::new(SERVICE, "delete", Auth::Session, delete::<S>)
            .privilege(Privilege::ContentLibraryUpdateSession)
            .rest(Method::DELETE, ONE, StatusCode::NO_CONTENT),
        Operation::new(SERVICE, "update", Auth::Session, update::<S>)
            .privilege(Privilege::ContentLibraryUpdateSession)
            .rest(Method::PATCH, ONE, StatusCode::NO_CONTENT)
            .body(RestBody::Param("update_spec")),
    ]
}

async fn create<S>(ctx: Ctx<S>, input: CreateInput) -> Result<String, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let user = ctx.principal()?.user.to_string();
    let token = client_token(&user, input.client_token)?;
    let spec = input.create_spec;
    let item = spec.library_item_id.ok_or_else(|| {
        Problem::invalid(
            "INVALID_ARGUMENT",
            "create_spec.library_item_id is required: the item to upload into",
        )
    })?;
    let library: ContentLibrary = ctx.get();
    let id = library
        .create_update_session(
            &item,
            spec.library_item_content_version.as_deref(),
            &user,
            token.as_ref(),
        )
        .await?;
    Ok(id.to_string())
}

async fn get<S>(ctx: Ctx<S>, input: IdInput) -> Result<UpdateSessionModel, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let library: ContentLibrary = ctx.get();
    let s = library.update_session(&input.update_session_id).await?;
    Ok(UpdateSessionModel::from(&s))
}

async fn list<S>(ctx: Ctx<S>, input: ListInput) -> Result<Vec<String>, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let library: ContentLibrary = ctx.get();
    let sessions = library
        .update_sessions(input.library_item_id.as_deref())
        .await?;
    Ok(sessions.iter().map(|s| s.id.to_string()).collect())
}

async fn keep_alive<S>(ctx: Ctx<S>, input: KeepAliveInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let library: ContentLibrary = ctx.get();
    library
        .keep_alive_update_session(&input.update_session_id, input.client_progress)
        .await?;
    Ok(())
}

async fn complete<S>(ctx: Ctx<S>, input: IdInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let library: ContentLibrary = ctx.get();
    library
        .complete_update_session(&input.update_session_id)
        .await?;
    Ok(())
}

async fn cancel<S>(ctx: Ctx<S>, input: IdInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let library: ContentLibrary = ctx.get();
    library
        .cancel_update_session(&input.update_session_id)
        .await?;
    Ok(())
}

async fn fail<S>(ctx: Ctx<S>, input: FailInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let library: ContentLibrary = ctx.get();
    library
        .fail_update_session(&input.update_session_id, &input.client_error_message)
        .await?;
    Ok(())
}

async fn delete<S>(ctx: Ctx<S>, input: IdInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let library: ContentLibrary = ctx.get();
    library
        .delete_update_session(&input.update_session_id)
        .await?;
    Ok(())
}

/// Only `warning_behavior` may change (vSphere's update); other fields set are
/// refused. depotd shows no certificate warnings, so the behaviour has no effect.
async fn update<S>(ctx: Ctx<S>, input: UpdateInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let spec = input.update_spec;
    let others = [
        ("library_item_id", spec.library_item_id.is_some()),
        (
            "library_item_content_version",
            spec.library_item_content_version.is_some(),
        ),
        ("client_progress", spec.client_progress.is_some()),
        ("state", spec.state.is_some()),
        ("expiration_time", spec.expiration_time.is_some()),
        ("error_message", spec.error_message.is_some()),
        ("preview_info", spec.preview_info.is_some()),
    ];
    if let Some((field, _)) = others.iter().find(|(_, set)| *set) {
        return Err(Problem::invalid(
            "INVALID_ARGUMENT",
            format!("update_spec.{field} cannot be changed; only warning_behavior can"),
        ));
    }
    let library: ContentLibrary = ctx.get();
    library
        .check_update_session_update(&input.update_session_id)
        .await?;
    Ok(())
}

/// The `Client-Token` of a create, scoped to its user.
pub(super) fn client_token(
    user: &str,
    token: Option<String>,
) -> Result<Option<depot_model::ClientToken>, Problem> {
    token
        .map(|t| {
            depot_model::ClientToken::new(user, t)
                .map_err(|e| Problem::invalid("INVALID_ARGUMENT", format!("Client-Token: {e}")))
        })
        .transpose()
}
