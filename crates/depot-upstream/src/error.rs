//! The crate's single error type, [`UpstreamError`], with a stable [`code`](UpstreamError::code)
//! for the sync to surface and a [`kind`](UpstreamError::kind) for API crates.
//!
//! No message ever contains a password or a download token: URLs are shown with the token
//! redacted, and `reqwest` errors are stored without their URL.

use std::fmt;
use std::time::Duration;

use depot_blobs::{BlobError, Sha256Digest};
use depot_model::ErrorKind;

/// Why a depot could not be used (the cause inside [`UpstreamError::NotAvailable`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unavailable {
    /// Nothing listens on the host and port.
    Refused,
    /// No connection could be established within the connect timeout.
    ConnectTimeout(Duration),
    /// The server sent nothing for longer than the read timeout.
    Stalled(Duration),
    /// The whole request took longer than the request timeout.
    RequestTimeout(Duration),
    /// The server answered with this (retryable) HTTP status each time.
    Status(u16),
    /// The server answered with this status and asked for a longer wait than allowed.
    RetryAfterTooLong {
        /// The HTTP status (429 or 503).
        status: u16,
        /// The wait the server asked for.
        wait: Duration,
    },
    /// The connection failed otherwise (reset, TLS handshake, proxy, protocol error).
    Connection(String),
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused => f.write_str(
                "connection refused: check the host name and port, and that the depot is running",
            ),
            Self::ConnectTimeout(t) => write!(
                f,
                "no connection within {}s: check the host, port, proxy and firewall",
                t.as_secs_f64()
            ),
            Self::Stalled(t) => write!(
                f,
                "the depot sent no data for {}s (read timeout)",
                t.as_secs_f64()
            ),
            Self::RequestTimeout(t) => write!(
                f,
                "the request did not complete within {}s (request timeout)",
                t.as_secs_f64()
            ),
            Self::Status(status) => write!(f, "the depot answered HTTP {status}"),
            Self::RetryAfterTooLong { status, wait } => write!(
                f,
                "the depot answered HTTP {status} and asked to retry after {}s",
                wait.as_secs()
            ),
            Self::Connection(detail) => write!(f, "connection failed: {detail}"),
        }
    }
}

/// Everything that can go wrong talking to an upstream depot.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpstreamError {
    /// The base URL or proxy URL is not usable.
    #[error("invalid depot {what} {shown:?}: {reason}")]
    BadUrl {
        /// Which URL ("base URL", "proxy URL").
        what: &'static str,
        /// The URL without credentials (empty when it did not parse).
        shown: String,
        /// What is wrong.
        reason: String,
    },

    /// A relative file path is not usable.
    #[error("invalid depot file path {path:?}: {reason}")]
    BadPath {
        /// The path (truncated).
        path: String,
        /// What is wrong.
        reason: &'static str,
    },

    /// The download-token path template is not usable.
    #[error("invalid depot path template {template:?}: {reason}")]
    BadPathTemplate {
        /// The template (truncated).
        template: String,
        /// What is wrong.
        reason: &'static str,
    },

    /// The download token cannot be placed into a URL.
    #[error("invalid download token: {reason}")]
    BadToken {
        /// What is wrong (never the token itself).
        reason: &'static str,
    },

    /// A trusted certificate is not a PEM-encoded X.509 certificate.
    #[error("trusted certificate #{number} is not a PEM-encoded X.509 certificate: {reason}")]
    BadCertificate {
        /// Its 1-based position in the list.
        number: usize,
        /// What is wrong.
        reason: String,
    },

    /// The HTTP client could not be set up (TLS or proxy configuration).
    #[error("cannot set up the depot HTTP client")]
    ClientSetup {
        /// The client builder's error.
        #[source]
        source: reqwest::Error,
    },

    /// The depot's (or proxy's) host name does not resolve.
    #[error("cannot resolve the host name {host}: check the depot URL and the DNS settings")]
    UnknownHost {
        /// The host name.
        host: String,
    },

    /// The depot could not be reached or kept failing until the retries ran out.
    #[error("depot {url} is not available ({attempts} attempts): {cause}")]
    NotAvailable {
        /// The URL (token redacted).
        url: String,
        /// What happened on the last attempt.
        cause: Unavailable,
        /// Attempts made.
        attempts: u32,
        /// The client error of the last attempt, if any (without its URL).
        #[source]
        source: Option<reqwest::Error>,
    },

    /// The depot rejected the credentials.
    #[error(
        "the depot rejected the credentials for {url} (HTTP {status}): check the user name and \
         password, or the download token"
    )]
    InvalidCredential {
        /// The URL (token redacted).
        url: String,
        /// 401 or 403.
        status: u16,
    },

    /// The depot has no such file.
    #[error("file not found on the depot: {url} (HTTP {status})")]
    FileNotFound {
        /// The URL (token redacted).
        url: String,
        /// 404 or 410.
        status: u16,
    },

    /// The server's TLS certificate does not verify against the trusted certificates.
    #[error(
        "the TLS certificate of {host} is not trusted ({reason}): add the depot's CA \
         certificate to the trusted certificates"
    )]
    UntrustedCertificate {
        /// The host name.
        host: String,
        /// The verifier's reason.
        reason: String,
    },

    /// The connection closed (or failed) before the whole body arrived, on every attempt.
    #[error("download of {url} was cut off after {received} of {} bytes ({attempts} attempts)", expected.map_or_else(|| "an unknown number of".to_owned(), |n| n.to_string()))]
    Truncated {
        /// The URL (token redacted).
        url: String,
        /// Bytes received on the last attempt.
        received: u64,
        /// The announced `Content-Length`, if any.
        expected: Option<u64>,
        /// Attempts made.
        attempts: u32,
    },

    /// The file is larger than the size cap.
    #[error("{url} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The URL (token redacted).
        url: String,
        /// The cap.
        limit: u64,
    },

    /// The file's content does not have the expected digest.
    #[error("{url} has sha256:{actual}, expected sha256:{expected}")]
    DigestMismatch {
        /// The URL (token redacted).
        url: String,
        /// The expected digest.
        expected: Sha256Digest,
        /// The digest of what was downloaded.
        actual: Sha256Digest,
    },

    /// The file's size is not the size the caller expected.
    #[error("{url} has {actual} bytes, expected {expected}")]
    SizeMismatch {
        /// The URL (token redacted).
        url: String,
        /// The size the caller expected.
        expected: u64,
        /// The size the depot announced or sent (a lower bound when it sent too much).
        actual: u64,
    },

    /// The file's content does not have the checksum the caller declared (MD5, SHA-1, …).
    #[error("{url}: {source}")]
    ChecksumMismatch {
        /// The URL (token redacted).
        url: String,
        /// Expected and actual checksum.
        source: depot_blobs::ChecksumMismatch,
    },

    /// The blob store has too little free space for the file.
    #[error(
        "not enough space in the blob store for {url}: {needed} bytes needed, {free} bytes free"
    )]
    StoreFull {
        /// The URL (token redacted).
        url: String,
        /// Bytes still to be written.
        needed: u64,
        /// Bytes free in the store.
        free: u64,
    },

    /// The depot answered with a status this client does not expect.
    #[error("unexpected answer HTTP {status} from the depot for {url}")]
    UnexpectedStatus {
        /// The URL (token redacted).
        url: String,
        /// The status.
        status: u16,
    },

    /// Storing the downloaded file failed.
    #[error("cannot store {url}: the blob store failed")]
    Store {
        /// The URL (token redacted).
        url: String,
        /// The blob store's error.
        #[source]
        source: BlobError,
    },
}

impl UpstreamError {
    /// The stable error code the sync surfaces (`DEPOT_…`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadUrl { .. } | Self::BadPath { .. } | Self::BadPathTemplate { .. } => {
                "DEPOT_BAD_URL"
            }
            Self::BadToken { .. } | Self::InvalidCredential { .. } => "DEPOT_INVALID_CREDENTIAL",
            Self::BadCertificate { .. } => "DEPOT_BAD_CERTIFICATE",
            Self::ClientSetup { .. } => "DEPOT_CLIENT_SETUP_FAILED",
            Self::UnknownHost { .. } => "DEPOT_UNKNOWN_HOST",
            Self::NotAvailable { .. } => "DEPOT_NOT_AVAILABLE",
            Self::FileNotFound { .. } => "DEPOT_FILE_NOT_FOUND",
            Self::UntrustedCertificate { .. } => "DEPOT_UNTRUSTED_CERTIFICATE",
            Self::Truncated { .. } => "DEPOT_TRUNCATED_DOWNLOAD",
            Self::TooLarge { .. } => "DEPOT_FILE_TOO_LARGE",
            Self::DigestMismatch { .. } | Self::ChecksumMismatch { .. } => "DEPOT_DIGEST_MISMATCH",
            Self::SizeMismatch { .. } => "DEPOT_SIZE_MISMATCH",
            Self::StoreFull { .. } => "DEPOT_STORE_FULL",
            Self::Store { source, .. } if is_storage_full(source) => "DEPOT_STORE_FULL",
            Self::UnexpectedStatus { .. } => "DEPOT_UNEXPECTED_RESPONSE",
            Self::Store { .. } => "DEPOT_STORE_FAILED",
        }
    }

    /// The coarse category: `Invalid` for settings or content to fix, `NotFound` for a file
    /// the depot lacks, `Unavailable` for failures that may pass, `Internal` otherwise.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::BadUrl { .. }
            | Self::BadPath { .. }
            | Self::BadPathTemplate { .. }
            | Self::BadToken { .. }
            | Self::BadCertificate { .. }
            | Self::InvalidCredential { .. }
            | Self::UntrustedCertificate { .. }
            | Self::TooLarge { .. }
            | Self::DigestMismatch { .. }
            | Self::ChecksumMismatch { .. }
            | Self::SizeMismatch { .. } => ErrorKind::Invalid,
            Self::FileNotFound { .. } => ErrorKind::NotFound,
            Self::UnknownHost { .. }
            | Self::NotAvailable { .. }
            | Self::Truncated { .. }
            | Self::UnexpectedStatus { .. }
            | Self::StoreFull { .. } => ErrorKind::Unavailable,
            Self::ClientSetup { .. } => ErrorKind::Internal,
            Self::Store { source, .. } => match source.kind() {
                depot_blobs::ErrorKind::Unavailable => ErrorKind::Unavailable,
                _ => ErrorKind::Internal,
            },
        }
    }

    /// What the operator can do about it.
    pub fn remediation(&self) -> &'static str {
        match self {
            Self::BadUrl { .. } | Self::BadPath { .. } | Self::BadPathTemplate { .. } => {
                "Correct the depot URL or the depot paths in the settings"
            }
            Self::BadToken { .. } | Self::InvalidCredential { .. } => {
                "Check the depot user name and password or the download token"
            }
            Self::BadCertificate { .. } | Self::UntrustedCertificate { .. } => {
                "Add the depot's CA certificate (PEM) to the trusted certificates of the depot settings"
            }
            Self::ClientSetup { .. } => "Check the proxy and TLS settings",
            Self::UnknownHost { .. } => "Check the depot host name and the DNS settings",
            Self::NotAvailable { .. } | Self::UnexpectedStatus { .. } => {
                "Check that the depot (and the proxy) is running and reachable, then retry"
            }
            Self::FileNotFound { .. } => {
                "Check the depot URL and that the depot publishes the file, then retry"
            }
            Self::Truncated { .. } => "The connection to the depot broke off; retry",
            Self::TooLarge { .. } => "The depot serves a file larger than allowed; check the depot",
            Self::DigestMismatch { .. }
            | Self::ChecksumMismatch { .. }
            | Self::SizeMismatch { .. } => {
                "The depot serves content that does not match its checksum; check the depot"
            }
            Self::Store { .. } | Self::StoreFull { .. } => {
                "Check the free space and permissions of the blob store, then retry"
            }
        }
    }
}

/// Whether a store failure is the disk running out of space.
fn is_storage_full(err: &BlobError) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(inner) = cause {
        if inner
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::StorageFull)
        {
            return true;
        }
        cause = inner.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_kinds() {
        let url = || "https://depot.example.com/***/PROD/x".to_owned();
        let cases = [
            (
                UpstreamError::UnknownHost { host: "h".into() },
                "DEPOT_UNKNOWN_HOST",
                ErrorKind::Unavailable,
            ),
            (
                UpstreamError::InvalidCredential {
                    url: url(),
                    status: 401,
                },
                "DEPOT_INVALID_CREDENTIAL",
                ErrorKind::Invalid,
            ),
            (
                UpstreamError::FileNotFound {
                    url: url(),
                    status: 404,
                },
                "DEPOT_FILE_NOT_FOUND",
                ErrorKind::NotFound,
            ),
            (
                UpstreamError::Truncated {
                    url: url(),
                    received: 1,
                    expected: None,
                    attempts: 1,
                },
                "DEPOT_TRUNCATED_DOWNLOAD",
                ErrorKind::Unavailable,
            ),
            (
                UpstreamError::TooLarge {
                    url: url(),
                    limit: 1,
                },
                "DEPOT_FILE_TOO_LARGE",
                ErrorKind::Invalid,
            ),
        ];
        for (err, code, kind) in cases {
            assert_eq!((err.code(), err.kind()), (code, kind), "{err}");
        }
    }

    #[test]
    fn download_codes() {
        let url = || "http://h/f".to_owned();
        let full = BlobError::Io {
            op: "write",
            path: "/blobs/tmp/x".into(),
            source: std::io::Error::from(std::io::ErrorKind::StorageFull),
        };
        let denied = BlobError::Io {
            op: "write",
            path: "/blobs/tmp/x".into(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        let cases = [
            (
                UpstreamError::SizeMismatch {
                    url: url(),
                    expected: 1,
                    actual: 2,
                },
                "DEPOT_SIZE_MISMATCH",
                ErrorKind::Invalid,
            ),
            (
                UpstreamError::StoreFull {
                    url: url(),
                    needed: 2,
                    free: 1,
                },
                "DEPOT_STORE_FULL",
                ErrorKind::Unavailable,
            ),
            (
                UpstreamError::Store {
                    url: url(),
                    source: full,
                },
                "DEPOT_STORE_FULL",
                ErrorKind::Unavailable,
            ),
            (
                UpstreamError::Store {
                    url: url(),
                    source: denied,
                },
                "DEPOT_STORE_FAILED",
                ErrorKind::Unavailable,
            ),
        ];
        for (err, code, kind) in cases {
            assert_eq!((err.code(), err.kind()), (code, kind), "{err}");
        }
    }

    #[test]
    fn truncated_message_names_sizes() {
        let err = UpstreamError::Truncated {
            url: "http://h/f".into(),
            received: 10,
            expected: Some(20),
            attempts: 3,
        };
        assert_eq!(
            err.to_string(),
            "download of http://h/f was cut off after 10 of 20 bytes (3 attempts)"
        );
    }
}
