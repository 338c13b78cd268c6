//! The crate's one error type, [`EsxError`]: every way a bundle is refused, with the
//! entry or document it concerns.

use depot_model::{DomainError, ErrorKind};

/// Why a bundle could not be parsed or imported. Every variant but [`EsxError::Blob`]
/// and [`EsxError::Internal`] is the bundle's fault ([`ErrorKind::Invalid`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EsxError {
    /// The file is not a zip archive (no readable end of central directory).
    #[error("the offline depot is not a valid zip archive: {source}")]
    NotAZip {
        /// What the zip reader said.
        source: zip::result::ZipError,
    },
    /// An entry could not be read: truncated data, bad CRC, unsupported compression.
    #[error("the zip entry {entry} cannot be read: {source}")]
    Entry {
        /// The entry's name (for a nested metadata zip: `outer!inner`).
        entry: String,
        /// What the zip reader said.
        source: std::io::Error,
    },
    /// An entry name that could escape a directory or means something else on another
    /// system: `..`, an absolute path, a backslash, a drive letter, a control character.
    #[error("the zip entry name {name:?} is not allowed: {reason}")]
    UnsafeName {
        /// The name as found (lossy UTF-8).
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two entries of one archive have the same name.
    #[error("the zip archive {archive} has two entries with the same name")]
    DuplicateEntry {
        /// The archive (the bundle, or a metadata zip inside it).
        archive: String,
    },
    /// Entries whose data overlap: a zip bomb built from shared data.
    #[error("the zip archive {archive} has entries that share their data")]
    OverlappingEntries {
        /// The archive.
        archive: String,
    },
    /// A symbolic link entry (never followed, never stored).
    #[error("the zip entry {name} is a symbolic link")]
    Symlink {
        /// The entry.
        name: String,
    },
    /// An encrypted entry.
    #[error("the zip entry {name} is encrypted")]
    Encrypted {
        /// The entry.
        name: String,
    },
    /// More entries than [`Limits`](crate::Limits) allow.
    #[error("the zip archive {archive} has more than {limit} entries")]
    TooManyEntries {
        /// The archive.
        archive: String,
        /// The limit.
        limit: usize,
    },
    /// An entry larger than allowed (declared or actually inflated).
    #[error("the zip entry {name} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The entry.
        name: String,
        /// The limit.
        limit: u64,
    },
    /// The archive's entries add up to more than allowed once inflated.
    #[error("the zip archive {archive} inflates to more than {limit} bytes")]
    TotalTooLarge {
        /// The archive.
        archive: String,
        /// The limit.
        limit: u64,
    },
    /// An entry inflating far beyond its compressed size: a zip bomb.
    #[error("the zip entry {name} inflates {ratio} times its compressed size (limit {limit})")]
    CompressionRatio {
        /// The entry.
        name: String,
        /// Its ratio, rounded down.
        ratio: u64,
        /// The limit.
        limit: u64,
    },
    /// An entry's data did not have the size the central directory declares.
    #[error("the zip entry {name} holds {actual} bytes, its directory says {declared}")]
    SizeMismatch {
        /// The entry.
        name: String,
        /// The size the central directory declares.
        declared: u64,
        /// The bytes it actually inflated to (a lower bound when it ran over).
        actual: u64,
    },
    /// A file the depot layout requires, or that a document names, is not in the archive.
    #[error("{name} is missing from the offline depot (named by {referenced_by})")]
    Missing {
        /// The missing entry.
        name: String,
        /// The document that names it (or `the depot layout`).
        referenced_by: String,
    },
    /// An XML document that is not well-formed or does not have the expected shape.
    #[error("{document} is not valid: {reason}")]
    Xml {
        /// The document (entry name).
        document: String,
        /// What the XML reader said.
        reason: String,
    },
    /// An XML document with a DOCTYPE: external entities and entity expansion are never
    /// processed, so such a document is refused outright.
    #[error("{document} declares a DOCTYPE; DTDs and entities are not accepted")]
    Doctype {
        /// The document.
        document: String,
    },
    /// A JSON document (base image, add-on, manifest, solution) that cannot be read.
    #[error("{document} is not valid: {source}")]
    Json {
        /// The document.
        document: String,
        /// What the JSON reader said.
        source: serde_json::Error,
    },
    /// A document that parses but breaks a rule of the format.
    #[error("{document} is not valid: {reason}")]
    Invalid {
        /// The document.
        document: String,
        /// The rule it breaks.
        reason: String,
    },
    /// A VIB payload whose size is not what its metadata declares.
    #[error("the VIB {vib} ({path}) has {actual} bytes, its metadata declares {declared}")]
    VibSize {
        /// The VIB id.
        vib: String,
        /// Its payload's entry.
        path: String,
        /// The packed size its metadata declares.
        declared: u64,
        /// The payload's size.
        actual: u64,
    },
    /// A VIB payload whose checksum is not what its metadata declares.
    #[error("the VIB {vib} ({path}) has {algorithm} {actual}, its metadata declares {declared}")]
    VibChecksum {
        /// The VIB id.
        vib: String,
        /// Its payload's entry.
        path: String,
        /// The checksum type (`sha-256`, `sha-1`).
        algorithm: &'static str,
        /// The declared checksum (hex).
        declared: String,
        /// The payload's checksum (hex).
        actual: String,
    },
    /// A document of an online depot could not be fetched (unreachable host, server
    /// error, untrusted certificate): the depot is unavailable, not invalid.
    #[error("{document} cannot be fetched: {reason}")]
    Unreachable {
        /// The document (its path below the depot root).
        document: String,
        /// Why.
        reason: String,
    },
    /// The blob store failed while payloads were staged or committed.
    #[error("storing a VIB payload failed: {0}")]
    Blob(#[from] depot_blobs::BlobError),
    /// The parsing thread was lost (panicked or cancelled).
    #[error("the offline depot parser stopped unexpectedly: {0}")]
    Internal(String),
}

impl EsxError {
    /// An `Xml` error for `document`.
    pub(crate) fn xml(document: &str, reason: impl Into<String>) -> Self {
        Self::Xml {
            document: document.to_owned(),
            reason: reason.into(),
        }
    }

    /// An `Invalid` error for `document`.
    pub(crate) fn invalid(document: &str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            document: document.to_owned(),
            reason: reason.into(),
        }
    }
}

impl DomainError for EsxError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Blob(e) => match e.kind() {
                depot_blobs::ErrorKind::Invalid => ErrorKind::Invalid,
                depot_blobs::ErrorKind::NotFound | depot_blobs::ErrorKind::Unavailable => {
                    ErrorKind::Unavailable
                }
                _ => ErrorKind::Internal,
            },
            Self::Unreachable { .. } => ErrorKind::Unavailable,
            Self::Internal(_) => ErrorKind::Internal,
            _ => ErrorKind::Invalid,
        }
    }

    fn code(&self) -> &'static str {
        match self.kind() {
            ErrorKind::Invalid => "INVALID_ARGUMENT",
            ErrorKind::Unavailable => "SERVICE_UNAVAILABLE",
            _ => "INTERNAL",
        }
    }
}
