#![doc = include_str!("../README.md")]

pub mod catalog;
pub mod clock;
pub mod depot;
pub mod digest;
pub mod error_kind;
pub mod message;
pub mod privilege;
pub mod secret;
pub mod session;
pub mod task;
pub mod user;

pub use catalog::{CatalogChange, CatalogVersion};
pub use clock::{Clock, ManualClock, SystemClock};
pub use depot::{DepotFile, StoredDepotSettings, SyncOutcome, SyncRecord};
pub use digest::{InvalidDigest, Sha256Digest};
pub use error_kind::{DomainError, ErrorKind};
pub use message::Message;
pub use privilege::{Privilege, Role};
pub use secret::Secret;
pub use session::{Session, SessionKind, TokenHash};
pub use task::{
    Level, Progress, Stage, StageMessage, StageStatus, Task, TaskError, TaskId, TaskMessage,
    TaskStatus,
};
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
