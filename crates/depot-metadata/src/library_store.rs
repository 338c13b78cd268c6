//! The content-library store traits: libraries, their items and files, update sessions
//! (uploads) and download sessions. Each multi-row change is one transaction inside
//! the store method.
//!
//! Blob references: an item's cached files are held by owner `library-item:<id>`, a
//! session's stored uploads by `update-session:<id>`, a download session's prepared
//! files by `download-session:<id>`. The store keeps each owner's references equal to
//! the digests its rows name, in the same transaction as the change of those rows.

use async_trait::async_trait;
use depot_model::{
    ClientToken, DownloadFile, DownloadSession, DownloadSessionId, FileTransfer, ItemFile, ItemId,
    Library, LibraryId, LibraryItem, LibraryKind, SessionFile, Timestamp, TransferStatus,
    UpdateSession, UpdateSessionId,
};

use crate::Result;

/// What a create with an optional client token did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateOutcome<I> {
    /// The object was stored.
    Created,
    /// The same user created an object with the same client token before: nothing was
    /// stored, and this is that object's id.
    Existing(I),
}

/// Which libraries to find. `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LibraryFilter {
    /// Exactly this name.
    pub name: Option<String>,
    /// Only this kind.
    pub kind: Option<LibraryKind>,
}

/// Which items to find. `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemFilter {
    /// Exactly this name.
    pub name: Option<String>,
    /// Only in this library.
    pub library_id: Option<LibraryId>,
    /// Only with this publisher item id.
    pub source_id: Option<String>,
    /// Only of this type.
    pub item_type: Option<String>,
    /// Only cached (or only not cached) items.
    pub cached: Option<bool>,
}

/// Content libraries.
#[async_trait]
pub trait LibraryStore: Send + Sync {
    /// Stores a new library. `AlreadyExists` when the name is taken; `Existing` when
    /// `token` was used before by its user for a library that still exists.
    async fn insert_library(
        &self,
        library: &Library,
        token: Option<&ClientToken>,
    ) -> Result<CreateOutcome<LibraryId>>;

    /// The library with `id`.
    async fn get_library(&self, id: LibraryId) -> Result<Option<Library>>;

    /// Every library (of `kind`, if given), by name.
    async fn list_libraries(&self, kind: Option<LibraryKind>) -> Result<Vec<Library>>;

    /// The ids of the libraries matching `filter`, by name.
    async fn find_libraries(&self, filter: &LibraryFilter) -> Result<Vec<LibraryId>>;

    /// Writes name, description, storage, publish and subscription settings,
    /// `last_modified_time` and `last_sync_time` of `library`, only if the stored
    /// version still equals `library.version`, and bumps the version. Returns the new
    /// version, or `None` when the library changed (or is gone) meanwhile.
    /// `AlreadyExists` when the new name is taken. Kind and content version stay.
    async fn update_library(&self, library: &Library) -> Result<Option<i64>>;

    /// Deletes the library with its items, their files and sessions, and drops their
    /// blob references. While an update session of one of its items is active this is
    /// `OpenUpdateSessions`, unless `force`. False when there is no such library.
    async fn delete_library(&self, id: LibraryId, force: bool) -> Result<bool>;

    /// Records a complete sync of subscribed library `id`: the publisher's `lib.json`
    /// version and when. The library's version does not change (nothing a client set
    /// did). False when there is no such library.
    async fn record_library_sync(
        &self,
        id: LibraryId,
        source_version: Option<&str>,
        at: Timestamp,
    ) -> Result<bool>;
}

/// Library items and their files.
#[async_trait]
pub trait LibraryItemStore: Send + Sync {
    /// Stores a new item (with no files) and bumps its library's version and content
    /// version. `NotFound` when the library does not exist, `AlreadyExists` when the
    /// library has an item of that name; `Existing` for a client token used before.
    async fn insert_item(
        &self,
        item: &LibraryItem,
        token: Option<&ClientToken>,
    ) -> Result<CreateOutcome<ItemId>>;

    /// The item with `id`.
    async fn get_item(&self, id: ItemId) -> Result<Option<LibraryItem>>;

    /// The items of `library`, by name.
    async fn list_items(&self, library: LibraryId) -> Result<Vec<LibraryItem>>;

    /// The ids of the items of `library`, by name, in one statement that also says
    /// whether the library exists (`None`: it does not). For listings, which need
    /// nothing else of the items.
    async fn item_ids(&self, library: LibraryId) -> Result<Option<Vec<ItemId>>>;

    /// The ids of the items matching `filter`, by name then id.
    async fn find_items(&self, filter: &ItemFilter) -> Result<Vec<ItemId>>;

    /// Writes name, description, type and `last_modified_time` of `item`, only if the
    /// stored version still equals `item.version`; bumps the item's version and
    /// metadata version and its library's version. Returns the item's new version, or
    /// `None` when it changed (or is gone) meanwhile. `AlreadyExists` when the new name
    /// is taken in the library.
    async fn update_item(&self, item: &LibraryItem) -> Result<Option<i64>>;

    /// Deletes the item with its files and sessions, drops their blob references and
    /// bumps its library's version and content version. While an update session of
    /// the item is active this is `OpenUpdateSessions`, unless `force`. False when
    /// there is no such item.
    async fn delete_item(&self, id: ItemId, force: bool) -> Result<bool>;

    /// The files of `item`, by name.
    async fn item_files(&self, item: ItemId) -> Result<Vec<ItemFile>>;

    /// The file `name` of `item`.
    async fn item_file(&self, item: ItemId, name: &str) -> Result<Option<ItemFile>>;

    /// The files of every item of `library`, by item id and name, in one read (a
    /// VCSP `items.json` of thousands of items is one query, not one per item).
    async fn library_files(&self, library: LibraryId) -> Result<Vec<ItemFile>>;

    /// Writes an item of a subscribed library as a sync (or an eviction) left it, in
    /// one transaction: with `expected_version` `None` inserts it, else overwrites
    /// every column but its id, library and creation time, only while its stored
    /// version is `expected_version` (false, nothing written, when it is not or the
    /// item is gone). `files` replace the item's files; the item's blob references
    /// become exactly their digests; its library's version and content version bump.
    /// The caller sets the item's versions, size and `cached`. `NotFound` without the
    /// library, `AlreadyExists` when the name is taken in the library.
    async fn put_synced_item(
        &self,
        item: &LibraryItem,
        files: &[ItemFile],
        expected_version: Option<i64>,
    ) -> Result<bool>;
}

/// Update sessions: uploads into an item, committed together.
#[async_trait]
pub trait UpdateSessionStore: Send + Sync {
    /// Stores a new session. `NotFound` when the item does not exist; `ItemBusy` when
    /// the item has an active session (enforced by the database, so concurrent opens
    /// on several replicas cannot both win); `ContentVersionMismatch` when
    /// `expected_content_version` is set and differs from the item's; `Existing` for a
    /// client token used before.
    async fn insert_update_session(
        &self,
        session: &UpdateSession,
        token: Option<&ClientToken>,
    ) -> Result<CreateOutcome<UpdateSessionId>>;

    /// The session with `id`.
    async fn get_update_session(&self, id: UpdateSessionId) -> Result<Option<UpdateSession>>;

    /// Every session (of `item`, if given), oldest first.
    async fn list_update_sessions(&self, item: Option<ItemId>) -> Result<Vec<UpdateSession>>;

    /// Writes state, client progress, error message and expiration time of `session`,
    /// only if the stored version still equals `session.version`; bumps the version.
    /// Returns the new version, or `None` when it changed (or is gone) meanwhile. A
    /// session that leaves `Active` drops its blob references. `Done` is reached only
    /// through [`complete_update_session`](Self::complete_update_session)
    /// (`NotAllowed`); re-activating is `ItemBusy` when another session is active.
    async fn update_update_session(&self, session: &UpdateSession) -> Result<Option<i64>>;

    /// Extends an active session to `expiration_time` (and records `progress` when
    /// given); bumps the version. False when there is no such active session.
    async fn keep_alive_update_session(
        &self,
        id: UpdateSessionId,
        expiration_time: Timestamp,
        progress: Option<u8>,
    ) -> Result<bool>;

    /// Deletes a session that is not active, with its files and blob references.
    /// `NotAllowed` while it is active; false when there is no such session.
    async fn delete_update_session(&self, id: UpdateSessionId) -> Result<bool>;

    /// Adds a file to an active session. `NotFound` without such a session,
    /// `NotAllowed` when it is not active, `AlreadyExists` when the session has a file
    /// of that name or the upload token is taken.
    async fn add_session_file(&self, file: &SessionFile) -> Result<()>;

    /// The files of a session, by name.
    async fn session_files(&self, session: UpdateSessionId) -> Result<Vec<SessionFile>>;

    /// The file `name` of a session.
    async fn session_file(
        &self,
        session: UpdateSessionId,
        name: &str,
    ) -> Result<Option<SessionFile>>;

    /// The session file whose upload token is `token`.
    async fn session_file_by_upload_token(&self, token: &str) -> Result<Option<SessionFile>>;

    /// Writes the transfer state of file `name`, only while its session is active and
    /// (when `only_from` is not empty) its status is one of `only_from` — so that of
    /// two concurrent uploads of one file only one moves it to `Transferring`. The
    /// session's blob references follow the stored digests. False when nothing was
    /// written.
    async fn update_session_file(
        &self,
        session: UpdateSessionId,
        name: &str,
        only_from: &[TransferStatus],
        transfer: &FileTransfer,
    ) -> Result<bool>;

    /// Removes file `name` from an active session (its blob reference goes with it).
    /// False when there is no such file in an active session.
    async fn remove_session_file(&self, session: UpdateSessionId, name: &str) -> Result<bool>;

    /// In one transaction, only if the session is active and every file is `Ready`
    /// with stored content: its files replace the item's files of the same names
    /// (others stay); the item's content version, version, size, `cached` and
    /// `last_modified_time` (`now`) and its library's version and content version
    /// bump; the session's blob references move to the item; the session becomes
    /// `Done`. Returns the item as stored. `NotFound` without such a session,
    /// `NotAllowed` when it is not active, `FilesNotReady` naming the files that are
    /// not ready (then nothing changed).
    async fn complete_update_session(
        &self,
        id: UpdateSessionId,
        now: Timestamp,
    ) -> Result<LibraryItem>;

    /// Active sessions whose expiration time is before `now`, oldest first.
    async fn expired_update_sessions(&self, now: Timestamp) -> Result<Vec<UpdateSession>>;
}

/// Download sessions: reading an item's files through prepared, unguessable URLs.
#[async_trait]
pub trait DownloadSessionStore: Send + Sync {
    /// Stores a new session. `NotFound` when the item does not exist; `Existing` for a
    /// client token used before.
    async fn insert_download_session(
        &self,
        session: &DownloadSession,
        token: Option<&ClientToken>,
    ) -> Result<CreateOutcome<DownloadSessionId>>;

    /// The session with `id`.
    async fn get_download_session(&self, id: DownloadSessionId) -> Result<Option<DownloadSession>>;

    /// Every session (of `item`, if given), oldest first.
    async fn list_download_sessions(&self, item: Option<ItemId>) -> Result<Vec<DownloadSession>>;

    /// Writes state, client progress, error message and expiration time of `session`,
    /// only if the stored version still equals `session.version`; bumps the version.
    /// Returns the new version, or `None` when it changed (or is gone) meanwhile. A
    /// session that leaves `Active` drops its blob references.
    async fn update_download_session(&self, session: &DownloadSession) -> Result<Option<i64>>;

    /// Deletes the session, its files and blob references; false when there was none.
    async fn delete_download_session(&self, id: DownloadSessionId) -> Result<bool>;

    /// Prepares the item file `name` in an active session: records its size and digest
    /// as they are now, holds the blob and stores `token` as its download capability
    /// (replacing an earlier preparation of the same file). `NotFound` without such a
    /// session or item file, `NotAllowed` when the session is not active or the file is
    /// not cached, `AlreadyExists` when the token is taken.
    async fn prepare_download_file(
        &self,
        session: DownloadSessionId,
        name: &str,
        token: &str,
    ) -> Result<DownloadFile>;

    /// Records that the item file `file.name` of an active session is on its way
    /// (`PREPARING`, fetched from a publisher first) or could not be prepared (`ERROR`
    /// with `file.error_message`): status, size, error message and `file.download_token`
    /// (a fresh token: nothing is served through it, only `PREPARED` files are), without
    /// a digest or blob. Replaces an earlier record of the file (a prepared one lets go
    /// of its blob). `NotFound` without such a session, `NotAllowed` when it is not
    /// active, `AlreadyExists` when the token is taken.
    async fn mark_download_file(&self, file: &DownloadFile) -> Result<()>;

    /// The prepared files of a session, by name.
    async fn download_files(&self, session: DownloadSessionId) -> Result<Vec<DownloadFile>>;

    /// The download file whose token is `token`.
    async fn download_file_by_token(&self, token: &str) -> Result<Option<DownloadFile>>;

    /// Active sessions whose expiration time is before `now`, oldest first.
    async fn expired_download_sessions(&self, now: Timestamp) -> Result<Vec<DownloadSession>>;
}
