//! The one error type of this crate.

use depot_model::ErrorKind;

/// Result of a store operation.
pub type Result<T, E = MetadataError> = std::result::Result<T, E>;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    /// The database URL names no supported backend.
    #[error("unsupported database URL scheme {scheme:?}: use sqlite:PATH or postgres://…")]
    UnsupportedUrl {
        /// The scheme that was given.
        scheme: String,
    },
    /// The database could not be reached or opened.
    #[error("cannot open the database: {source}")]
    Connect {
        /// The backend's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A migration failed.
    #[error("database migration failed: {source}")]
    Migrate {
        /// The backend's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A query failed.
    #[error("database operation {op} failed: {source}")]
    Query {
        /// Which store method.
        op: &'static str,
        /// The backend's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A unique key is taken.
    #[error("{what} already exists")]
    AlreadyExists {
        /// What was being created.
        what: String,
    },
    /// A change conflicts with the stored state (e.g. a concurrency key held by another task).
    #[error("{what}")]
    Conflict {
        /// What conflicted.
        what: String,
    },
    /// A change names a record that does not exist (e.g. an item's library).
    #[error("{what} does not exist")]
    NotFound {
        /// What is missing.
        what: String,
    },
    /// The change does not fit the stored state (e.g. adding a file to a session that
    /// is no longer active).
    #[error("{what}")]
    NotAllowed {
        /// Why not.
        what: String,
    },
    /// An item already has an active update session (vSphere `ResourceBusy`).
    #[error("library item {item} already has an active update session")]
    ItemBusy {
        /// The item.
        item: String,
    },
    /// An update session expected another content version of its item (vSphere
    /// `ConcurrentChange`).
    #[error("library item {item} is at content version {actual}, not {expected}")]
    ContentVersionMismatch {
        /// The item.
        item: String,
        /// The version the caller expected.
        expected: i64,
        /// The stored version.
        actual: i64,
    },
    /// What is to be deleted has active update sessions; a forced delete cancels them.
    #[error("{what} has {count} active update session(s); force the delete to cancel them")]
    OpenUpdateSessions {
        /// The library or item.
        what: String,
        /// How many sessions are active.
        count: u64,
    },
    /// An update session cannot complete: these files are not ready.
    #[error("update session {session} cannot complete: files not ready: {}", files.join(", "))]
    FilesNotReady {
        /// The session.
        session: String,
        /// The names of the files that are not `Ready`.
        files: Vec<String>,
    },
    /// A stored row does not decode into a domain value.
    #[error("stored {what} is corrupt: {detail}")]
    Corrupt {
        /// Which record.
        what: &'static str,
        /// What is wrong with it.
        detail: String,
    },
}

impl MetadataError {
    /// The failure category.
    pub fn kind(&self) -> ErrorKind {
        match self {
            MetadataError::UnsupportedUrl { .. } => ErrorKind::Invalid,
            MetadataError::Connect { .. } | MetadataError::Query { .. } => ErrorKind::Unavailable,
            MetadataError::Migrate { .. } | MetadataError::Corrupt { .. } => ErrorKind::Internal,
            MetadataError::AlreadyExists { .. } => ErrorKind::AlreadyExists,
            MetadataError::Conflict { .. }
            | MetadataError::ItemBusy { .. }
            | MetadataError::ContentVersionMismatch { .. } => ErrorKind::Conflict,
            MetadataError::NotFound { .. } => ErrorKind::NotFound,
            MetadataError::NotAllowed { .. }
            | MetadataError::OpenUpdateSessions { .. }
            | MetadataError::FilesNotReady { .. } => ErrorKind::NotAllowedInCurrentState,
        }
    }
}
