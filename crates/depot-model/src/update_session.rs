//! Update sessions: how content gets into a library item. Files are added to a
//! session, transferred (pushed by the client or pulled by depotd) and committed to the
//! item together when the session completes.

use crate::declare::{named_enum, uuid_id};
use crate::{ItemId, Message, Sha256Digest, Timestamp};

uuid_id!(
    /// An update session id: a UUID, shown hyphenated and lower-case.
    UpdateSessionId,
    "update session"
);

named_enum!(
    /// Where an update session is in its life.
    UpdateSessionState {
        /// Files may be added and transferred. At most one per item.
        Active => "ACTIVE",
        /// Completed: its files are the item's.
        Done => "DONE",
        /// Failed; nothing was committed.
        Error => "ERROR",
        /// Canceled; nothing was committed.
        Canceled => "CANCELED",
    }
);

/// An update session of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateSession {
    /// Unique id.
    pub id: UpdateSessionId,
    /// The item it updates.
    pub item_id: ItemId,
    /// The item content version the client expected when it opened the session.
    pub expected_content_version: Option<i64>,
    /// Where it is.
    pub state: UpdateSessionState,
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

impl UpdateSession {
    /// A new active session of `item_id` opened by `owner`, expiring at `expiration_time`.
    pub fn new(
        item_id: ItemId,
        owner: impl Into<String>,
        now: Timestamp,
        expiration_time: Timestamp,
    ) -> Self {
        Self {
            id: UpdateSessionId::new(),
            item_id,
            expected_content_version: None,
            state: UpdateSessionState::Active,
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
    /// How a session file's content arrives.
    SourceType {
        /// No transfer.
        None => "NONE",
        /// The client sends it to the upload endpoint.
        Push => "PUSH",
        /// depotd fetches it from the pull endpoint.
        Pull => "PULL",
    }
);

named_enum!(
    /// Where a session file's transfer is.
    TransferStatus {
        /// Nothing received yet.
        WaitingForTransfer => "WAITING_FOR_TRANSFER",
        /// Bytes are arriving.
        Transferring => "TRANSFERRING",
        /// Received and checked; its content is stored.
        Ready => "READY",
        /// Being checked.
        Validating => "VALIDATING",
        /// The transfer or its check failed.
        Error => "ERROR",
    }
);

named_enum!(
    /// The algorithm of a declared checksum.
    ChecksumAlgorithm {
        /// MD5.
        Md5 => "MD5",
        /// SHA-1.
        Sha1 => "SHA1",
        /// SHA-256.
        Sha256 => "SHA256",
        /// SHA-512.
        Sha512 => "SHA512",
    }
);

/// A checksum the client declared for a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    /// Which algorithm.
    pub algorithm: ChecksumAlgorithm,
    /// Its value as the client sent it (hex).
    pub value: String,
}

/// Where depotd pulls a file from, as the client gave it (kept opaque).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferEndpoint {
    /// The URI.
    pub uri: String,
    /// The expected certificate thumbprint.
    pub ssl_thumbprint: Option<String>,
    /// The expected certificate, PEM.
    pub ssl_certificate: Option<String>,
}

/// A stored blob: its digest and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredBlob {
    /// SHA-256 of the content.
    pub digest: Sha256Digest,
    /// Size in bytes.
    pub size: u64,
}

/// A file of an update session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFile {
    /// The session.
    pub session_id: UpdateSessionId,
    /// Unique within the session; replaces the item's file of that name on complete.
    pub name: String,
    /// How its content arrives.
    pub source_type: SourceType,
    /// The size the client declared.
    pub declared_size: Option<u64>,
    /// The checksum the client declared.
    pub declared_checksum: Option<Checksum>,
    /// Where to pull from (`Pull` only).
    pub pull_endpoint: Option<TransferEndpoint>,
    /// The capability in the upload URL: unguessable, unique among all session files.
    pub upload_token: String,
    /// Its transfer state.
    pub transfer: FileTransfer,
}

/// The changing part of a session file: where its transfer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileTransfer {
    /// Where the transfer is.
    pub status: TransferStatus,
    /// Bytes received so far.
    pub bytes_transferred: u64,
    /// The stored content, once received (and checked).
    pub stored: Option<StoredBlob>,
    /// Why it failed.
    pub error_message: Option<Message>,
}

impl FileTransfer {
    /// Nothing received yet.
    pub fn waiting() -> Self {
        Self {
            status: TransferStatus::WaitingForTransfer,
            bytes_transferred: 0,
            stored: None,
            error_message: None,
        }
    }

    /// Received and stored as `blob`.
    pub fn ready(blob: StoredBlob) -> Self {
        Self {
            status: TransferStatus::Ready,
            bytes_transferred: blob.size,
            stored: Some(blob),
            error_message: None,
        }
    }
}
