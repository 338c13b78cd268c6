//! The one error type of this crate, for operations outside the sync task (settings,
//! triggers, reads). Failures inside the task become [`depot_tasks::JobError`]s.

use depot_blobs::BlobError;
use depot_metadata::MetadataError;
use depot_model::{DomainError, ErrorKind, Message};
use depot_tasks::EngineError;
use depot_upstream::UpstreamError;

/// Why a depot operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The depot settings in a request are not usable; the message says which field.
    #[error("{field}: {reason}")]
    InvalidSettings {
        /// The JSON path of the field, e.g. `depotConfiguration.url`.
        field: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The upstream client refused the settings (bad URL, certificate, proxy…).
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// No depot is configured.
    #[error(
        "no depot is configured: set one with PUT /v1/system/settings/depot or in the [depot] section of the configuration"
    )]
    NotConfigured,
    /// The `depotType` of a delete is not known.
    #[error("depotType {0:?} is not VMWARE or OFFLINE")]
    UnknownDepotType(String),
    /// Sealing a secret failed.
    #[error("a secret could not be sealed")]
    Sealing,
    /// A stored secret could not be opened (another data dir's key, or corruption).
    #[error(
        "the stored depot {field} cannot be decrypted with this data dir's key: set the depot settings again"
    )]
    Unsealing {
        /// The settings field.
        field: String,
    },
    /// The stored settings document does not decode.
    #[error("the stored depot settings are corrupt: {0}")]
    CorruptSettings(String),
    /// No metadata has been synced yet.
    #[error("no depot metadata has been synced yet: run a depot metadata sync first")]
    NotSynced,
    /// A synced file is unusable.
    #[error("the synced {what} is unusable: {detail}")]
    CorruptMetadata {
        /// Which file.
        what: &'static str,
        /// Why.
        detail: String,
    },
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

impl SyncError {
    /// The failure category.
    pub fn kind(&self) -> ErrorKind {
        match self {
            SyncError::InvalidSettings { .. } | SyncError::UnknownDepotType(_) => {
                ErrorKind::Invalid
            }
            SyncError::Upstream(e) => e.kind(),
            SyncError::NotConfigured => ErrorKind::NotAllowedInCurrentState,
            SyncError::NotSynced => ErrorKind::NotFound,
            SyncError::Engine(e) => e.kind(),
            SyncError::Store(e) => e.kind(),
            SyncError::Blob(_) => ErrorKind::Unavailable,
            SyncError::Sealing
            | SyncError::Unsealing { .. }
            | SyncError::CorruptSettings(_)
            | SyncError::CorruptMetadata { .. } => ErrorKind::Internal,
        }
    }

    /// Whether this is the server's fault (its details are logged, not shown).
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            SyncError::Store(_) | SyncError::Blob(_) | SyncError::Sealing
        )
    }

    /// The error as a localizable message (id from the code, text from `Display`).
    pub fn message(&self) -> Message {
        Message::new(
            format!(
                "com.vmware.depotd.depot.{}",
                self.code().to_ascii_lowercase()
            ),
            self.to_string(),
        )
    }

    /// A stable code for error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::InvalidSettings { .. } | SyncError::UnknownDepotType(_) => {
                "DEPOT_SETTINGS_INVALID"
            }
            SyncError::Upstream(e) => e.code(),
            SyncError::NotConfigured => "DEPOT_NOT_CONFIGURED",
            SyncError::NotSynced => "DEPOT_METADATA_NOT_SYNCED",
            SyncError::Unsealing { .. } => "DEPOT_SETTINGS_UNREADABLE",
            SyncError::Engine(_) => "TASK_ERROR",
            SyncError::Sealing
            | SyncError::CorruptSettings(_)
            | SyncError::CorruptMetadata { .. }
            | SyncError::Store(_)
            | SyncError::Blob(_) => "INTERNAL_SERVER_ERROR",
        }
    }
}

impl DomainError for SyncError {
    fn kind(&self) -> ErrorKind {
        SyncError::kind(self)
    }

    fn code(&self) -> &'static str {
        SyncError::code(self)
    }

    fn message(&self) -> Message {
        SyncError::message(self)
    }

    fn is_internal(&self) -> bool {
        SyncError::is_internal(self)
    }

    fn carried(&self) -> Option<&dyn DomainError> {
        match self {
            SyncError::Engine(e) => Some(e),
            _ => None,
        }
    }
}

impl From<depot_secrets::SealError> for SyncError {
    fn from(e: depot_secrets::SealError) -> Self {
        match e {
            depot_secrets::SealError::Sealing => SyncError::Sealing,
            depot_secrets::SealError::Unsealing { field } => SyncError::Unsealing { field },
        }
    }
}
