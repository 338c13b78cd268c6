//! [`EsxDepotError`]: everything the offline depots service refuses or fails at.

use depot_blobs::BlobError;
use depot_esx::EsxError;
use depot_metadata::MetadataError;
use depot_model::{DomainError, ErrorKind, Message, OfflineDepotId};
use depot_uploads::UploadError;
use depot_upstream::UpstreamError;

/// Why an offline depot operation or import failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EsxDepotError {
    /// The request is wrong in a way known before any work starts.
    #[error("{0}")]
    Invalid(String),
    /// No offline depot has this id.
    #[error("offline depot {0} does not exist")]
    NotFound(String),
    /// The same depot content was imported before, as `depot`.
    #[error("the depot content already exists as offline depot {depot}")]
    AlreadyExists {
        /// The existing depot.
        depot: OfflineDepotId,
    },
    /// The depot's content is being served and `force` was not set.
    #[error("offline depot {depot} is in use: its files are being downloaded")]
    InUse {
        /// The depot.
        depot: OfflineDepotId,
    },
    /// The bundle is not a valid offline depot.
    #[error("the offline depot bundle is invalid: {0}")]
    Bundle(#[source] EsxError),
    /// The bundle could not be downloaded.
    #[error("the offline depot bundle could not be downloaded: {0}")]
    Download(#[source] UpstreamError),
    /// The bundle file under the import directory could not be read.
    #[error("the offline depot bundle could not be read: {0}")]
    Read(#[source] std::io::Error),
    /// The uploaded-files service failed.
    #[error(transparent)]
    Upload(#[from] UploadError),
    /// The metadata store failed.
    #[error(transparent)]
    Store(#[from] MetadataError),
    /// The blob store failed.
    #[error("blob store: {0}")]
    Blob(#[from] BlobError),
    /// Something of the server's own failed (a lost thread, a secret that will not
    /// open).
    #[error("{0}")]
    Internal(String),
}

impl From<EsxError> for EsxDepotError {
    fn from(e: EsxError) -> Self {
        Self::Bundle(e)
    }
}

impl DomainError for EsxDepotError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound(_) => ErrorKind::NotFound,
            Self::AlreadyExists { .. } => ErrorKind::AlreadyExists,
            Self::InUse { .. } => ErrorKind::NotAllowedInCurrentState,
            Self::Bundle(e) => e.kind(),
            // A depot that cannot be reached is the input's problem, unless it is only
            // for now.
            Self::Download(e) if e.kind() == ErrorKind::Unavailable => ErrorKind::Unavailable,
            Self::Invalid(_) | Self::Read(_) | Self::Download(_) => ErrorKind::Invalid,
            Self::Upload(e) => e.kind(),
            Self::Store(e) if e.kind() == ErrorKind::Unavailable => ErrorKind::Unavailable,
            Self::Blob(e) if matches!(e.kind(), depot_blobs::ErrorKind::Unavailable) => {
                ErrorKind::Unavailable
            }
            Self::Store(_) | Self::Blob(_) | Self::Internal(_) => ErrorKind::Internal,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::InUse { .. } => "RESOURCE_IN_USE",
            Self::AlreadyExists { .. } => "ALREADY_EXISTS",
            Self::Download(e) if self.kind() == ErrorKind::Invalid => e.code(),
            _ => match self.kind() {
                ErrorKind::Invalid => "INVALID_ARGUMENT",
                ErrorKind::NotFound => "NOT_FOUND",
                ErrorKind::Unavailable => "SERVICE_UNAVAILABLE",
                _ => "INTERNAL_SERVER_ERROR",
            },
        }
    }

    fn message(&self) -> Message {
        let id = match self {
            Self::AlreadyExists { .. } => {
                return Message::new(
                    "com.vmware.vcIntegrity.lifecycle.depots.offline.AlreadyExists",
                    "The depot content already exists.",
                );
            }
            Self::Bundle(_) => "com.vmware.vcIntegrity.lifecycle.depots.InvalidZip",
            Self::InUse { .. } => "com.vmware.vcIntegrity.lifecycle.depots.offline.InUse",
            Self::NotFound(_) => "com.vmware.vcIntegrity.lifecycle.depots.offline.NotFound",
            Self::Download(_) => "com.vmware.vcIntegrity.lifecycle.depots.DownloadFailed",
            _ => "com.vmware.vcIntegrity.lifecycle.depots.offline.InvalidArgument",
        };
        Message::new(id, self.to_string())
    }

    fn data(&self) -> Option<serde_json::Value> {
        match self {
            Self::AlreadyExists { depot } => Some(serde_json::json!({"depot": depot.to_string()})),
            _ => None,
        }
    }

    fn is_internal(&self) -> bool {
        self.kind() == ErrorKind::Internal
    }

    fn carried(&self) -> Option<&dyn DomainError> {
        match self {
            Self::Upload(e) => Some(e),
            _ => None,
        }
    }
}
