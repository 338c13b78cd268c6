//! Why a file was not served: the one error type of this crate.

use axum::http::{HeaderMap, StatusCode};
use depot_blobs::{BlobError, ErrorKind as BlobErrorKind, Sha256Digest};
use headers::{ContentRange, HeaderMapExt as _};

/// A request answered without the file. Each family renders it in its own error body,
/// with [`status`](Self::status) and [`headers`](Self::headers).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// `If-Match` or `If-Unmodified-Since` did not hold: 412.
    #[error("a precondition of the request does not hold")]
    PreconditionFailed,
    /// The requested range lies outside the file: 416.
    #[error("the range is not satisfiable for a file of {length} bytes")]
    RangeNotSatisfiable {
        /// The file's length, sent as `Content-Range: bytes */<length>`.
        length: u64,
    },
    /// The blob store failed, or lacks the blob.
    #[error("reading blob {digest} failed: {source}")]
    Blob {
        /// The blob.
        digest: Sha256Digest,
        /// What failed.
        #[source]
        source: BlobError,
    },
    /// The content is not as long as its metadata says: the stored data is damaged.
    #[error("the content has {actual} bytes, its metadata says {expected}")]
    SizeMismatch {
        /// The length in the metadata.
        expected: u64,
        /// The length of the content.
        actual: u64,
    },
    /// The caller's entity tag has characters an entity tag cannot hold.
    #[error("invalid entity tag {opaque:?}")]
    InvalidEntityTag {
        /// The tag as given.
        opaque: String,
    },
}

impl FileError {
    /// The status to answer with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::Blob { source, .. } if source.kind() == BlobErrorKind::Unavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Blob { .. } | Self::SizeMismatch { .. } | Self::InvalidEntityTag { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// Headers the status requires: `Content-Range: bytes */<length>` with a 416
    /// (RFC 9110 §15.5.17).
    pub fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Self::RangeNotSatisfiable { length } = self {
            headers.typed_insert(ContentRange::unsatisfied_bytes(*length));
        }
        headers
    }

    /// Whether the error is the client's (412, 416) rather than the server's.
    pub fn is_client_error(&self) -> bool {
        self.status().is_client_error()
    }
}
