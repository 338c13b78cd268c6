//! Library items: create, read, change, delete, copy and publish; their files and
//! where their content is stored.

mod copy;
mod files;

use depot_metadata::{CreateOutcome, ItemFilter};
use depot_model::{ItemId, LibraryId, LibraryItem, LibraryKind};

pub use copy::CopySpec;
pub use files::{FileStorage, blob_uri};

use crate::library::{check_name, token};
use crate::{ContentLibrary, LibraryError};

/// A new item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewItem {
    /// The library to hold it (required).
    pub library_id: Option<LibraryId>,
    /// Unique in the library; 1 to 255 characters (required).
    pub name: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// `ovf`, `iso` or any other type string.
    pub item_type: Option<String>,
}

/// A change of an item's metadata: unset fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemChange {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New type.
    pub item_type: Option<String>,
    /// The version the client read: a stale one is `ConcurrentChange`.
    pub version: Option<String>,
}

impl ContentLibrary {
    /// The item with `id`.
    pub async fn item(&self, id: ItemId) -> Result<LibraryItem, LibraryError> {
        self.store()
            .get_item(id)
            .await?
            .ok_or_else(|| LibraryError::NotFound {
                what: "library item",
                id: id.to_string(),
            })
    }

    /// The item with `id`, in a local library (`InvalidElementType` otherwise).
    async fn local_item(&self, id: ItemId) -> Result<LibraryItem, LibraryError> {
        let item = self.item(id).await?;
        let library = self.library(item.library_id).await?;
        if library.kind != LibraryKind::Local {
            return Err(LibraryError::InvalidElementType(format!(
                "library item {id} belongs to a subscribed library"
            )));
        }
        Ok(item)
    }

    /// The ids of the items of library `id`, by name.
    pub async fn item_ids(&self, library: LibraryId) -> Result<Vec<ItemId>, LibraryError> {
        self.store()
            .item_ids(library)
            .await?
            .ok_or_else(|| LibraryError::NotFound {
                what: "library",
                id: library.to_string(),
            })
    }

    /// The ids of the items matching `filter`.
    pub async fn find_items(&self, filter: &ItemFilter) -> Result<Vec<ItemId>, LibraryError> {
        Ok(self.store().find_items(filter).await?)
    }

    /// Creates an item in a local library for `user`; with a client token used before
    /// by that user, returns the item created then.
    pub async fn create_item(
        &self,
        user: &str,
        spec: NewItem,
        client_token: Option<&str>,
    ) -> Result<ItemId, LibraryError> {
        let library_id = spec.library_id.ok_or_else(|| {
            LibraryError::Invalid("library_id is needed to create an item".to_owned())
        })?;
        let name = spec.name.unwrap_or_default();
        check_name("library item", &name)?;
        let token = token(user, client_token)?;
        self.library_of(library_id, Some(LibraryKind::Local))
            .await?;
        let mut item = LibraryItem::new(library_id, name, self.now());
        item.description = spec.description;
        item.item_type = spec.item_type;
        match self.store().insert_item(&item, token.as_ref()).await? {
            CreateOutcome::Created => Ok(item.id),
            CreateOutcome::Existing(id) => Ok(id),
        }
    }

    /// Applies `change` to item `id`; bumps its version and metadata version.
    pub async fn update_item(&self, id: ItemId, change: ItemChange) -> Result<(), LibraryError> {
        let mut item = self.local_item(id).await?;
        if let Some(version) = &change.version
            && version.parse::<i64>().ok() != Some(item.version)
        {
            return Err(stale(id));
        }
        if let Some(name) = change.name {
            check_name("library item", &name)?;
            item.name = name;
        }
        if let Some(description) = change.description {
            item.description = Some(description);
        }
        if let Some(item_type) = change.item_type {
            item.item_type = Some(item_type);
        }
        item.last_modified_time = self.now();
        match self.store().update_item(&item).await? {
            Some(_) => Ok(()),
            None => Err(stale(id)),
        }
    }

    /// Deletes item `id` of a local library; refused while an update session of it is
    /// open.
    pub async fn delete_item(&self, id: ItemId) -> Result<(), LibraryError> {
        self.local_item(id).await?;
        if self.store().delete_item(id, false).await? {
            Ok(())
        } else {
            Err(LibraryError::NotFound {
                what: "library item",
                id: id.to_string(),
            })
        }
    }

    /// Publishes item `id` of a published local library to `subscriptions`. depotd
    /// has no subscriptions of its libraries yet, so any subscription named is
    /// `NotFound`; subscribers see the item through VCSP on their next sync whatever
    /// `force_sync_content` says.
    pub async fn publish_item(
        &self,
        id: ItemId,
        subscriptions: &[String],
    ) -> Result<(), LibraryError> {
        let item = self.local_item(id).await?;
        self.publish_library(item.library_id, subscriptions).await
    }
}

fn stale(id: ItemId) -> LibraryError {
    LibraryError::ConcurrentChange(format!(
        "library item {id} changed meanwhile: read it again and retry"
    ))
}
