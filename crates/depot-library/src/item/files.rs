//! An item's files and where their content is stored.

use depot_model::{ItemFile, ItemId, Sha256Digest, StorageBacking};

use crate::{ContentLibrary, LibraryError};

/// Where one file of an item is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStorage {
    /// The file.
    pub file: ItemFile,
    /// The storage backing of the item's library.
    pub backing: StorageBacking,
    /// URIs naming its content: `depotd:blobs/sha256/<hex digest>` (stable: the
    /// content's digest names its blob), none while not cached.
    pub uris: Vec<String>,
}

/// The URI naming a blob of depotd's store.
pub fn blob_uri(digest: &Sha256Digest) -> String {
    format!("depotd:blobs/sha256/{digest}")
}

impl ContentLibrary {
    /// The files of item `id`, by name.
    pub async fn item_files(&self, id: ItemId) -> Result<Vec<ItemFile>, LibraryError> {
        self.item(id).await?;
        Ok(self.store().item_files(id).await?)
    }

    /// The file `name` of item `id`.
    pub async fn item_file(&self, id: ItemId, name: &str) -> Result<ItemFile, LibraryError> {
        self.item(id).await?;
        self.store()
            .item_file(id, name)
            .await?
            .ok_or_else(|| LibraryError::NotFound {
                what: "file",
                id: format!("{name} of library item {id}"),
            })
    }

    /// Where the files of item `id` (only `file_name`, if given) are stored.
    pub async fn item_storage(
        &self,
        id: ItemId,
        file_name: Option<&str>,
    ) -> Result<Vec<FileStorage>, LibraryError> {
        let item = self.item(id).await?;
        let backing = self.library(item.library_id).await?.storage;
        let files = match file_name {
            Some(name) => vec![self.item_file(id, name).await?],
            None => self.store().item_files(id).await?,
        };
        Ok(files
            .into_iter()
            .map(|file| FileStorage {
                uris: file.digest.iter().map(blob_uri).collect(),
                backing: backing.clone(),
                file,
            })
            .collect())
    }
}
