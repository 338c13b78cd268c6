//! `com.vmware.content.library.item.download_session`: open, read, keep alive,
//! cancel, fail and delete the sessions that download an item's content.

use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_http::{Problem, Services};
use depot_library::ContentLibrary;
use depot_model::Privilege;

use super::update_session::client_token;
use crate::vapi::registry::{Auth, Ctx, Operation, RestBody};
use crate::wire::content::download_session::DownloadSessionModel;

const SERVICE: &str = "com.vmware.content.library.item.download_session";
const BASE: &str = "/content/library/item/download-session";
const ONE: &str = "/content/library/item/download-session/{download_session_id}";

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// create's input.
    pub struct CreateInput {
        /// Idempotency token (`Client-Token`).
        pub client_token: Option<String>,
        /// The session to open.
        pub create_spec: DownloadSessionModel,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// The input of operations on one session.
    pub struct IdInput {
        /// The session.
        pub download_session_id: String,
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
        pub download_session_id: String,
        /// The client's progress, 0–100.
        pub progress: Option<i64>,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// fail's input.
    pub struct FailInput {
        /// The session.
        pub download_session_id: String,
        /// What went wrong on the client.
        pub client_error_message: String,
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
            .privilege(Privilege::ContentLibraryDownloadSession)
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
            .privilege(Privilege::ContentLibraryDownloadSession)
            .rest(Method::POST, ONE, StatusCode::NO_CONTENT)
            .action("keep-alive")
            .body(RestBody::Fields),
        Operation::new(SERVICE, "cancel", Auth::Session, cancel::<S>)
            .privilege(Privilege::ContentLibraryDownloadSession)
            .rest(Method::POST, ONE, StatusCode::NO_CONTENT)
            .action("cancel"),
        Operation::new(SERVICE, "fail", Auth::Session, fail::<S>)
            .privilege(Privilege::ContentLibraryDownloadSession)
            .rest(Method::POST, ONE, StatusCode::NO_CONTENT)
            .action("fail")
            .body(RestBody::Fields),
        Operation::new(SERVICE, "delete", Auth::Session, delete::<S>)
            .privilege(Privilege::ContentLibraryDownloadSession)
            .rest(Method::DELETE, ONE, StatusCode::NO_CONTENT),
    ]
}

async fn create<S>(ctx: Ctx<S>, input: CreateInput) -> Result<String, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let user = ctx.principal()?.user.to_string();
    let token = client_token(&user, input.client_token)?;
    let item = input.create_spec.library_item_id.ok_or_else(|| {
        Problem::invalid(
            "INVALID_ARGUMENT",
            "create_spec.library_item_id is required: the item to download from",
        )
    })?;
    let library: ContentLibrary = ctx.get();
    let id = library
        .create_download_session(&item, &user, token.as_ref())
        .await?;
    Ok(id.to_string())
}

async fn get<S>(ctx: Ctx<S>, input: IdInput) -> Result<DownloadSessionModel, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let library: ContentLibrary = ctx.get();
    let s = library.download_session(&input.download_session_id).await?;
    Ok(DownloadSessionModel::from(&s))
}

async fn list<S>(ctx: Ctx<S>, input: ListInput) -> Result<Vec<String>, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let library: ContentLibrary = ctx.get();
    let sessions = library
        .download_sessions(input.library_item_id.as_deref())
        .await?;
    Ok(sessions.iter().map(|s| s.id.to_string()).collect())
}

async fn keep_alive<S>(ctx: Ctx<S>, input: KeepAliveInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let library: ContentLibrary = ctx.get();
    library
        .keep_alive_download_session(&input.download_session_id, input.progress)
        .await?;
    Ok(())
}

async fn cancel<S>(ctx: Ctx<S>, input: IdInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let library: ContentLibrary = ctx.get();
    library
        .cancel_download_session(&input.download_session_id)
        .await?;
    Ok(())
}

async fn fail<S>(ctx: Ctx<S>, input: FailInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let library: ContentLibrary = ctx.get();
    library
        .fail_download_session(&input.download_session_id, &input.client_error_message)
        .await?;
    Ok(())
}

async fn delete<S>(ctx: Ctx<S>, input: IdInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let library: ContentLibrary = ctx.get();
    library
        .delete_download_session(&input.download_session_id)
        .await?;
    Ok(())
}
