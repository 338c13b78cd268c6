//! The crate's one error type, [`OnlineDepotError`].

use depot_model::{DomainError, ErrorKind};

/// Why an online-depot operation or sync failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OnlineDepotError {
    /// A bad request: a location that is not an http(s) URL of a depot, a bad id.
    #[error("{0}")]
    Invalid(String),
    /// An online depot with this location exists already.
    #[error("an online depot at {location} exists already")]
    AlreadyExists {
        /// The location.
        location: String,
    },
    /// No such depot.
    #[error("the online depot {id} does not exist")]
    NotFound {
        /// The id asked for.
        id: String,
    },
    /// A depot's metadata could not be read or is not valid (the previous content stays).
    #[error("the online depot {location}: {source}")]
    Metadata {
        /// The depot's location.
        location: String,
        /// What the reader said.
        source: depot_esx::EsxError,
    },
    /// A VIB payload could not be downloaded or verified.
    #[error("the online depot {location}: the VIB payload {path}: {source}")]
    Payload {
        /// The depot's location.
        location: String,
        /// The payload's path below the depot root.
        path: String,
        /// What the download engine said.
        source: depot_upstream::UpstreamError,
    },
    /// The client for a depot could not be set up (bad trust settings, proxy).
    #[error("the online depot {location} cannot be reached: {source}")]
    Client {
        /// The depot's location.
        location: String,
        /// What the client said.
        source: depot_upstream::UpstreamError,
    },
    /// The metadata store failed.
    #[error(transparent)]
    Store(#[from] depot_metadata::MetadataError),
    /// A sync's worker thread was lost.
    #[error("the online depot sync stopped unexpectedly: {0}")]
    Internal(String),
}

impl DomainError for OnlineDepotError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Invalid(_) => ErrorKind::Invalid,
            Self::AlreadyExists { .. } => ErrorKind::AlreadyExists,
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::Metadata { source, .. } => source.kind(),
            Self::Payload { source, .. } | Self::Client { source, .. } => source.kind(),
            Self::Store(e) => e.kind(),
            Self::Internal(_) => ErrorKind::Internal,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "INVALID_ARGUMENT",
            Self::AlreadyExists { .. } => "ALREADY_EXISTS",
            Self::NotFound { .. } => "NOT_FOUND",
            Self::Metadata { source, .. } => source.code(),
            Self::Payload { source, .. } | Self::Client { source, .. } => source.code(),
            Self::Store(e) if e.kind() == ErrorKind::Unavailable => "SERVICE_UNAVAILABLE",
            Self::Store(_) | Self::Internal(_) => "INTERNAL",
        }
    }
}
