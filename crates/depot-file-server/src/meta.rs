//! What is served: the file's metadata ([`FileMeta`]) and where its bytes are
//! ([`FileSource`]).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use bytes::Bytes;
use depot_blobs::{BlobStore, Sha256Digest};
use headers::ETag;

use crate::FileError;

/// The last second an HTTP-date can express (9999-12-31T23:59:59Z); `httpdate` panics
/// past it.
const MAX_HTTP_DATE: u64 = 253_402_300_799;

/// The metadata of one representation of a file: everything the response headers and
/// the conditional-request rules need, without the bytes.
#[derive(Debug, Clone)]
pub struct FileMeta {
    /// The length in bytes of the representation (after any content coding).
    pub(crate) length: u64,
    /// The entity tag, for comparisons and the `ETag` header.
    pub(crate) etag: ETag,
    /// The same tag as text (`"…"` or `W/"…"`).
    tag_text: String,
    /// Whole seconds since the epoch, within what an HTTP-date can express.
    pub(crate) last_modified: Option<u64>,
    /// The `Content-Type`.
    pub(crate) content_type: HeaderValue,
    /// Headers of the representation that a 304 repeats (`Cache-Control`, `Vary`).
    pub(crate) validator_headers: HeaderMap,
    /// Headers sent with content only (`Content-Encoding`).
    pub(crate) content_headers: HeaderMap,
}

impl FileMeta {
    /// A representation of `length` bytes of `content_type` with the strong entity tag
    /// `"<opaque>"`. `opaque` must consist of entity-tag characters (visible ASCII
    /// except `"`): a digest, optionally with a suffix naming the coding.
    pub fn new(length: u64, opaque: &str, content_type: &'static str) -> Result<Self, FileError> {
        let tag_text = format!("\"{opaque}\"");
        let etag = tag_text.parse().map_err(|_| FileError::InvalidEntityTag {
            opaque: opaque.to_owned(),
        })?;
        Ok(Self {
            length,
            etag,
            tag_text,
            last_modified: None,
            content_type: HeaderValue::from_static(content_type),
            validator_headers: HeaderMap::new(),
            content_headers: HeaderMap::new(),
        })
    }

    /// The same representation with its tag marked weak (`W/"<opaque>"`): equal tags
    /// then mean equivalent content, not equal bytes, and never satisfy a strong
    /// comparison (`If-Match`, `If-Range`).
    #[must_use]
    pub fn weak(mut self) -> Self {
        if !self.etag.is_weak() {
            let text = format!("W/{}", self.tag_text);
            if let Ok(etag) = text.parse() {
                self.etag = etag;
                self.tag_text = text;
            }
        }
        self
    }

    /// Sets `Last-Modified`, at HTTP-date precision (whole seconds; before the epoch
    /// counts as the epoch, past year 9999 as its last second).
    #[must_use]
    pub fn last_modified(mut self, at: SystemTime) -> Self {
        let seconds = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        self.last_modified = Some(seconds.min(MAX_HTTP_DATE));
        self
    }

    /// Adds a header that describes the representation and is repeated by a 304
    /// (`Cache-Control`, `Vary`).
    #[must_use]
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.validator_headers.append(name, value);
        self
    }

    /// Adds a header sent only with content, not with a 304 (`Content-Encoding`).
    #[must_use]
    pub fn content_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.content_headers.append(name, value);
        self
    }

    /// The length in bytes.
    pub fn length(&self) -> u64 {
        self.length
    }

    /// The `ETag` value, quotes (and `W/`) included.
    pub fn etag(&self) -> &str {
        &self.tag_text
    }

    /// `Last-Modified` as a time, if set.
    pub(crate) fn modified_time(&self) -> Option<SystemTime> {
        self.last_modified
            .map(|seconds| UNIX_EPOCH + Duration::from_secs(seconds))
    }
}

/// Where the bytes of a file are.
pub enum FileSource<'a> {
    /// A blob in the store, streamed in chunks (never read whole into memory).
    Blob {
        /// The store.
        store: &'a dyn BlobStore,
        /// The blob's digest.
        digest: Sha256Digest,
    },
    /// Bytes already in memory (a cached, compressed catalog).
    Bytes(Bytes),
}

impl std::fmt::Debug for FileSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Blob { digest, .. } => f.debug_struct("Blob").field("digest", digest).finish(),
            Self::Bytes(bytes) => f.debug_tuple("Bytes").field(&bytes.len()).finish(),
        }
    }
}
