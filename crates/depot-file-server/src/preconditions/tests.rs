use std::time::{Duration, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue};

use super::{Precondition, evaluate, range_allowed};
use crate::FileMeta;

/// Sun, 06 Nov 1994 08:49:37 GMT.
const MODIFIED: &str = "Sun, 06 Nov 1994 08:49:37 GMT";

fn tag() -> String {
    "ab".repeat(32)
}

fn meta() -> FileMeta {
    // Plus some milliseconds, which an HTTP-date drops.
    let at = UNIX_EPOCH + Duration::from_millis(784_111_777_250);
    FileMeta::new(10, &tag(), "application/json")
        .unwrap()
        .last_modified(at)
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (name, value) in pairs {
        h.append(*name, HeaderValue::from_str(value).unwrap());
    }
    h
}

fn quoted(tag: &str) -> String {
    format!("\"{tag}\"")
}

#[test]
fn if_none_match_uses_weak_comparison() {
    let tag = tag();
    for m in [meta(), meta().weak()] {
        for (value, expected) in [
            (quoted(&tag), true),
            (format!("W/{}", quoted(&tag)), true),
            (format!("\"x\", W/\"y\" ,{}", quoted(&tag)), true),
            ("*".to_owned(), true),
            ("\"x\"".to_owned(), false),
            (tag.clone(), false),
            (String::new(), false),
        ] {
            let expected = if expected {
                Precondition::NotModified
            } else {
                Precondition::Proceed
            };
            let h = headers(&[("if-none-match", &value)]);
            assert_eq!(evaluate(&h, &m), expected, "{value:?} {}", m.etag());
        }
    }
    let h = headers(&[("if-none-match", "\"x\""), ("if-none-match", &quoted(&tag))]);
    assert_eq!(evaluate(&h, &meta()), Precondition::NotModified);
}

#[test]
fn if_modified_since_only_without_if_none_match() {
    let m = meta();
    let at = |date| evaluate(&headers(&[("if-modified-since", date)]), &m);
    assert_eq!(at(MODIFIED), Precondition::NotModified);
    assert_eq!(
        at("Sunday, 06-Nov-94 08:49:38 GMT"),
        Precondition::NotModified
    );
    assert_eq!(at("Sun Nov  6 08:49:40 1994"), Precondition::NotModified);
    assert_eq!(at("Sun, 06 Nov 1994 08:49:36 GMT"), Precondition::Proceed);
    assert_eq!(at("yesterday"), Precondition::Proceed);
    let both = headers(&[
        ("if-none-match", "\"other\""),
        ("if-modified-since", MODIFIED),
    ]);
    assert_eq!(evaluate(&both, &m), Precondition::Proceed);
    // Without a Last-Modified there is nothing to compare with.
    let undated = FileMeta::new(10, &tag(), "application/json").unwrap();
    let h = headers(&[("if-modified-since", MODIFIED)]);
    assert_eq!(evaluate(&h, &undated), Precondition::Proceed);
}

#[test]
fn if_match_uses_strong_comparison() {
    let tag = tag();
    for (value, expected) in [
        (quoted(&tag), Precondition::Proceed),
        ("*".to_owned(), Precondition::Proceed),
        (format!("\"x\", {}", quoted(&tag)), Precondition::Proceed),
        (format!("W/{}", quoted(&tag)), Precondition::Failed),
        ("\"x\"".to_owned(), Precondition::Failed),
        (tag.clone(), Precondition::Failed),
    ] {
        let h = headers(&[("if-match", &value)]);
        assert_eq!(evaluate(&h, &meta()), expected, "{value:?}");
    }
    // A weak tag of ours never matches strongly, but `*` does.
    let h = headers(&[("if-match", &quoted(&tag))]);
    assert_eq!(evaluate(&h, &meta().weak()), Precondition::Failed);
    let h = headers(&[("if-match", "*")]);
    assert_eq!(evaluate(&h, &meta().weak()), Precondition::Proceed);
}

#[test]
fn if_unmodified_since_only_without_if_match() {
    let m = meta();
    let at = |date| evaluate(&headers(&[("if-unmodified-since", date)]), &m);
    assert_eq!(at(MODIFIED), Precondition::Proceed);
    assert_eq!(at("Sun, 06 Nov 1994 08:49:38 GMT"), Precondition::Proceed);
    assert_eq!(at("Sun, 06 Nov 1994 08:49:36 GMT"), Precondition::Failed);
    assert_eq!(at("not a date"), Precondition::Proceed);
    // If-Match holds: If-Unmodified-Since is not looked at.
    let h = headers(&[
        ("if-match", &quoted(&tag())),
        ("if-unmodified-since", "Sun, 06 Nov 1994 08:49:36 GMT"),
    ]);
    assert_eq!(evaluate(&h, &m), Precondition::Proceed);
}

#[test]
fn a_failed_precondition_wins_over_not_modified() {
    // Step 1 (If-Match) comes before step 3 (If-None-Match).
    let h = headers(&[("if-match", "\"x\""), ("if-none-match", &quoted(&tag()))]);
    assert_eq!(evaluate(&h, &meta()), Precondition::Failed);
    let h = headers(&[
        ("if-match", &quoted(&tag())),
        ("if-none-match", &quoted(&tag())),
    ]);
    assert_eq!(evaluate(&h, &meta()), Precondition::NotModified);
}

#[test]
fn if_range_uses_strong_comparison_or_the_exact_date() {
    let tag = tag();
    assert!(range_allowed(&HeaderMap::new(), &meta()));
    for (value, expected) in [
        (quoted(&tag), true),
        (format!("W/{}", quoted(&tag)), false),
        ("\"x\"".to_owned(), false),
        (MODIFIED.to_owned(), true),
        ("Sun, 06 Nov 1994 08:49:38 GMT".to_owned(), false),
        ("Sun, 06 Nov 1994 08:49:36 GMT".to_owned(), false),
        ("garbage".to_owned(), false),
    ] {
        let h = headers(&[("if-range", &value)]);
        assert_eq!(range_allowed(&h, &meta()), expected, "{value:?}");
    }
    let twice = headers(&[("if-range", &quoted(&tag)), ("if-range", &quoted(&tag))]);
    assert!(!range_allowed(&twice, &meta()));
}

#[test]
fn if_range_never_matches_a_weak_tag_or_a_missing_date() {
    let h = headers(&[("if-range", &quoted(&tag()))]);
    assert!(!range_allowed(&h, &meta().weak()));
    let h = headers(&[("if-range", &format!("W/{}", quoted(&tag())))]);
    assert!(!range_allowed(&h, &meta().weak()));
    let undated = FileMeta::new(10, &tag(), "application/json").unwrap();
    let h = headers(&[("if-range", MODIFIED)]);
    assert!(!range_allowed(&h, &undated));
}
