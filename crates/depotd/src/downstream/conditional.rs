//! Validators of a depot file and the conditional request headers of RFC 9110 §13
//! that download clients send: `If-None-Match`, `If-Modified-Since` and `If-Range`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use axum::http::header::{IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE};
use depot_blobs::Sha256Digest;
use depot_model::Timestamp;

/// The last second `httpdate` can format (9999-12-31T23:59:59Z); it panics past it.
const MAX_HTTP_DATE: u64 = 253_402_300_799;

/// What identifies the content of a file: its digest (a strong entity tag, since equal
/// digests mean equal bytes) and its modification time at HTTP-date precision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    /// The opaque part of the entity tag: the lower-case SHA-256 hex.
    tag: String,
    /// Whole seconds since the epoch, within what an HTTP-date can express.
    modified: u64,
}

impl Validators {
    /// The validators of content with `digest`, last changed at `modified_at`.
    pub fn new(digest: &Sha256Digest, modified_at: Timestamp) -> Self {
        let seconds = u64::try_from(modified_at.timestamp()).unwrap_or(0);
        Self {
            tag: digest.to_string(),
            modified: seconds.min(MAX_HTTP_DATE),
        }
    }

    /// The `ETag` value.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.tag)
    }

    /// The `Last-Modified` value.
    pub fn last_modified(&self) -> String {
        httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(self.modified))
    }

    /// Whether the request's `If-None-Match` — or, without one, its `If-Modified-Since` —
    /// says the client has this content: the answer is then 304.
    pub fn not_modified(&self, headers: &HeaderMap) -> bool {
        let mut lists = headers.get_all(IF_NONE_MATCH).iter().peekable();
        if lists.peek().is_some() {
            return lists.any(|list| list.to_str().is_ok_and(|l| self.listed(l)));
        }
        single(headers, IF_MODIFIED_SINCE)
            .and_then(http_date)
            .is_some_and(|since| self.modified <= since)
    }

    /// Whether a `Range` may be honoured: true without `If-Range`, or when it names this
    /// content (strong entity-tag comparison, or the exact `Last-Modified` date).
    pub fn range_allowed(&self, headers: &HeaderMap) -> bool {
        if !headers.contains_key(IF_RANGE) {
            return true;
        }
        let Some(value) = single(headers, IF_RANGE) else {
            return false;
        };
        if value.starts_with('"') || value.starts_with("W/") {
            entity_tag(value)
                .is_some_and(|(tag, rest)| !tag.weak && tag.opaque == self.tag && rest.is_empty())
        } else {
            http_date(value) == Some(self.modified)
        }
    }

    /// Whether an `If-None-Match` list holds `*` or a tag that weakly matches ours.
    fn listed(&self, list: &str) -> bool {
        if list.trim() == "*" {
            return true;
        }
        let mut rest = list;
        loop {
            rest = rest.trim_start_matches([' ', '\t', ',']);
            if rest.is_empty() {
                return false;
            }
            let Some((tag, after)) = entity_tag(rest) else {
                return false;
            };
            if tag.opaque == self.tag {
                return true;
            }
            rest = after;
        }
    }
}

/// An entity tag as a client sent it.
struct EntityTag<'a> {
    weak: bool,
    opaque: &'a str,
}

/// Reads one entity tag (`"x"` or `W/"x"`) at the start of `text`; returns it and the
/// trimmed rest.
fn entity_tag(text: &str) -> Option<(EntityTag<'_>, &str)> {
    let (weak, text) = match text.strip_prefix("W/") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (opaque, rest) = text.strip_prefix('"')?.split_once('"')?;
    Some((EntityTag { weak, opaque }, rest.trim()))
}

/// The trimmed value of a header that must occur once; `None` when missing, repeated
/// or not text.
fn single(headers: &HeaderMap, name: axum::http::HeaderName) -> Option<&str> {
    let mut values = headers.get_all(name).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    value.to_str().ok().map(str::trim)
}

/// Seconds since the epoch of an HTTP-date in any of its three forms; `None` when
/// invalid (RFC 9110 then says to ignore the header).
fn http_date(value: &str) -> Option<u64> {
    let time = httpdate::parse_http_date(value).ok()?;
    time.duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn validators() -> Validators {
        let digest: Sha256Digest = "ab".repeat(32).parse().unwrap();
        // Sun, 06 Nov 1994 08:49:37 GMT, plus some milliseconds.
        let at = chrono::DateTime::from_timestamp_millis(784_111_777_250).unwrap();
        Validators::new(&digest, at)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(*name, HeaderValue::from_str(value).unwrap());
        }
        h
    }

    #[test]
    fn formats_validators() {
        let v = validators();
        assert_eq!(v.etag(), format!("\"{}\"", "ab".repeat(32)));
        assert_eq!(v.last_modified(), "Sun, 06 Nov 1994 08:49:37 GMT");
        let before_epoch = chrono::DateTime::from_timestamp(-5, 0).unwrap();
        let digest = Sha256Digest::compute(b"");
        assert_eq!(
            Validators::new(&digest, before_epoch).last_modified(),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }

    #[test]
    fn if_none_match_uses_weak_comparison() {
        let v = validators();
        let tag = "ab".repeat(32);
        for (value, expected) in [
            (format!("\"{tag}\""), true),
            (format!("W/\"{tag}\""), true),
            (format!("\"x\", W/\"y\" ,\"{tag}\""), true),
            ("*".to_owned(), true),
            ("\"x\"".to_owned(), false),
            (tag.clone(), false),
            (String::new(), false),
        ] {
            let h = headers(&[("if-none-match", &value)]);
            assert_eq!(v.not_modified(&h), expected, "{value:?}");
        }
        let h = headers(&[
            ("if-none-match", "\"x\""),
            ("if-none-match", &format!("\"{tag}\"")),
        ]);
        assert!(v.not_modified(&h));
    }

    #[test]
    fn if_modified_since_only_without_if_none_match() {
        let v = validators();
        let at = |date| headers(&[("if-modified-since", date)]);
        assert!(v.not_modified(&at("Sun, 06 Nov 1994 08:49:37 GMT")));
        assert!(v.not_modified(&at("Sunday, 06-Nov-94 08:49:38 GMT")));
        assert!(v.not_modified(&at("Sun Nov  6 08:49:40 1994")));
        assert!(!v.not_modified(&at("Sun, 06 Nov 1994 08:49:36 GMT")));
        assert!(!v.not_modified(&at("yesterday")));
        let both = headers(&[
            ("if-none-match", "\"other\""),
            ("if-modified-since", "Sun, 06 Nov 1994 08:49:37 GMT"),
        ]);
        assert!(!v.not_modified(&both));
    }

    #[test]
    fn if_range_uses_strong_comparison_or_the_exact_date() {
        let v = validators();
        let tag = "ab".repeat(32);
        assert!(v.range_allowed(&HeaderMap::new()));
        for (value, expected) in [
            (format!("\"{tag}\""), true),
            (format!("W/\"{tag}\""), false),
            ("\"x\"".to_owned(), false),
            ("Sun, 06 Nov 1994 08:49:37 GMT".to_owned(), true),
            ("Sun, 06 Nov 1994 08:49:38 GMT".to_owned(), false),
            ("garbage".to_owned(), false),
        ] {
            let h = headers(&[("if-range", &value)]);
            assert_eq!(v.range_allowed(&h), expected, "{value:?}");
        }
    }
}
