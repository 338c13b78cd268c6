//! [`UploadError`]: everything the upload service refuses or fails at.

use depot_blobs::BlobError;
use depot_metadata::MetadataError;
use depot_model::{DomainError, ErrorKind};

/// Why an upload was not kept. Codes are the vAPI standard error types they are shown
/// as.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// More bytes arrived (or were announced) than the configured maximum.
    #[error("the upload is larger than the maximum of {limit} bytes; nothing was stored")]
    TooLarge {
        /// The maximum, in bytes.
        limit: u64,
    },
    /// The body held no bytes.
    #[error("the upload is empty; nothing was stored")]
    Empty,
    /// The body ended early or could not be read.
    #[error("the upload was cut off ({detail}); nothing was stored, send the file again")]
    Interrupted {
        /// What the body's reader said.
        detail: String,
    },
    /// The metadata store failed or refused.
    #[error(transparent)]
    Store(#[from] MetadataError),
    /// The blob store failed.
    #[error("the upload could not be stored: {0}")]
    Blob(BlobError),
}

impl UploadError {
    /// The error of a failed blob put.
    pub(crate) fn from_blob(e: BlobError) -> Self {
        match e {
            BlobError::TooLarge { limit } => Self::TooLarge { limit },
            BlobError::Source { source } => Self::Interrupted {
                detail: source.to_string(),
            },
            other => Self::Blob(other),
        }
    }
}

impl DomainError for UploadError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::TooLarge { .. } | Self::Empty | Self::Interrupted { .. } => ErrorKind::Invalid,
            Self::Store(e) if e.kind() == ErrorKind::Unavailable => ErrorKind::Unavailable,
            Self::Blob(e) if matches!(e.kind(), depot_blobs::ErrorKind::Unavailable) => {
                ErrorKind::Unavailable
            }
            // Nothing the caller sent makes the stores fail here: the server's fault.
            Self::Store(_) | Self::Blob(_) => ErrorKind::Internal,
        }
    }

    fn code(&self) -> &'static str {
        match self.kind() {
            ErrorKind::Invalid => "INVALID_ARGUMENT",
            ErrorKind::Unavailable => "SERVICE_UNAVAILABLE",
            _ => "INTERNAL_SERVER_ERROR",
        }
    }

    fn message(&self) -> depot_model::Message {
        let text = match self {
            // The store's own words name paths and keys: logged, not shown.
            Self::Store(_) | Self::Blob(_) => {
                tracing::warn!(error = %self, "upload not stored: storage unavailable");
                "the storage is unavailable right now; nothing was stored, send the file again later".to_owned()
            }
            other => other.to_string(),
        };
        depot_model::Message::new(
            format!("com.vmware.depotd.{}", self.code().to_ascii_lowercase()),
            text,
        )
    }

    /// A failing store the caller may retry on (unavailable) is shown as such; any
    /// other store failure is the server's fault, its details logged.
    fn is_internal(&self) -> bool {
        self.kind() == ErrorKind::Internal
    }
}
