//! The one error type of this crate.

use depot_blobs::BlobError;
use depot_metadata::MetadataError;
use depot_model::{DomainError, ErrorKind, Message};
use depot_tasks::EngineError;

/// Why a catalog operation failed before or outside its task.
#[derive(Debug, thiserror::Error)]
pub enum CatalogServiceError {
    /// A server-local path is unusable; the message names the path.
    #[error("{path:?}: {reason}")]
    BadPath {
        /// The path as given.
        path: String,
        /// Why it is refused.
        reason: String,
    },
    /// A required request field is missing.
    #[error("{field} is required")]
    MissingField {
        /// Which field.
        field: &'static str,
    },
    /// No catalog has been accepted yet.
    #[error("no product version catalog has been uploaded yet")]
    NoCatalog,
    /// The task is not a catalog upload.
    #[error("no product version catalog upload task {0}")]
    NoSuchUpload(String),
    /// A bug (a worker thread panicked).
    #[error("internal error: {0}")]
    Internal(String),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The metadata store failed.
    #[error(transparent)]
    Store(#[from] MetadataError),
    /// The blob store failed.
    #[error(transparent)]
    Blob(#[from] BlobError),
}

impl CatalogServiceError {
    /// The failure category.
    pub fn kind(&self) -> ErrorKind {
        match self {
            CatalogServiceError::BadPath { .. } | CatalogServiceError::MissingField { .. } => {
                ErrorKind::Invalid
            }
            CatalogServiceError::NoCatalog | CatalogServiceError::NoSuchUpload(_) => {
                ErrorKind::NotFound
            }
            CatalogServiceError::Engine(e) => e.kind(),
            CatalogServiceError::Store(e) => e.kind(),
            CatalogServiceError::Blob(_) => ErrorKind::Unavailable,
            CatalogServiceError::Internal(_) => ErrorKind::Internal,
        }
    }

    /// A stable code for the error body.
    pub fn code(&self) -> &'static str {
        match self {
            CatalogServiceError::BadPath { .. } => "PRODUCT_VERSION_CATALOG_PATH_INVALID",
            CatalogServiceError::MissingField { .. } => "PRODUCT_VERSION_CATALOG_SPEC_INVALID",
            CatalogServiceError::NoCatalog => "PRODUCT_VERSION_CATALOG_NOT_FOUND",
            CatalogServiceError::NoSuchUpload(_) => "PRODUCT_VERSION_CATALOG_UPLOAD_TASK_NOT_FOUND",
            CatalogServiceError::Engine(_) => "TASK_ERROR",
            CatalogServiceError::Store(_)
            | CatalogServiceError::Blob(_)
            | CatalogServiceError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }
}

impl DomainError for CatalogServiceError {
    fn kind(&self) -> ErrorKind {
        CatalogServiceError::kind(self)
    }

    fn code(&self) -> &'static str {
        CatalogServiceError::code(self)
    }

    fn message(&self) -> Message {
        Message::new(
            format!("com.vmware.depotd.pvc.{}", self.code().to_ascii_lowercase()),
            self.to_string(),
        )
    }

    fn is_internal(&self) -> bool {
        matches!(
            self,
            CatalogServiceError::Store(_)
                | CatalogServiceError::Blob(_)
                | CatalogServiceError::Internal(_)
        )
    }

    fn carried(&self) -> Option<&dyn DomainError> {
        match self {
            CatalogServiceError::Engine(e) => Some(e),
            _ => None,
        }
    }
}
