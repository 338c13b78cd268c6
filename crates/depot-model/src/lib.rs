#![doc = include_str!("../README.md")]

pub mod catalog;
pub mod client_token;
pub mod clock;
pub mod declare;
pub mod depot;
pub mod digest;
pub mod download_session;
pub mod error_kind;
pub mod library;
pub mod library_item;
pub mod message;
pub mod offline_depot;
pub mod online_depot;
pub mod privilege;
pub mod secret;
pub mod session;
pub mod task;
pub mod update_session;
pub mod uploaded_file;
pub mod user;

pub use catalog::{CatalogChange, CatalogVersion};
pub use client_token::{ClientToken, InvalidClientToken};
pub use clock::{Clock, ManualClock, SystemClock};
pub use declare::InvalidId;
pub use depot::{DepotFile, StoredDepotSettings, SyncOutcome, SyncRecord};
pub use digest::{InvalidDigest, Sha256Digest};
pub use download_session::{
    DownloadFile, DownloadFileStatus, DownloadSession, DownloadSessionId, DownloadSessionState,
};
pub use error_kind::{DomainError, ErrorKind};
pub use library::{
    Library, LibraryAuth, LibraryId, LibraryKind, PublishSettings, StorageBacking,
    SubscriptionSettings,
};
pub use library_item::{ItemFile, ItemId, LibraryItem};
pub use message::Message;
pub use offline_depot::{OfflineDepot, OfflineDepotFile, OfflineDepotId, OfflineDepotSource};
pub use online_depot::{
    OnlineDepot, OnlineDepotContent, OnlineDepotId, OnlineDepotState, OnlinePayloadBlob,
};
pub use privilege::{Privilege, Role};
pub use secret::{SealedSecret, Secret};
pub use session::{Session, SessionKind, TokenHash};
pub use task::{
    Level, Progress, Stage, StageMessage, StageStatus, Task, TaskError, TaskId, TaskMessage,
    TaskStatus,
};
pub use update_session::{
    Checksum, ChecksumAlgorithm, FileTransfer, SessionFile, SourceType, StoredBlob,
    TransferEndpoint, TransferStatus, UpdateSession, UpdateSessionId, UpdateSessionState,
};
pub use uploaded_file::{FileId, UploadedFile};
pub use user::{User, UserName};

/// The clock type used throughout the domain: UTC instants.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// The current time, truncated to whole milliseconds: the precision every store and
/// wire format keeps, so a stored and re-read instant compares equal. For recording
/// when something happened; what is *decided* by time asks an injected [`Clock`].
pub fn now() -> Timestamp {
    let t = chrono::Utc::now();
    chrono::DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}
