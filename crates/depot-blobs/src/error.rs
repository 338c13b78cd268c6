//! The crate's single error type, [`BlobError`], and its coarse [`ErrorKind`].

use std::io;
use std::path::PathBuf;

use crate::Sha256Digest;

/// What a caller should do about a [`BlobError`]; API crates map this to a status code and
/// never look at the message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The blob does not exist.
    NotFound,
    /// The input was rejected: size or digest mismatch, too large, bad range.
    Invalid,
    /// Storage or the data source failed: I/O error, disk full, read-only file system.
    /// Retrying later (or fixing the disk) may help.
    Unavailable,
    /// A bug or an environment failure this crate cannot explain.
    Internal,
}

/// Everything that can go wrong in a blob store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlobError {
    /// No blob with this digest is stored.
    #[error("blob sha256:{digest} not found")]
    NotFound {
        /// The digest that was asked for.
        digest: Sha256Digest,
    },

    /// The data did not have the announced size.
    #[error("blob size mismatch: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        /// The size the caller announced.
        expected: u64,
        /// The bytes actually read (when the data ran over, reading stopped at the first
        /// chunk past `expected`, so this is a lower bound).
        actual: u64,
    },

    /// The data did not have the announced digest.
    #[error("blob digest mismatch: expected sha256:{expected}, got sha256:{actual}")]
    DigestMismatch {
        /// The digest the caller announced.
        expected: Sha256Digest,
        /// The digest of the data actually read.
        actual: Sha256Digest,
    },

    /// The data did not have the checksum its sender declared (see
    /// [`Verifying`](crate::Verifying)).
    #[error(transparent)]
    ChecksumMismatch(#[from] crate::ChecksumMismatch),

    /// The data is larger than the allowed maximum; reading stopped as soon as it ran over.
    #[error("blob exceeds the size limit of {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },

    /// A byte range does not lie within the blob.
    #[error("range {start}..{end:?} is not within blob sha256:{digest} of {size} bytes")]
    RangeNotSatisfiable {
        /// The blob.
        digest: Sha256Digest,
        /// First requested byte.
        start: u64,
        /// One past the last requested byte (`None`: to the end).
        end: Option<u64>,
        /// The blob's size.
        size: u64,
    },

    /// Reading the caller's data source failed (for example the client went away).
    #[error("reading the blob data source failed")]
    Source {
        /// The reader's error.
        #[source]
        source: io::Error,
    },

    /// A file-system operation on the store failed.
    #[error("blob store: cannot {op} {path}")]
    Io {
        /// What was being done ("create", "write", "rename", …).
        op: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// The write probe of [`BlobStore::check_writable`](crate::BlobStore::check_writable)
    /// failed: the disk is read-only, full, or the directory is not ours to write.
    #[error("blob store directory {path} is not writable")]
    NotWritable {
        /// The directory that was probed.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// A request to the object store failed (after its retries): the store is down,
    /// unreachable, or refuses our credentials.
    #[error("object store: cannot {op} {key}")]
    ObjectStore {
        /// What was being done ("put part", "get", "list", …).
        op: &'static str,
        /// The object key (or prefix) involved.
        key: String,
        /// The object store's error.
        #[source]
        source: object_store::Error,
    },

    /// The write probe found the object store unusable; `reason` says why in words an
    /// operator can act on (no such bucket, credentials refused, endpoint unreachable).
    #[error("object store bucket {bucket}: {reason}")]
    Unusable {
        /// The bucket.
        bucket: String,
        /// What is wrong.
        reason: &'static str,
        /// The object store's error.
        #[source]
        source: object_store::Error,
    },

    /// The object store's configuration is unusable (bad endpoint URL, missing bucket name).
    #[error("object store configuration: {0}")]
    Config(String),

    /// The [`CommitFence`](crate::CommitFence) of a blob could not be taken (the
    /// service behind it is down or busy): nothing was written or removed.
    #[error("cannot take the {mode} commit fence of blob sha256:{digest}")]
    Fence {
        /// `shared` (a commit) or `exclusive` (a removal).
        mode: &'static str,
        /// The blob.
        digest: Sha256Digest,
        /// The fence's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// The OS random-number source failed (needed to name temp files).
    #[error("cannot get random bytes: {0}")]
    Random(getrandom::Error),

    /// A blocking file-system task panicked or was cancelled.
    #[error("blocking blob-store task failed")]
    Join(#[from] tokio::task::JoinError),
}

impl BlobError {
    /// The coarse category of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::SizeMismatch { .. }
            | Self::DigestMismatch { .. }
            | Self::ChecksumMismatch(_)
            | Self::TooLarge { .. }
            | Self::RangeNotSatisfiable { .. } => ErrorKind::Invalid,
            Self::Source { .. }
            | Self::Io { .. }
            | Self::NotWritable { .. }
            | Self::ObjectStore { .. }
            | Self::Unusable { .. }
            | Self::Fence { .. } => ErrorKind::Unavailable,
            Self::Random(_) | Self::Join(_) | Self::Config(_) => ErrorKind::Internal,
        }
    }

    /// Builds a [`BlobError::ObjectStore`]; used with `map_err`.
    pub(crate) fn store(
        op: &'static str,
        key: &impl std::fmt::Display,
    ) -> impl FnOnce(object_store::Error) -> Self {
        let key = key.to_string();
        move |source| Self::ObjectStore { op, key, source }
    }

    /// Builds an [`BlobError::Io`]; used with `map_err`.
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { op, path, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let digest = Sha256Digest::from_bytes([0; 32]);
        let io_err = || io::Error::from(io::ErrorKind::StorageFull);
        let cases = [
            (BlobError::NotFound { digest }, ErrorKind::NotFound),
            (BlobError::TooLarge { limit: 1 }, ErrorKind::Invalid),
            (
                BlobError::SizeMismatch {
                    expected: 1,
                    actual: 2,
                },
                ErrorKind::Invalid,
            ),
            (
                BlobError::DigestMismatch {
                    expected: digest,
                    actual: digest,
                },
                ErrorKind::Invalid,
            ),
            (
                BlobError::Source { source: io_err() },
                ErrorKind::Unavailable,
            ),
            (
                BlobError::io("write", "/x")(io_err()),
                ErrorKind::Unavailable,
            ),
        ];
        for (err, kind) in cases {
            assert_eq!(err.kind(), kind, "{err}");
        }
    }

    #[test]
    fn io_error_names_the_path_and_keeps_the_source() {
        let err =
            BlobError::io("write", "/data/tmp/x")(io::Error::from(io::ErrorKind::StorageFull));
        assert_eq!(err.to_string(), "blob store: cannot write /data/tmp/x");
        let source = std::error::Error::source(&err).expect("io error has a source");
        let source = source
            .downcast_ref::<io::Error>()
            .expect("source is an io::Error");
        assert_eq!(source.kind(), io::ErrorKind::StorageFull);
    }
}
