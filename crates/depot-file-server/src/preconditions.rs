//! The conditional request headers of RFC 9110 §13, evaluated in the order of §13.2.2:
//! `If-Match`, `If-Unmodified-Since`, `If-None-Match`, `If-Modified-Since`, then
//! `If-Range` for a `Range`.

use std::time::UNIX_EPOCH;

use axum::http::header::{IF_MATCH, IF_NONE_MATCH, IF_RANGE};
use axum::http::{HeaderMap, HeaderName};
use headers::{
    HeaderMapExt as _, IfMatch, IfModifiedSince, IfNoneMatch, IfRange, IfUnmodifiedSince,
};

use crate::FileMeta;

/// What the preconditions (§13.2.2 steps 1–4) decide for a GET or HEAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// Send the file (or the range asked for).
    Proceed,
    /// The client's copy is current: 304.
    NotModified,
    /// `If-Match` or `If-Unmodified-Since` does not hold: 412.
    Failed,
}

/// Evaluates `If-Match` (strong comparison), else `If-Unmodified-Since`; then
/// `If-None-Match` (weak comparison), else `If-Modified-Since`.
///
/// A date condition is ignored when the file has no `Last-Modified` or the date is not
/// a valid, single HTTP-date (RFC 9110 §13.1.3, §13.1.4).
pub fn evaluate(headers: &HeaderMap, meta: &FileMeta) -> Precondition {
    let modified = meta.modified_time();
    if headers.contains_key(IF_MATCH) {
        // A list that does not parse names no tag of ours.
        let holds = headers
            .typed_get::<IfMatch>()
            .is_some_and(|condition| condition.precondition_passes(&meta.etag));
        if !holds {
            return Precondition::Failed;
        }
    } else if let (Some(since), Some(modified)) =
        (headers.typed_get::<IfUnmodifiedSince>(), modified)
        && !since.precondition_passes(modified)
    {
        return Precondition::Failed;
    }
    if headers.contains_key(IF_NONE_MATCH) {
        let listed = headers
            .typed_get::<IfNoneMatch>()
            .is_some_and(|condition| !condition.precondition_passes(&meta.etag));
        return if listed {
            Precondition::NotModified
        } else {
            Precondition::Proceed
        };
    }
    match (headers.typed_get::<IfModifiedSince>(), modified) {
        (Some(since), Some(modified)) if !since.is_modified(modified) => Precondition::NotModified,
        _ => Precondition::Proceed,
    }
}

/// Whether a `Range` may be honoured: true without `If-Range`, or when it names this
/// representation — an entity tag by strong comparison (a weak tag on either side never
/// matches), or exactly the `Last-Modified` date (RFC 9110 §13.1.5).
pub fn range_allowed(headers: &HeaderMap, meta: &FileMeta) -> bool {
    if !headers.contains_key(IF_RANGE) {
        return true;
    }
    let Some(value) = single(headers, IF_RANGE) else {
        return false;
    };
    if value.starts_with('"') || value.starts_with("W/") {
        headers
            .typed_get::<IfRange>()
            .is_some_and(|condition| !condition.is_modified(Some(&meta.etag), None))
    } else {
        let date = httpdate::parse_http_date(value)
            .ok()
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .map(|since| since.as_secs());
        meta.last_modified.is_some_and(|at| date == Some(at))
    }
}

/// The trimmed value of a header that must occur once; `None` when missing, repeated
/// or not text.
fn single(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    let mut values = headers.get_all(name).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    value.to_str().ok().map(str::trim)
}

#[cfg(test)]
mod tests;
