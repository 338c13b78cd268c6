//! Behaviour every `BlobStore` backend must have. Each check takes `&dyn BlobStore`; the
//! macro at the bottom runs them all against each backend (the file system, and S3 on a
//! real S3-compatible server when one is configured, see `backends`).

use std::collections::HashSet;
use std::time::Duration;

use depot_blobs::{BlobError, BlobStore, ErrorKind, Expected, GcReport, Sha256Digest};

use crate::fixture::{Pieces, data, put_bytes, read_all};

async fn round_trip(store: &dyn BlobStore) {
    let bytes = data(1000, 1);
    let digest = Sha256Digest::compute(&bytes);
    let expect = Expected {
        size: Some(1000),
        sha256: Some(digest),
        max_size: Some(1000),
    };
    let info = put_bytes(store, &bytes, expect).await.expect("put");
    assert_eq!((info.digest, info.size), (digest, 1000));

    assert_eq!(store.stat(&digest).await.expect("stat"), Some(1000));
    let (reader, size) = store.open(&digest).await.expect("open");
    assert_eq!(size, 1000);
    assert_eq!(read_all(reader).await, bytes);
    assert_eq!(store.list().await.expect("list"), vec![info]);
    assert_eq!(store.usage().await.expect("usage"), 1000);

    assert!(store.delete(&digest).await.expect("delete"));
    assert!(!store.delete(&digest).await.expect("second delete"));
    assert_eq!(store.stat(&digest).await.expect("stat"), None);
    let err = store.open(&digest).await.err().expect("open after delete");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(matches!(err, BlobError::NotFound { digest: d } if d == digest));
}

async fn blobs_open_as_seekable_local_files(store: &dyn BlobStore) {
    use std::io::{Read as _, Seek as _, SeekFrom};

    let bytes = data(200_000, 4);
    let info = put_bytes(store, &bytes, Expected::default())
        .await
        .expect("put");
    let mut file = store.open_file(&info.digest).await.expect("open_file");
    let mut tail = Vec::new();
    file.seek(SeekFrom::Start(150_000)).expect("seek");
    file.read_to_end(&mut tail).expect("read");
    assert_eq!(tail, bytes[150_000..]);
    // A file opened before the blob is deleted stays readable.
    assert!(store.delete(&info.digest).await.expect("delete"));
    file.seek(SeekFrom::Start(0)).expect("seek");
    let mut all = Vec::new();
    file.read_to_end(&mut all).expect("read after delete");
    assert_eq!(all, bytes);
    let err = store.open_file(&info.digest).await.expect_err("deleted");
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

async fn whole_blobs_are_read_within_a_limit(store: &dyn BlobStore) {
    let bytes = data(300_000, 9);
    let info = put_bytes(store, &bytes, Expected::default())
        .await
        .expect("put");
    let read = store
        .read_all(&info.digest, 300_000)
        .await
        .expect("read_all");
    assert_eq!(read, bytes);
    let err = store
        .read_all(&info.digest, 299_999)
        .await
        .expect_err("over the limit");
    assert!(
        matches!(err, BlobError::TooLarge { limit: 299_999 }),
        "{err}"
    );
    let missing = Sha256Digest::compute(b"never stored");
    let err = store.read_all(&missing, 10).await.expect_err("missing");
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

async fn digest_is_computed_when_not_given(store: &dyn BlobStore) {
    // Crosses several 256 KiB chunks with reads of an odd size.
    let bytes = data(3 * 256 * 1024 + 12_345, 2);
    let mut reader = Pieces::new(bytes.clone(), 7_777);
    let info = store
        .put(&mut reader, Expected::default())
        .await
        .expect("put");
    assert_eq!(info.digest, Sha256Digest::compute(&bytes));
    assert_eq!(info.size, bytes.len() as u64);
    let (reader, _) = store.open(&info.digest).await.expect("open");
    assert_eq!(read_all(reader).await, bytes);
}

async fn empty_blob(store: &dyn BlobStore) {
    let info = put_bytes(store, b"", Expected::default())
        .await
        .expect("put");
    assert_eq!(
        info.digest.to_string(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(store.stat(&info.digest).await.expect("stat"), Some(0));
    let (reader, size) = store.open(&info.digest).await.expect("open");
    assert_eq!((read_all(reader).await, size), (Vec::new(), 0));
}

async fn identical_content_is_stored_once(store: &dyn BlobStore) {
    let bytes = data(5000, 3);
    let first = put_bytes(store, &bytes, Expected::default())
        .await
        .expect("put");
    let second = put_bytes(store, &bytes, Expected::default())
        .await
        .expect("put again");
    assert_eq!(first, second);
    assert_eq!(store.list().await.expect("list"), vec![first]);
    assert_eq!(store.usage().await.expect("usage"), 5000);
}

async fn list_is_sorted(store: &dyn BlobStore) {
    let mut want = Vec::new();
    for seed in 0..20 {
        want.push(
            put_bytes(
                store,
                &data(100 + usize::from(seed), seed),
                Expected::default(),
            )
            .await
            .expect("put"),
        );
    }
    want.sort();
    assert_eq!(store.list().await.expect("list"), want);
    let total: u64 = want.iter().map(|b| b.size).sum();
    assert_eq!(store.usage().await.expect("usage"), total);
}

async fn ranged_reads(store: &dyn BlobStore) {
    let bytes = data(600_000, 4);
    let info = put_bytes(store, &bytes, Expected::default())
        .await
        .expect("put");
    let d = &info.digest;
    let cases: [(u64, Option<u64>); 7] = [
        (0, None),
        (0, Some(1)),
        (10, Some(20)),
        (300_000, None),
        (599_999, Some(600_000)),
        (600_000, None),
        (42, Some(42)),
    ];
    for (start, end) in cases {
        let (reader, size) = store.open_range(d, start, end).await.expect("open_range");
        assert_eq!(size, 600_000, "total size for {start}..{end:?}");
        let index = |i: u64| usize::try_from(i).expect("test offsets fit in usize");
        let want = &bytes[index(start)..end.map_or(bytes.len(), index)];
        assert_eq!(read_all(reader).await, want, "range {start}..{end:?}");
    }
    for (start, end) in [(600_001, None), (0, Some(600_001)), (20, Some(10))] {
        let err = store
            .open_range(d, start, end)
            .await
            .err()
            .expect("bad range");
        assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
        assert!(
            matches!(err, BlobError::RangeNotSatisfiable { size: 600_000, .. }),
            "{err:?}"
        );
    }
    let missing = Sha256Digest::compute(b"missing");
    let err = store
        .open_range(&missing, 0, None)
        .await
        .err()
        .expect("missing");
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

async fn rejected_puts_leave_nothing(store: &dyn BlobStore) {
    let bytes = data(10_000, 5);
    let wrong = Sha256Digest::compute(b"something else");
    let cases = [
        Expected {
            size: Some(9_999),
            ..Expected::default()
        },
        Expected {
            size: Some(10_001),
            ..Expected::default()
        },
        Expected {
            sha256: Some(wrong),
            ..Expected::default()
        },
        Expected {
            max_size: Some(9_999),
            ..Expected::default()
        },
        Expected {
            size: Some(10_000),
            max_size: Some(100),
            ..Expected::default()
        },
    ];
    for expect in cases {
        let err = put_bytes(store, &bytes, expect)
            .await
            .expect_err("rejected");
        assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
    }
    assert_eq!(store.list().await.expect("list"), Vec::new());
    assert_eq!(
        store
            .stat(&Sha256Digest::compute(&bytes))
            .await
            .expect("stat"),
        None
    );
}

async fn gc_keeps_referenced_and_fresh(store: &dyn BlobStore) {
    let a = put_bytes(store, b"a", Expected::default())
        .await
        .expect("put a");
    let b = put_bytes(store, b"bb", Expected::default())
        .await
        .expect("put b");
    let keep: HashSet<Sha256Digest> = [a.digest].into();
    let referenced = |d: &Sha256Digest| keep.contains(d);

    let fresh = store
        .collect_garbage(&referenced, Duration::from_hours(1))
        .await
        .expect("gc with grace");
    assert_eq!(
        fresh,
        GcReport {
            removed: 0,
            bytes_freed: 0,
            kept: 2,
            bytes_kept: 3,
        }
    );

    let swept = store
        .collect_garbage(&referenced, Duration::ZERO)
        .await
        .expect("gc without grace");
    assert_eq!(
        swept,
        GcReport {
            removed: 1,
            bytes_freed: 2,
            kept: 1,
            bytes_kept: 1,
        }
    );
    assert_eq!(store.list().await.expect("list"), vec![a]);
    assert_eq!(store.stat(&b.digest).await.expect("stat"), None);
}

async fn check_writable(store: &dyn BlobStore) {
    store.check_writable().await.expect("writable");
    store.check_writable().await.expect("still writable");
    assert_eq!(store.list().await.expect("list"), Vec::new());
}

async fn capacity_is_consistent(store: &dyn BlobStore) {
    // A backend may not know its size (`None`); one that does never reports more free
    // space than there is.
    if let Some(c) = store.capacity().await.expect("capacity") {
        assert!(c.total >= c.free, "{c:?}");
        assert!(c.total > 0, "{c:?}");
        put_bytes(store, &data(4096, 3), Expected::default())
            .await
            .expect("put");
        let after = store
            .capacity()
            .await
            .expect("capacity after a put")
            .expect("a backend that knew its size still knows it");
        assert_eq!(after.total, c.total);
    }
}

/// Blobs larger than an object store's part (8 MiB), with and without their digest
/// known up front, read back whole and in a range that spans a part boundary.
async fn large_blobs_span_several_parts(store: &dyn BlobStore) {
    let _heavy = crate::memory::MEMORY.read().await;
    let bytes = data(9 * 1024 * 1024 + 5, 8);
    let digest = Sha256Digest::compute(&bytes);
    let known = Expected {
        size: Some(bytes.len() as u64),
        sha256: Some(digest),
        max_size: None,
    };
    for expect in [known, Expected::default()] {
        let mut reader = Pieces::new(bytes.clone(), 100_000);
        let info = store.put(&mut reader, expect).await.expect("put");
        assert_eq!((info.digest, info.size), (digest, bytes.len() as u64));
        let (reader, _) = store.open(&digest).await.expect("open");
        assert!(read_all(reader).await == bytes, "whole blob differs");
        let (start, end) = (8 * 1024 * 1024 - 10, 8 * 1024 * 1024 + 10);
        let (reader, size) = store
            .open_range(&digest, start, Some(end))
            .await
            .expect("range");
        assert_eq!(size, bytes.len() as u64);
        assert_eq!(
            read_all(reader).await,
            bytes[8 * 1024 * 1024 - 10..8 * 1024 * 1024 + 10]
        );
        assert!(store.delete(&digest).await.expect("delete"));
    }
    // A wrong digest announced up front: nothing becomes visible.
    let wrong = Expected {
        sha256: Some(Sha256Digest::compute(b"other")),
        ..Expected::default()
    };
    let mut reader = Pieces::new(bytes.clone(), 1 << 20);
    let err = store
        .put(&mut reader, wrong)
        .await
        .expect_err("wrong digest");
    assert!(matches!(err, BlobError::DigestMismatch { .. }), "{err}");
    assert_eq!(store.list().await.expect("list"), Vec::new());
}

/// Runs every check against a backend: `$make` is an async expression giving an
/// `Option<Harness>` (`None`: the backend is not available here, skip).
macro_rules! conformance {
    ($backend:ident, $make:expr, [$($check:ident),* $(,)?]) => {
        mod $backend {
            $(
                #[tokio::test]
                async fn $check() {
                    let Some(harness) = $make.await else { return };
                    super::$check(harness.store.as_ref()).await;
                }
            )*
        }
    };
}

/// Every check, on every backend.
macro_rules! all_backends {
    ($($backend:ident = $make:expr),* $(,)?) => {
        $(
            conformance!(
                $backend,
                $make,
                [
                    round_trip,
                    blobs_open_as_seekable_local_files,
                    whole_blobs_are_read_within_a_limit,
                    digest_is_computed_when_not_given,
                    empty_blob,
                    identical_content_is_stored_once,
                    list_is_sorted,
                    ranged_reads,
                    rejected_puts_leave_nothing,
                    gc_keeps_referenced_and_fresh,
                    check_writable,
                    capacity_is_consistent,
                    large_blobs_span_several_parts,
                ]
            );
        )*
    };
}

all_backends!(fs = crate::backends::fs(), s3 = crate::backends::s3());
