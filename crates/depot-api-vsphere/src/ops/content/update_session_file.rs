//! `com.vmware.content.library.item.updatesession.file`: add, list, get, remove and
//! validate the files of an update session.

use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_http::{Problem, Services};
use depot_library::{AddFile, ContentLibrary, PullRequest};
use depot_model::{Message, Privilege, SourceType, TransferEndpoint};

use crate::vapi::registry::{Auth, Ctx, Operation, RestBody};
use crate::wire::content::update_session_file::{
    AddSpec, Info, Source, ValidationError, ValidationResult,
};
use crate::wire::message::LocalizableMessage;

const SERVICE: &str = "com.vmware.content.library.item.updatesession.file";
const FILES: &str = "/content/library/item/update-session/{update_session_id}/file";
const ONE: &str = "/content/library/item/update-session/{update_session_id}/file/{file_name}";

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// add's input.
    pub struct AddInput {
        /// The session.
        pub update_session_id: String,
        /// The file.
        pub file_spec: AddSpec,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// The input of operations on a session's files.
    pub struct SessionInput {
        /// The session.
        pub update_session_id: String,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// The input of operations on one file.
    pub struct FileInput {
        /// The session.
        pub update_session_id: String,
        /// The file.
        pub file_name: String,
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
        Operation::new(SERVICE, "add", Auth::Session, add::<S>)
            .privilege(Privilege::ContentLibraryUpdateSession)
            .rest(Method::POST, FILES, StatusCode::OK)
            .body(RestBody::Param("file_spec")),
        Operation::new(SERVICE, "list", Auth::Session, list::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, FILES, StatusCode::OK),
        Operation::new(SERVICE, "get", Auth::Session, get::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, ONE, StatusCode::OK),
        Operation::new(SERVICE, "remove", Auth::Session, remove::<S>)
            .privilege(Privilege::ContentLibraryUpdateSession)
            .rest(Method::DELETE, ONE, StatusCode::NO_CONTENT),
        Operation::new(SERVICE, "validate", Auth::Session, validate::<S>)
            .privilege(Privilege::ContentLibraryUpdateSession)
            .rest(Method::POST, FILES, StatusCode::OK)
            .action("validate"),
    ]
}

async fn add<S>(ctx: Ctx<S>, input: AddInput) -> Result<Info, Problem>
where
    ContentLibrary: FromRef<S>,
    Services: FromRef<S>,
{
    let spec = input.file_spec;
    let size = spec
        .size
        .map(|s| {
            u64::try_from(s).map_err(|_| {
                Problem::invalid(
                    "INVALID_ARGUMENT",
                    format!("file_spec.size {s} is negative"),
                )
            })
        })
        .transpose()?;
    let add = AddFile {
        name: spec.name,
        source_type: match spec.source_type {
            Source::None => SourceType::None,
            Source::Push => SourceType::Push,
            Source::Pull => SourceType::Pull,
        },
        size,
        checksum: spec.checksum_info.as_ref().map(Into::into),
        source_endpoint: spec.source_endpoint.map(|e| TransferEndpoint {
            uri: e.uri,
            ssl_thumbprint: e.ssl_certificate_thumbprint,
            ssl_certificate: e.ssl_certificate,
        }),
    };
    let user = ctx.principal()?.user.to_string();
    let library: ContentLibrary = ctx.get();
    let file = library
        .add_session_file(&input.update_session_id, add)
        .await?;
    if file.source_type == SourceType::Pull {
        // depotd fetches it in a task: it survives a restart and shows in the task list.
        let services: Services = ctx.get();
        services
            .tasks
            .submit(PullRequest::task(&file, &user))
            .await?;
    }
    Ok(Info::from_file(&file, &ctx.base_url))
}

async fn list<S>(ctx: Ctx<S>, input: SessionInput) -> Result<Vec<Info>, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let library: ContentLibrary = ctx.get();
    let files = library.session_files(&input.update_session_id).await?;
    Ok(files
        .iter()
        .map(|f| Info::from_file(f, &ctx.base_url))
        .collect())
}

async fn get<S>(ctx: Ctx<S>, input: FileInput) -> Result<Info, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let library: ContentLibrary = ctx.get();
    let file = library
        .session_file(&input.update_session_id, &input.file_name)
        .await?;
    Ok(Info::from_file(&file, &ctx.base_url))
}

async fn remove<S>(ctx: Ctx<S>, input: FileInput) -> Result<(), Problem>
where
    ContentLibrary: FromRef<S>,
{
    let library: ContentLibrary = ctx.get();
    library
        .remove_session_file(&input.update_session_id, &input.file_name)
        .await?;
    Ok(())
}

async fn validate<S>(ctx: Ctx<S>, input: SessionInput) -> Result<ValidationResult, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let library: ContentLibrary = ctx.get();
    let v = library.validate_session(&input.update_session_id).await?;
    Ok(ValidationResult {
        has_errors: v.has_errors(),
        missing_files: v.missing_files.clone(),
        invalid_files: v
            .invalid_files
            .iter()
            .map(|(name, why)| ValidationError {
                name: name.clone(),
                error_message: LocalizableMessage::from(&Message::new(
                    "com.vmware.depotd.content.invalid_file",
                    why.clone(),
                )),
            })
            .collect(),
    })
}
