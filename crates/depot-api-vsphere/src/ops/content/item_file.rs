//! `com.vmware.content.library.item.file` (list, get) and
//! `com.vmware.content.library.item.storage` (list, get): an item's files, their
//! sizes and SHA-256 checksums, and where their content is stored.

use axum::extract::FromRef;
use axum::http::{Method, StatusCode};
use depot_http::Problem;
use depot_library::{ContentLibrary, FileStorage};
use depot_model::Privilege;

use super::convert::{checksum, file_info, item_backing, item_id};
use crate::vapi::registry::{Auth, Ctx, Operation};
use crate::wire::content::item::{FileInfo, StorageInfo};

const FILE: &str = "com.vmware.content.library.item.file";
const STORAGE: &str = "com.vmware.content.library.item.storage";

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// list's input.
    pub struct ListInput {
        /// The item.
        pub library_item_id: String,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// file get's input.
    pub struct FileGetInput {
        /// The item.
        pub library_item_id: String,
        /// The file.
        pub name: String,
    }
}

crate::vapi_struct! {
    #[vapi("operation-input")]
    /// storage get's input.
    pub struct StorageGetInput {
        /// The item.
        pub library_item_id: String,
        /// The file.
        pub file_name: String,
    }
}

/// The file and storage operations (list and get share a route; get is chosen by its
/// query parameter).
pub fn operations<S>() -> Vec<Operation<S>>
where
    S: Clone + Send + Sync + 'static,
    ContentLibrary: FromRef<S>,
{
    const FILES: &str = "/content/library/item/{library_item_id}/file";
    const STORED: &str = "/content/library/item/{library_item_id}/storage";
    vec![
        Operation::new(FILE, "list", Auth::Session, file_list::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, FILES, StatusCode::OK),
        Operation::new(FILE, "get", Auth::Session, file_get::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, FILES, StatusCode::OK),
        Operation::new(STORAGE, "list", Auth::Session, storage_list::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, STORED, StatusCode::OK),
        Operation::new(STORAGE, "get", Auth::Session, storage_get::<S>)
            .privilege(Privilege::SystemRead)
            .rest(Method::GET, STORED, StatusCode::OK),
    ]
}

async fn file_list<S>(ctx: Ctx<S>, input: ListInput) -> Result<Vec<FileInfo>, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    let files = service.item_files(item_id(&input.library_item_id)?).await?;
    Ok(files.into_iter().map(file_info).collect())
}

async fn file_get<S>(ctx: Ctx<S>, input: FileGetInput) -> Result<FileInfo, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    let file = service
        .item_file(item_id(&input.library_item_id)?, &input.name)
        .await?;
    Ok(file_info(file))
}

fn storage_info(s: FileStorage) -> StorageInfo {
    StorageInfo {
        storage_backing: item_backing(&s.backing),
        storage_uris: s.uris,
        checksum_info: checksum(&s.file),
        cached: s.file.cached(),
        size: s.file.size,
        version: s.file.version.to_string(),
        name: s.file.name,
    }
}

async fn storage_list<S>(ctx: Ctx<S>, input: ListInput) -> Result<Vec<StorageInfo>, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    let stored = service
        .item_storage(item_id(&input.library_item_id)?, None)
        .await?;
    Ok(stored.into_iter().map(storage_info).collect())
}

async fn storage_get<S>(ctx: Ctx<S>, input: StorageGetInput) -> Result<Vec<StorageInfo>, Problem>
where
    ContentLibrary: FromRef<S>,
{
    let service: ContentLibrary = ctx.get();
    let stored = service
        .item_storage(item_id(&input.library_item_id)?, Some(&input.file_name))
        .await?;
    Ok(stored.into_iter().map(storage_info).collect())
}
