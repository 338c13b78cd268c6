//! `com.vmware.content.library.item.downloadsession.file`: list, get and prepare the
//! files of a download session.

use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_http::{Problem, Services};
use depot_library::ContentLibrary;
use depot_model::Privilege;

use crate::vapi::registry::{Auth, Ctx, Operation, RestBody};
use crate::wire::content::download_session_file::{EndpointType, Info};

const SERVICE: &str = "com.vmware.content.library.item.downloadsession.file";
const FILES: &str = "/content/library/item/download-session/{download_session_id}/file";

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// list's input.
    pub struct ListInput {
        /// The session.
        pub download_session_id: String,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// get's input.
    pub struct GetInput {
        /// The session.
        pub download_session_id: String,
        /// The file.
        pub file_name: String,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// prepare's input.
    pub struct PrepareInput {
        /// The session.
        pub download_session_id: String,
        /// The file.
        pub file_name: String,
        /// The kind of endpoint (only `HTTPS`).
        pub endpoint_type: Option<EndpointType>,
    }
}

/// Every operation of the service. REST `get` is the list path with `?file_name=`.
pub fn operations<S>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    Services: FromRef<S>,
    ContentLibrary: FromRef<S>,
{
    vec![
        Operation::new(SERVICE, "list", Auth::Session, list::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, FILES, StatusCode::OK),
        Operation::new(SERVICE, "get", Auth::Session, get::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, FILES, StatusCode::OK)
            .selected_by_query("file_name"),
        Operation::new(SERVICE, "prepare", Auth::Session, prepare::<S>)
            .privilege(Privilege::ContentLibraryDownloadSession)
            .rest(Method::POST, FILES, StatusCode::OK)
            .action("prepare")
            .body(RestBody::Fields),
    ]
}

async fn list<S>(ctx: Ctx<S>, input: ListInput) -> Result<Vec<Info>, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let library: ContentLibrary = ctx.get();
    let files = library.download_files(&input.download_session_id).await?;
    Ok(files
        .iter()
        .map(|f| Info::from_file(f, &ctx.base_url))
        .collect())
}

async fn get<S>(ctx: Ctx<S>, input: GetInput) -> Result<Info, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let library: ContentLibrary = ctx.get();
    let file = library
        .download_file(&input.download_session_id, &input.file_name)
        .await?;
    Ok(Info::from_file(&file, &ctx.base_url))
}

async fn prepare<S>(ctx: Ctx<S>, input: PrepareInput) -> Result<Info, Problem>
where
    ContentLibrary: FromRef<S>,
{
    if input.endpoint_type == Some(EndpointType::Direct) {
        return Err(Problem::invalid(
            "INVALID_ARGUMENT",
            "endpoint_type DIRECT is not offered by depotd; use HTTPS",
        ));
    }
    let library: ContentLibrary = ctx.get();
    let file = library
        .prepare_download_file(&input.download_session_id, &input.file_name)
        .await?;
    Ok(Info::from_file(&file, &ctx.base_url))
}
