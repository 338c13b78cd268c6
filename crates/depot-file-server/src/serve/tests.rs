use std::time::{Duration, UNIX_EPOCH};

use axum::http::header::{CONTENT_ENCODING, VARY};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use depot_blobs::{BlobStore, Expected, FsBlobStore, Sha256Digest};
use futures_util::StreamExt as _;

use super::serve;
use crate::{FileError, FileMeta, FileSource};

const MODIFIED: &str = "Sun, 06 Nov 1994 08:49:37 GMT";

/// 0, 1, …, 255: ranges are easy to check.
fn data() -> Bytes {
    (0..=255u8).collect::<Vec<u8>>().into()
}

fn meta(length: u64) -> FileMeta {
    FileMeta::new(length, "abc-zstd", "application/octet-stream")
        .unwrap()
        .last_modified(UNIX_EPOCH + Duration::from_secs(784_111_777))
        .header(VARY, HeaderValue::from_static("accept-encoding"))
        .content_header(CONTENT_ENCODING, HeaderValue::from_static("zstd"))
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (name, value) in pairs {
        h.append(*name, HeaderValue::from_str(value).unwrap());
    }
    h
}

fn header<'a>(response: &'a Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .map_or("<missing>", |v| v.to_str().unwrap())
}

async fn body(response: Response) -> Vec<u8> {
    axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec()
}

async fn get(pairs: &[(&'static str, &str)]) -> Result<Response, FileError> {
    serve(
        &Method::GET,
        &headers(pairs),
        &meta(256),
        FileSource::Bytes(data()),
    )
    .await
}

#[tokio::test]
async fn a_plain_get_sends_everything_with_its_headers() {
    let response = get(&[]).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "etag"), "\"abc-zstd\"");
    assert_eq!(header(&response, "last-modified"), MODIFIED);
    assert_eq!(header(&response, "content-length"), "256");
    assert_eq!(
        header(&response, "content-type"),
        "application/octet-stream"
    );
    assert_eq!(header(&response, "accept-ranges"), "bytes");
    assert_eq!(header(&response, "vary"), "accept-encoding");
    assert_eq!(header(&response, "content-encoding"), "zstd");
    assert_eq!(header(&response, "content-range"), "<missing>");
    assert_eq!(body(response).await, data());
}

#[tokio::test]
async fn head_sends_the_get_headers_without_a_body() {
    for range in [None, Some("bytes=10-19")] {
        let pairs: Vec<_> = range.map(|r| ("range", r)).into_iter().collect();
        let got = get(&pairs).await.unwrap();
        let head = serve(
            &Method::HEAD,
            &headers(&pairs),
            &meta(256),
            FileSource::Bytes(data()),
        )
        .await
        .unwrap();
        assert_eq!(head.status(), got.status());
        assert_eq!(head.headers(), got.headers(), "{range:?}");
        assert!(body(head).await.is_empty());
    }
}

#[tokio::test]
async fn single_ranges_in_their_three_forms_give_206() {
    let all = data();
    for (range, from, to) in [
        ("bytes=0-0", 0, 0),
        ("bytes=10-19", 10, 19),
        ("bytes=250-999", 250, 255),
        ("bytes=200-", 200, 255),
        ("bytes=0-", 0, 255),
        ("bytes=-6", 250, 255),
        ("bytes=-1000", 0, 255),
    ] {
        let response = get(&[("range", range)]).await.unwrap();
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            header(&response, "content-range"),
            format!("bytes {from}-{to}/256"),
            "{range}"
        );
        assert_eq!(
            header(&response, "content-length"),
            (to - from + 1).to_string()
        );
        assert_eq!(header(&response, "content-encoding"), "zstd");
        assert_eq!(body(response).await, &all[from..=to], "{range}");
    }
}

#[tokio::test]
async fn unsatisfiable_ranges_are_416_with_the_length() {
    for range in ["bytes=256-", "bytes=300-400", "bytes=-0"] {
        let error = get(&[("range", range)]).await.unwrap_err();
        assert!(
            matches!(error, FileError::RangeNotSatisfiable { length: 256 }),
            "{range}: {error:?}"
        );
        assert_eq!(error.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(error.headers()["content-range"], "bytes */256");
    }
}

#[tokio::test]
async fn other_ranges_are_ignored() {
    for range in ["bytes=0-1,5-6", "bytes=x-y", "items=0-1", "bytes=5-4"] {
        let response = get(&[("range", range)]).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{range}");
        assert_eq!(body(response).await, data());
    }
    let twice = get(&[("range", "bytes=0-1"), ("range", "bytes=2-3")])
        .await
        .unwrap();
    assert_eq!(twice.status(), StatusCode::OK);
}

#[tokio::test]
async fn if_range_decides_between_the_part_and_everything() {
    for (if_range, status) in [
        ("\"abc-zstd\"", StatusCode::PARTIAL_CONTENT),
        (MODIFIED, StatusCode::PARTIAL_CONTENT),
        ("W/\"abc-zstd\"", StatusCode::OK),
        ("\"abc\"", StatusCode::OK),
        ("Sun, 06 Nov 1994 08:49:38 GMT", StatusCode::OK),
    ] {
        let response = get(&[("range", "bytes=0-0"), ("if-range", if_range)])
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{if_range}");
    }
}

#[tokio::test]
async fn not_modified_repeats_the_validators_only() {
    for pairs in [
        vec![("if-none-match", "W/\"abc-zstd\"")],
        vec![("if-none-match", "\"abc-zstd\""), ("range", "bytes=0-0")],
        vec![("if-modified-since", MODIFIED)],
    ] {
        let response = get(&pairs).await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_MODIFIED, "{pairs:?}");
        assert_eq!(header(&response, "etag"), "\"abc-zstd\"");
        assert_eq!(header(&response, "last-modified"), MODIFIED);
        assert_eq!(header(&response, "vary"), "accept-encoding");
        for absent in ["content-encoding", "content-type", "content-length"] {
            assert_eq!(header(&response, absent), "<missing>", "{absent}");
        }
        assert!(body(response).await.is_empty());
    }
    // If-None-Match decides alone: an old tag with a current date is a 200.
    let response = get(&[
        ("if-none-match", "\"old\""),
        ("if-modified-since", MODIFIED),
    ])
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn failed_preconditions_are_412() {
    for pairs in [
        vec![("if-match", "\"other\"")],
        vec![("if-match", "W/\"abc-zstd\"")],
        vec![("if-unmodified-since", "Sun, 06 Nov 1994 08:49:36 GMT")],
    ] {
        let error = get(&pairs).await.unwrap_err();
        assert!(matches!(error, FileError::PreconditionFailed), "{pairs:?}");
        assert_eq!(error.status(), StatusCode::PRECONDITION_FAILED);
    }
    let response = get(&[("if-match", "\"abc-zstd\""), ("range", "bytes=1-1")])
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
}

#[tokio::test]
async fn bytes_of_another_length_are_refused_before_sending() {
    let error = serve(
        &Method::GET,
        &HeaderMap::new(),
        &meta(10),
        FileSource::Bytes(data()),
    )
    .await
    .unwrap_err();
    assert!(matches!(
        error,
        FileError::SizeMismatch {
            expected: 10,
            actual: 256
        }
    ));
}

/// A store holding `content`.
async fn blob(content: &[u8]) -> (FsBlobStore, Sha256Digest, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = FsBlobStore::open(dir.path()).await.unwrap();
    let info = store
        .put(&mut &content[..], Expected::default())
        .await
        .unwrap();
    (store, info.digest, dir)
}

#[tokio::test]
async fn blobs_are_streamed_in_chunks_and_ranged() {
    let content: Vec<u8> = (0..300_000u32)
        .map(|i| u8::try_from(i % 251).unwrap())
        .collect();
    let (store, digest, _dir) = blob(&content).await;
    let meta = FileMeta::new(content.len() as u64, &digest.to_string(), "x/y").unwrap();
    let source = || FileSource::Blob {
        store: &store,
        digest,
    };

    let response = serve(&Method::GET, &HeaderMap::new(), &meta, source())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut chunks = response.into_body().into_data_stream();
    let (mut count, mut received) = (0, Vec::new());
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.unwrap();
        assert!(chunk.len() <= super::CHUNK);
        received.extend_from_slice(&chunk);
        count += 1;
    }
    assert_eq!(received, content);
    assert!(count >= 5, "{count} chunks");

    let h = headers(&[("range", "bytes=100000-100009")]);
    let response = serve(&Method::GET, &h, &meta, source()).await.unwrap();
    assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(body(response).await, &content[100_000..100_010]);
    let h = headers(&[("range", "bytes=-3")]);
    let response = serve(&Method::GET, &h, &meta, source()).await.unwrap();
    assert_eq!(body(response).await, &content[content.len() - 3..]);
}

#[tokio::test]
async fn a_blob_of_another_size_or_a_missing_blob_is_an_error() {
    let (store, digest, _dir) = blob(b"four").await;
    let meta = FileMeta::new(5, &digest.to_string(), "x/y").unwrap();
    let source = FileSource::Blob {
        store: &store,
        digest,
    };
    let error = serve(&Method::GET, &HeaderMap::new(), &meta, source)
        .await
        .unwrap_err();
    assert!(matches!(error, FileError::SizeMismatch { .. }), "{error:?}");

    let missing = Sha256Digest::compute(b"absent");
    let meta = FileMeta::new(6, &missing.to_string(), "x/y").unwrap();
    let source = FileSource::Blob {
        store: &store,
        digest: missing,
    };
    let error = serve(&Method::GET, &HeaderMap::new(), &meta, source)
        .await
        .unwrap_err();
    assert!(matches!(error, FileError::Blob { .. }), "{error:?}");
    assert!(!error.is_client_error());
    // HEAD does not open the blob.
    let source = FileSource::Blob {
        store: &store,
        digest: missing,
    };
    let head = serve(&Method::HEAD, &HeaderMap::new(), &meta, source).await;
    assert_eq!(head.unwrap().status(), StatusCode::OK);
}

#[test]
fn tags_and_dates_are_checked_and_clamped() {
    assert!(matches!(
        FileMeta::new(1, "a\"b", "x/y"),
        Err(FileError::InvalidEntityTag { .. })
    ));
    let weak = FileMeta::new(1, "abc", "x/y").unwrap().weak();
    assert_eq!(weak.etag(), "W/\"abc\"");
    let before = UNIX_EPOCH.checked_sub(Duration::from_secs(5)).unwrap();
    let m = FileMeta::new(1, "abc", "x/y")
        .unwrap()
        .last_modified(before);
    assert_eq!(m.last_modified, Some(0));
    let far = UNIX_EPOCH + Duration::from_secs(400_000_000_000);
    let m = FileMeta::new(1, "abc", "x/y").unwrap().last_modified(far);
    assert_eq!(m.last_modified, Some(253_402_300_799));
}
