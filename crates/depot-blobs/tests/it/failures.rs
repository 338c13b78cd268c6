//! Failed, oversized and cancelled writes leave no blob and no temp file (file-system store).

use std::time::Duration;

use depot_blobs::{
    BlobError, BlobStore, Checksum, ChecksumAlgorithm, ErrorKind, Expected, FsBlobStore,
    Sha256Digest, Verifying,
};
use tokio::io::AsyncWriteExt as _;

use crate::fixture::{
    FailingAfter, Pieces, assert_empty, data, new_store, put_bytes, tmp_files, wait_for_temp_data,
};

#[tokio::test]
async fn size_mismatch_leaves_nothing() {
    let (dir, store) = new_store().await;
    let bytes = data(600_000, 1);
    for size in [599_999, 600_001, 0] {
        let expect = Expected {
            size: Some(size),
            ..Expected::default()
        };
        let err = put_bytes(&store, &bytes, expect)
            .await
            .expect_err("size mismatch");
        assert!(
            matches!(err, BlobError::SizeMismatch { expected, .. } if expected == size),
            "{err:?}"
        );
        assert_eq!(err.kind(), ErrorKind::Invalid);
    }
    assert_empty(dir.path(), &store).await;
}

#[tokio::test]
async fn a_declared_checksum_is_checked_before_anything_is_stored() {
    let (dir, store) = new_store().await;
    let bytes = data(3_000_000, 9);
    let sha1 = |b: &[u8]| {
        use sha1::Digest as _;
        hex::encode(sha1::Sha1::digest(b))
    };
    let wrong = Checksum::from_hex(ChecksumAlgorithm::Sha1, &sha1(b"other")).unwrap();
    let mut reader = Verifying::new(&bytes[..], Some(wrong.clone()));
    let progress = reader.progress();
    let err = store
        .put(&mut reader, Expected::default())
        .await
        .expect_err("checksum mismatch");
    let BlobError::ChecksumMismatch(mismatch) = &err else {
        panic!("unexpected error {err:?}");
    };
    assert_eq!(mismatch.expected, wrong);
    assert_eq!(mismatch.actual.hex(), sha1(&bytes));
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert_eq!(
        progress.bytes(),
        3_000_000,
        "every byte was read and counted"
    );
    assert_empty(dir.path(), &store).await;

    let right = Checksum::from_hex(ChecksumAlgorithm::Sha1, &sha1(&bytes)).unwrap();
    let mut reader = Verifying::new(&bytes[..], Some(right));
    let info = store.put(&mut reader, Expected::default()).await.unwrap();
    assert_eq!(info.digest, Sha256Digest::compute(&bytes));
}

#[tokio::test]
async fn digest_mismatch_leaves_nothing() {
    let (dir, store) = new_store().await;
    let bytes = data(600_000, 2);
    let wrong = Sha256Digest::compute(b"not it");
    let expect = Expected {
        sha256: Some(wrong),
        size: Some(600_000),
        max_size: None,
    };
    let err = put_bytes(&store, &bytes, expect)
        .await
        .expect_err("digest mismatch");
    let BlobError::DigestMismatch { expected, actual } = err else {
        panic!("unexpected error {err:?}");
    };
    assert_eq!((expected, actual), (wrong, Sha256Digest::compute(&bytes)));
    assert_empty(dir.path(), &store).await;
}

#[tokio::test]
async fn endless_data_is_cut_off_at_the_limit() {
    let (dir, store) = new_store().await;
    // `repeat` never ends: these puts only return because the limit is enforced while
    // streaming.
    let mut endless = tokio::io::repeat(b'x');
    let expect = Expected {
        max_size: Some(1_000_000),
        ..Expected::default()
    };
    let err = store
        .put(&mut endless, expect)
        .await
        .expect_err("too large");
    assert!(
        matches!(err, BlobError::TooLarge { limit: 1_000_000 }),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Invalid);

    let expect = Expected {
        size: Some(1_000_000),
        ..Expected::default()
    };
    let err = store
        .put(&mut endless, expect)
        .await
        .expect_err("longer than announced");
    assert!(
        matches!(
            err,
            BlobError::SizeMismatch {
                expected: 1_000_000,
                ..
            }
        ),
        "{err:?}"
    );
    assert_empty(dir.path(), &store).await;
}

#[tokio::test]
async fn announced_size_over_the_limit_is_rejected_before_reading() {
    let (dir, store) = new_store().await;
    let mut endless = tokio::io::repeat(b'x');
    let expect = Expected {
        size: Some(101),
        max_size: Some(100),
        sha256: None,
    };
    let err = store
        .put(&mut endless, expect)
        .await
        .expect_err("too large");
    assert!(matches!(err, BlobError::TooLarge { limit: 100 }), "{err:?}");
    assert_empty(dir.path(), &store).await;
}

#[tokio::test]
async fn reader_error_leaves_nothing() {
    let (dir, store) = new_store().await;
    let mut reader = FailingAfter {
        good: Pieces::new(data(700_000, 3), 50_000),
    };
    let err = store
        .put(&mut reader, Expected::default())
        .await
        .expect_err("reader fails");
    assert!(matches!(err, BlobError::Source { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert_empty(dir.path(), &store).await;
}

#[tokio::test]
async fn cancelled_put_leaves_nothing() {
    let (dir, store) = new_store().await;
    let (mut writer, mut reader) = tokio::io::duplex(64 * 1024);
    let feed = tokio::spawn(async move {
        // Fails once the reader is dropped (below) if the put had not read it all.
        let _ = writer.write_all(&data(600_000, 4)).await;
        writer // keep the stream open: the put waits forever
    });
    let put = store.put(&mut reader, Expected::default());
    let raced = tokio::time::timeout(Duration::from_mins(1), async {
        tokio::select! {
            _ = put => panic!("put finished without end of data"),
            path = wait_for_temp_data(dir.path()) => path,
        }
    })
    .await
    .expect("temp file appears");
    // `select!` dropped the put future: the temp file must be gone.
    assert!(!raced.exists(), "{} left behind", raced.display());
    // Nobody reads any more: a feed still writing must not wait for ever.
    drop(reader);
    drop(feed.await.expect("feed task"));
    assert_empty(dir.path(), &store).await;
}

#[tokio::test]
async fn open_removes_temp_files_of_an_earlier_process() {
    let (dir, store) = new_store().await;
    let kept = put_bytes(&store, b"kept", Expected::default())
        .await
        .expect("put");
    drop(store);
    let tmp = dir.path().join("tmp");
    std::fs::write(tmp.join("999-0123456789abcdef-put-0"), b"half a blob").expect("write");
    std::fs::write(tmp.join("leftover"), b"junk").expect("write");
    assert_eq!(tmp_files(dir.path()).len(), 2);

    let store = FsBlobStore::open(dir.path()).await.expect("reopen");
    assert!(tmp_files(dir.path()).is_empty());
    assert_eq!(store.list().await.expect("list"), vec![kept]);
}
