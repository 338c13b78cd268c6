//! [`LibraryError`]: everything the content-library service refuses or fails at.

use depot_blobs::BlobError;
use depot_metadata::MetadataError;
use depot_model::{DomainError, ErrorKind, Message};
use depot_secrets::SealError;

/// Why a content-library operation did not happen. Codes that are vAPI standard error
/// types (`RESOURCE_BUSY`, `INVALID_ELEMENT_TYPE`, …) are shown as those types.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LibraryError {
    /// The addressed library, item, session or file does not exist.
    #[error("{what} {id} does not exist")]
    NotFound {
        /// What was looked for ("library", "library item", …).
        what: &'static str,
        /// The id or name given.
        id: String,
    },
    /// The input breaks a rule; the text says which and what is accepted.
    #[error("{0}")]
    Invalid(String),
    /// The addressed object is of the wrong kind (a subscribed library where a local
    /// one is needed, …).
    #[error("{0}")]
    InvalidElementType(String),
    /// A name is taken.
    #[error("{0}")]
    AlreadyExists(String),
    /// The caller named a version that is no longer current.
    #[error("{0}")]
    ConcurrentChange(String),
    /// Another session holds the object.
    #[error("{0}")]
    ResourceBusy(String),
    /// The object's state does not allow it.
    #[error("{0}")]
    NotAllowed(String),
    /// The metadata store failed or refused.
    #[error(transparent)]
    Store(#[from] MetadataError),
    /// The blob store failed or refused.
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// A stored password could not be sealed or opened.
    #[error(transparent)]
    Seal(#[from] SealError),
    // VCSP
    /// A subscriber sent no or wrong credentials.
    #[error("{0}")]
    Unauthenticated(String),
    // update and download sessions
    /// A transfer into a session file failed: the data did not match what was declared
    /// (size, checksum) or could not be fetched. The file is in `ERROR`; a retry may
    /// succeed.
    #[error("{0}")]
    TransferFailed(String),
    /// More bytes arrived than the file's declared size (or the server's cap) allows;
    /// nothing was stored.
    #[error("{0}")]
    TooLarge(String),
    /// The client went away before the whole body arrived; nothing was stored and the
    /// file waits for a new transfer.
    #[error("{0}")]
    Interrupted(String),
    // subscribed libraries
    /// A subscribed-item operation named an item of a local library.
    #[error("Library item {id} does not belong to a subscribed library.")]
    NotSubscribedItem {
        /// The item's id.
        id: String,
    },
    /// The publisher of a subscription cannot be used: unreachable, refusing the
    /// credentials, presenting another certificate, or not serving a VCSP library.
    #[error("{0}")]
    ResourceInaccessible(String),
    /// The library's configuration does not allow the operation (evicting a library
    /// that is not on demand).
    #[error("{0}")]
    InvalidElementConfiguration(String),
    /// A sync from a publisher failed: what it sent was unusable or could not be
    /// fetched. What was synced before stays as it was.
    #[error("{0}")]
    SyncFailed(String),
    /// A sync could not finish because something it depends on is unavailable for
    /// now: the blob store, the metadata store, or the publisher's server (unreachable,
    /// overloaded, cut off). What was synced stays; syncing again once it is back picks
    /// up where this one stopped.
    #[error("{0}")]
    Unavailable(String),
}

impl LibraryError {
    /// Whether the failure is of something depended on being unavailable for now (the
    /// blob store, the metadata store, the publisher's server), so that doing the same
    /// again later may succeed. Every other failure is permanent.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unavailable(_) => true,
            Self::Store(e) => e.kind() == ErrorKind::Unavailable,
            Self::Blob(e) => e.kind() == depot_blobs::ErrorKind::Unavailable,
            _ => false,
        }
    }
}

impl DomainError for LibraryError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::Invalid(_)
            | Self::InvalidElementType(_)
            | Self::TransferFailed(_)
            | Self::TooLarge(_)
            | Self::Interrupted(_)
            | Self::NotSubscribedItem { .. }
            | Self::ResourceInaccessible(_)
            | Self::InvalidElementConfiguration(_) => ErrorKind::Invalid,
            Self::SyncFailed(_) | Self::Unavailable(_) => ErrorKind::Unavailable,
            Self::AlreadyExists(_) => ErrorKind::AlreadyExists,
            Self::ConcurrentChange(_) | Self::ResourceBusy(_) => ErrorKind::Conflict,
            Self::NotAllowed(_) => ErrorKind::NotAllowedInCurrentState,
            Self::Store(e) => e.kind(),
            Self::Blob(e) => match e.kind() {
                depot_blobs::ErrorKind::NotFound => ErrorKind::NotFound,
                depot_blobs::ErrorKind::Invalid => ErrorKind::Invalid,
                depot_blobs::ErrorKind::Unavailable => ErrorKind::Unavailable,
                _ => ErrorKind::Internal,
            },
            Self::Seal(_) => ErrorKind::Internal,
            Self::Unauthenticated(_) => ErrorKind::Unauthenticated,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "NOT_FOUND",
            Self::Invalid(_)
            | Self::TransferFailed(_)
            | Self::TooLarge(_)
            | Self::Interrupted(_) => "INVALID_ARGUMENT",
            Self::InvalidElementType(_) | Self::NotSubscribedItem { .. } => "INVALID_ELEMENT_TYPE",
            Self::ResourceInaccessible(_) => "RESOURCE_INACCESSIBLE",
            Self::InvalidElementConfiguration(_) => "INVALID_ELEMENT_CONFIGURATION",
            Self::SyncFailed(_) => "SYNC_FAILED",
            Self::Unavailable(_) => "SERVICE_UNAVAILABLE",
            Self::AlreadyExists(_) => "ALREADY_EXISTS",
            Self::ConcurrentChange(_) => "CONCURRENT_CHANGE",
            Self::ResourceBusy(_) | Self::Store(MetadataError::ItemBusy { .. }) => "RESOURCE_BUSY",
            Self::NotAllowed(_) => "NOT_ALLOWED_IN_CURRENT_STATE",
            Self::Store(e) => match e.kind() {
                ErrorKind::NotFound => "NOT_FOUND",
                ErrorKind::AlreadyExists => "ALREADY_EXISTS",
                ErrorKind::Conflict => "CONCURRENT_CHANGE",
                ErrorKind::NotAllowedInCurrentState => "NOT_ALLOWED_IN_CURRENT_STATE",
                ErrorKind::Invalid => "INVALID_ARGUMENT",
                _ => "INTERNAL_SERVER_ERROR",
            },
            Self::Blob(e) => match e.kind() {
                depot_blobs::ErrorKind::Invalid => "INVALID_ARGUMENT",
                depot_blobs::ErrorKind::NotFound => "NOT_FOUND",
                _ => "INTERNAL_SERVER_ERROR",
            },
            Self::Seal(_) => "INTERNAL_SERVER_ERROR",
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
        }
    }

    fn message(&self) -> Message {
        if let Self::NotSubscribedItem { id } = self {
            // vCenter's message, id and arguments (seed 002).
            return Message::new(
                "com.vmware.vdcs.cls-main.item_not_in_subscribed_library",
                self.to_string(),
            )
            .arg("library_item_id", id);
        }
        Message::new(
            format!(
                "com.vmware.depotd.content.{}",
                self.code().to_ascii_lowercase()
            ),
            self.to_string(),
        )
    }

    fn is_internal(&self) -> bool {
        match self {
            Self::Store(e) => matches!(e.kind(), ErrorKind::Internal | ErrorKind::Unavailable),
            Self::Blob(e) => matches!(
                e.kind(),
                depot_blobs::ErrorKind::Unavailable | depot_blobs::ErrorKind::Internal
            ),
            Self::Seal(_) => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_name_vapi_error_types() {
        let busy = LibraryError::Store(MetadataError::ItemBusy {
            item: "i".to_owned(),
        });
        assert_eq!(busy.code(), "RESOURCE_BUSY");
        assert_eq!(busy.kind(), ErrorKind::Conflict);
        let wrong = LibraryError::InvalidElementType("a subscribed library".to_owned());
        assert_eq!(
            (wrong.kind(), wrong.code()),
            (ErrorKind::Invalid, "INVALID_ELEMENT_TYPE")
        );
        let gone = LibraryError::NotFound {
            what: "library",
            id: "x".to_owned(),
        };
        assert_eq!(gone.to_string(), "library x does not exist");
        assert!(!gone.is_internal());
        assert!(LibraryError::Seal(SealError::Sealing).is_internal());
    }

    #[test]
    fn only_what_is_unavailable_for_now_is_transient() {
        let away = LibraryError::Unavailable("the blob store is away".to_owned());
        assert!(away.is_transient());
        assert_eq!(
            (away.kind(), away.code()),
            (ErrorKind::Unavailable, "SERVICE_UNAVAILABLE")
        );
        let blob_away = LibraryError::Blob(BlobError::Io {
            op: "write",
            path: "/blobs/tmp/x".into(),
            source: std::io::Error::from(std::io::ErrorKind::ConnectionReset),
        });
        assert!(blob_away.is_transient(), "{blob_away:?}");
        assert!(!LibraryError::SyncFailed("bad digest".to_owned()).is_transient());
        assert!(!LibraryError::Invalid("x".to_owned()).is_transient());
        assert!(
            !LibraryError::Store(MetadataError::ItemBusy {
                item: "i".to_owned()
            })
            .is_transient()
        );
    }
}
