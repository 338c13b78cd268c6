//! The stored forms of libraries, library items and item files.

use depot_model::{ItemFile, Library, LibraryItem, LibraryKind};

use super::column::{Decoder, json_text, json_text_opt, size_value};
use super::{SqlValue, to_millis};
use crate::Result;

/// The columns of `libraries`, in the order of [`LibraryRecord`].
pub(crate) const LIBRARY_COLUMNS: &str = "id, name, description, kind, storage, publish, \
     subscription, version, content_version, creation_time, last_modified_time, last_sync_time, source_version";

/// The columns of `library_items`, in the order of [`ItemRecord`].
pub(crate) const ITEM_COLUMNS: &str = "id, library_id, name, description, item_type, version, \
     content_version, metadata_version, creation_time, last_modified_time, last_sync_time, \
     source_id, size, cached, source_version, source_href";

/// The columns of `item_files`, in the order of [`ItemFileRecord`].
pub(crate) const ITEM_FILE_COLUMNS: &str =
    "item_id, name, size, digest, version, source_href, source_etag, optional";

/// A `libraries` row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct LibraryRecord {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub kind: String,
    pub storage: String,
    pub publish: Option<String>,
    pub subscription: Option<String>,
    pub version: i64,
    pub content_version: i64,
    pub creation_time: i64,
    pub last_modified_time: i64,
    pub last_sync_time: Option<i64>,
    pub source_version: Option<String>,
}

impl LibraryRecord {
    /// The column values of `l`, in [`LIBRARY_COLUMNS`] order.
    pub(crate) fn values(l: &Library, op: &'static str) -> Result<Vec<SqlValue>> {
        Ok(vec![
            l.id.to_string().into(),
            l.name.clone().into(),
            l.description.clone().into(),
            l.kind.as_str().into(),
            json_text(&l.storage, op)?.into(),
            json_text_opt(l.publish.as_ref(), op)?.into(),
            json_text_opt(l.subscription.as_ref(), op)?.into(),
            l.version.into(),
            l.content_version.into(),
            to_millis(l.creation_time).into(),
            to_millis(l.last_modified_time).into(),
            l.last_sync_time.map(to_millis).into(),
            l.source_version.clone().into(),
        ])
    }

    /// The domain library; `Corrupt` when a column does not decode.
    pub(crate) fn into_library(self) -> Result<Library> {
        let d = Decoder::new("library", &self.id);
        Ok(Library {
            id: d.parse("id", &self.id)?,
            kind: d.named("kind", &self.kind, LibraryKind::parse)?,
            storage: d.json("storage", &self.storage)?,
            publish: d.json_opt("publish", self.publish.as_deref())?,
            subscription: d.json_opt("subscription", self.subscription.as_deref())?,
            version: self.version,
            content_version: self.content_version,
            creation_time: d.time("creation_time", self.creation_time)?,
            last_modified_time: d.time("last_modified_time", self.last_modified_time)?,
            last_sync_time: d.time_opt("last_sync_time", self.last_sync_time)?,
            name: self.name,
            description: self.description,
            source_version: self.source_version,
        })
    }
}

/// A `library_items` row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct ItemRecord {
    pub id: String,
    pub library_id: String,
    pub name: String,
    pub description: Option<String>,
    pub item_type: Option<String>,
    pub version: i64,
    pub content_version: i64,
    pub metadata_version: i64,
    pub creation_time: i64,
    pub last_modified_time: i64,
    pub last_sync_time: Option<i64>,
    pub source_id: Option<String>,
    pub size: i64,
    pub cached: bool,
    pub source_version: Option<String>,
    pub source_href: Option<String>,
}

impl ItemRecord {
    /// The column values of `i`, in [`ITEM_COLUMNS`] order.
    pub(crate) fn values(i: &LibraryItem) -> Vec<SqlValue> {
        vec![
            i.id.to_string().into(),
            i.library_id.to_string().into(),
            i.name.clone().into(),
            i.description.clone().into(),
            i.item_type.clone().into(),
            i.version.into(),
            i.content_version.into(),
            i.metadata_version.into(),
            to_millis(i.creation_time).into(),
            to_millis(i.last_modified_time).into(),
            i.last_sync_time.map(to_millis).into(),
            i.source_id.clone().into(),
            size_value(i.size).into(),
            i.cached.into(),
            i.source_version.clone().into(),
            i.source_href.clone().into(),
        ]
    }

    /// The domain item; `Corrupt` when a column does not decode.
    pub(crate) fn into_item(self) -> Result<LibraryItem> {
        let d = Decoder::new("library item", &self.id);
        Ok(LibraryItem {
            id: d.parse("id", &self.id)?,
            library_id: d.parse("library_id", &self.library_id)?,
            version: self.version,
            content_version: self.content_version,
            metadata_version: self.metadata_version,
            creation_time: d.time("creation_time", self.creation_time)?,
            last_modified_time: d.time("last_modified_time", self.last_modified_time)?,
            last_sync_time: d.time_opt("last_sync_time", self.last_sync_time)?,
            size: d.size("size", self.size)?,
            cached: self.cached,
            name: self.name,
            description: self.description,
            item_type: self.item_type,
            source_id: self.source_id,
            source_version: self.source_version,
            source_href: self.source_href,
        })
    }
}

/// An `item_files` row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct ItemFileRecord {
    pub item_id: String,
    pub name: String,
    pub size: i64,
    pub digest: Option<String>,
    pub version: i64,
    pub source_href: Option<String>,
    pub source_etag: Option<String>,
    pub optional: bool,
}

impl ItemFileRecord {
    /// The domain file; `Corrupt` when a column does not decode.
    pub(crate) fn into_file(self) -> Result<ItemFile> {
        let d = Decoder::new("item file", format_args!("{}/{}", self.item_id, self.name));
        Ok(ItemFile {
            item_id: d.parse("item_id", &self.item_id)?,
            size: d.size("size", self.size)?,
            digest: d.digest_opt("digest", self.digest.as_deref())?,
            version: self.version,
            name: self.name,
            source_href: self.source_href,
            source_etag: self.source_etag,
            optional: self.optional,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_the_columns() {
        let lib = Library::new("l", LibraryKind::Local, depot_model::now());
        let columns = |c: &str| c.split(',').count();
        assert_eq!(
            LibraryRecord::values(&lib, "t").unwrap().len(),
            columns(LIBRARY_COLUMNS)
        );
        let item = LibraryItem::new(lib.id, "i", depot_model::now());
        assert_eq!(ItemRecord::values(&item).len(), columns(ITEM_COLUMNS));
    }
}
