//! Library items and their files. One model for local items (uploaded here) and
//! subscribed ones (mirrored from a publisher, possibly not yet cached).

use crate::declare::uuid_id;
use crate::{LibraryId, Sha256Digest, Timestamp};

uuid_id!(
    /// A library item id: a UUID, shown hyphenated and lower-case.
    ItemId,
    "library item"
);

/// An item of a content library: a named set of files (an OVF template, an ISO, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryItem {
    /// Unique id.
    pub id: ItemId,
    /// The library holding it.
    pub library_id: LibraryId,
    /// Unique within its library.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Free type string: `ovf`, `iso`, or anything else the client uses.
    pub item_type: Option<String>,
    /// Bumps on every change (compare-and-set key, VCSP item `version`).
    pub version: i64,
    /// Bumps when the files change.
    pub content_version: i64,
    /// Bumps when name, description or type change.
    pub metadata_version: i64,
    /// When it was created.
    pub creation_time: Timestamp,
    /// When it last changed.
    pub last_modified_time: Timestamp,
    /// When a subscribed item last synced.
    pub last_sync_time: Option<Timestamp>,
    /// The publisher's item id, for a subscribed item.
    pub source_id: Option<String>,
    /// The publisher's item `version` when a subscribed item last synced.
    pub source_version: Option<String>,
    /// Where the publisher's `item.json` of a subscribed item is, relative to the
    /// publisher library's root (its `selfHref`).
    pub source_href: Option<String>,
    /// The sum of its files' sizes, in bytes.
    pub size: u64,
    /// Whether every file's content is held here.
    pub cached: bool,
}

impl LibraryItem {
    /// A new empty item (no files, so cached) at version 1.
    pub fn new(library_id: LibraryId, name: impl Into<String>, now: Timestamp) -> Self {
        Self {
            id: ItemId::new(),
            library_id,
            name: name.into(),
            description: None,
            item_type: None,
            version: 1,
            content_version: 1,
            metadata_version: 1,
            creation_time: now,
            last_modified_time: now,
            last_sync_time: None,
            source_id: None,
            source_version: None,
            source_href: None,
            size: 0,
            cached: true,
        }
    }
}

/// One file of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFile {
    /// The item.
    pub item_id: ItemId,
    /// Unique within the item.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, naming its blob; `None` while not cached (an on-demand
    /// subscribed item's file before its content is synced).
    pub digest: Option<Sha256Digest>,
    /// The item's content version when this file last changed.
    pub version: i64,
    /// Where a subscribed file comes from: the publisher's `href` for it.
    pub source_href: Option<String>,
    /// The publisher's `etag` of it, to notice a change.
    pub source_etag: Option<String>,
    /// Whether the publisher marks it optional: synced only when asked for, and an
    /// item is `cached` without it.
    pub optional: bool,
}

impl ItemFile {
    /// Whether its content is held here.
    pub fn cached(&self) -> bool {
        self.digest.is_some()
    }
}
