//! Download sessions: how content leaves a library item. A file is prepared (given an
//! unguessable download token), then fetched from its download endpoint.

use crate::declare::{named_enum, uuid_id};
use crate::{ItemId, Message, Sha256Digest, Timestamp};

uuid_id!(
    /// A download session id: a UUID, shown hyphenated and lower-case.
    DownloadSessionId,
    "download session"
);

named_enum!(
    /// Where a download session is in its life.
    DownloadSessionState {
        /// Files may be prepared and downloaded.
        Active => "ACTIVE",
        /// Canceled by the client.
        Canceled => "CANCELED",
        /// Failed.
        Error => "ERROR",
    }
);

/// A download session of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadSession {
    /// Unique id.
    pub id: DownloadSessionId,
    /// The item it downloads from.
    pub item_id: ItemId,
    /// The item's content version when the session was opened.
    pub content_version: i64,
    /// Where it is.
    pub state: DownloadSessionState,
    /// What the client last reported, 0–100.
    pub client_progress: u8,
    /// Why it failed.
    pub error_message: Option<Message>,
    /// When it expires unless kept alive.
    pub expiration_time: Timestamp,
    /// When it was opened.
    pub creation_time: Timestamp,
    /// Who opened it.
    pub owner: String,
    /// Compare-and-set key: bumps on every stored change.
    pub version: i64,
}

impl DownloadSession {
    /// A new active session of `item_id` at its `content_version`, opened by `owner`.
    pub fn new(
        item_id: ItemId,
        content_version: i64,
        owner: impl Into<String>,
        now: Timestamp,
        expiration_time: Timestamp,
    ) -> Self {
        Self {
            id: DownloadSessionId::new(),
            item_id,
            content_version,
            state: DownloadSessionState::Active,
            client_progress: 0,
            error_message: None,
            expiration_time,
            creation_time: now,
            owner: owner.into(),
            version: 1,
        }
    }
}

named_enum!(
    /// Where a download session's file is.
    DownloadFileStatus {
        /// Not asked for yet.
        Unprepared => "UNPREPARED",
        /// Asked for; preparation not started.
        PrepareRequested => "PREPARE_REQUESTED",
        /// Being prepared (e.g. fetched from a publisher).
        Preparing => "PREPARING",
        /// Ready at its download endpoint.
        Prepared => "PREPARED",
        /// Preparation failed.
        Error => "ERROR",
    }
);

/// A file of a download session, once asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadFile {
    /// The session.
    pub session_id: DownloadSessionId,
    /// The item file's name.
    pub name: String,
    /// Where it is.
    pub status: DownloadFileStatus,
    /// Its size in bytes.
    pub size: u64,
    /// The content it serves, fixed when prepared (later changes of the item do not
    /// change what a prepared file serves).
    pub digest: Option<Sha256Digest>,
    /// The capability in the download URL: unguessable, unique among all download files.
    pub download_token: String,
    /// Why preparing failed.
    pub error_message: Option<Message>,
}
