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
            MetadataError::Conflict { .. } => ErrorKind::Conflict,
        }
    }
}
