//! Staged writes: written in pieces, restarted, checked and committed like a `put`, and
//! leaving nothing behind when they fail, are aborted or are dropped — on every backend
//! (the macro at the bottom), plus a file-system detail.

use depot_blobs::{
    BlobError, BlobStore, Checksum, ChecksumAlgorithm, Expected, Sha256Digest, StagedWrite,
};

use crate::backends::Harness;
use crate::fixture::{data, new_store, put_bytes, read_all, tmp_files};

/// Writes `bytes` in pieces of `piece` bytes.
async fn write_in_pieces(staged: &mut dyn StagedWrite, bytes: &[u8], piece: usize) {
    for chunk in bytes.chunks(piece) {
        staged.write(chunk).await.expect("write");
    }
}

async fn pieces_commit_to_the_same_blob_as_a_put(h: &Harness) {
    let store = h.store.as_ref();
    // Larger than the store's write chunk, in pieces that do not divide it.
    let bytes = data(700_001, 3);
    let digest = Sha256Digest::compute(&bytes);
    let expect = Expected {
        size: Some(700_001),
        sha256: Some(digest),
        max_size: Some(1 << 20),
    };
    let mut staged = store.stage(expect, None).await.expect("stage");
    assert!(staged.is_empty());
    write_in_pieces(staged.as_mut(), &bytes, 65_537).await;
    assert_eq!(staged.len(), 700_001);
    assert_eq!(
        store.list().await.expect("list"),
        [],
        "invisible before commit"
    );

    let info = staged.commit().await.expect("commit");
    assert_eq!((info.digest, info.size), (digest, 700_001));
    let (reader, _) = store.open(&digest).await.expect("open");
    assert_eq!(read_all(reader).await, bytes);
    assert!(h.leftovers().await.is_empty());

    // The same content again: stored once.
    let again = put_bytes(store, &bytes, Expected::default())
        .await
        .expect("put");
    assert_eq!(again, info);
    assert_eq!(store.list().await.expect("list"), [info]);
}

async fn a_restart_forgets_what_was_written(h: &Harness) {
    let store = h.store.as_ref();
    let mut staged = store.stage(Expected::default(), None).await.expect("stage");
    write_in_pieces(staged.as_mut(), &data(300_000, 1), 100_000).await;
    staged.restart().await.expect("restart");
    assert_eq!(staged.len(), 0);
    let bytes = data(1000, 2);
    staged.write(&bytes).await.expect("write");
    let info = staged.commit().await.expect("commit");
    assert_eq!(info.digest, Sha256Digest::compute(&bytes));
    let (reader, size) = store.open(&info.digest).await.expect("open");
    assert_eq!((read_all(reader).await, size), (bytes, 1000));
    assert!(h.leftovers().await.is_empty());
}

async fn limits_fail_the_write_that_passes_them(h: &Harness) {
    let store = h.store.as_ref();
    let capped = Expected {
        max_size: Some(10),
        ..Expected::default()
    };
    let mut staged = store.stage(capped, None).await.expect("stage");
    staged.write(b"0123456789").await.expect("at the cap");
    let err = staged.write(b"x").await.expect_err("past the cap");
    assert!(matches!(err, BlobError::TooLarge { limit: 10 }), "{err}");
    assert_eq!(staged.len(), 10, "the refused piece is not accepted");
    staged.abort().await;

    let sized = Expected {
        size: Some(4),
        ..Expected::default()
    };
    let mut staged = store.stage(sized, None).await.expect("stage");
    let err = staged
        .write(b"12345")
        .await
        .expect_err("longer than announced");
    assert!(
        matches!(
            err,
            BlobError::SizeMismatch {
                expected: 4,
                actual: 5
            }
        ),
        "{err}"
    );
    staged.write(b"123").await.expect("shorter is fine so far");
    let err = staged.commit().await.expect_err("short at commit");
    assert!(
        matches!(
            err,
            BlobError::SizeMismatch {
                expected: 4,
                actual: 3
            }
        ),
        "{err}"
    );
    h.assert_empty().await;

    let err = store
        .stage(
            Expected {
                size: Some(11),
                max_size: Some(10),
                sha256: None,
            },
            None,
        )
        .await
        .err()
        .expect("announced size over the cap");
    assert!(matches!(err, BlobError::TooLarge { limit: 10 }), "{err}");
}

async fn a_wrong_digest_or_checksum_commits_nothing(h: &Harness) {
    let store = h.store.as_ref();
    let wrong = Expected {
        sha256: Some(Sha256Digest::compute(b"something else")),
        ..Expected::default()
    };
    let mut staged = store.stage(wrong, None).await.expect("stage");
    write_in_pieces(staged.as_mut(), &data(400_000, 4), 30_000).await;
    let err = staged.commit().await.expect_err("digest");
    assert!(matches!(err, BlobError::DigestMismatch { .. }), "{err}");
    h.assert_empty().await;

    let sha1_abc = "a9993e364706816aba3e25717850c26c9cd0d89d";
    let declared = Checksum::from_hex(ChecksumAlgorithm::Sha1, sha1_abc).expect("sha1");
    let mut staged = store
        .stage(Expected::default(), Some(declared.clone()))
        .await
        .expect("stage");
    staged.write(b"abd").await.expect("write");
    let err = staged.commit().await.expect_err("checksum");
    assert!(matches!(err, BlobError::ChecksumMismatch(_)), "{err}");
    h.assert_empty().await;

    // The declared checksum spans a restart correctly.
    let mut staged = store
        .stage(Expected::default(), Some(declared))
        .await
        .expect("stage");
    staged.write(b"xy").await.expect("write");
    staged.restart().await.expect("restart");
    staged.write(b"a").await.expect("write");
    staged.write(b"bc").await.expect("write");
    let info = staged.commit().await.expect("abc matches its SHA-1");
    assert_eq!(info.digest, Sha256Digest::compute(b"abc"));
}

async fn abort_and_drop_leave_nothing(h: &Harness) {
    let store = h.store.as_ref();
    let mut staged = store.stage(Expected::default(), None).await.expect("stage");
    // More than an object store's part: something is in flight when it is aborted.
    write_in_pieces(staged.as_mut(), &data(9_000_000, 5), 200_000).await;
    assert!(!h.leftovers().await.is_empty());
    staged.abort().await;
    h.assert_empty().await;

    let mut staged = store.stage(Expected::default(), None).await.expect("stage");
    write_in_pieces(staged.as_mut(), &data(9_000_000, 6), 200_000).await;
    drop(staged);
    h.assert_empty().await;
}

#[tokio::test]
async fn a_write_that_reaches_its_expected_size_is_on_disk_before_commit() {
    let (dir, store) = new_store().await;
    // Not a multiple of the store's write chunk: a tail stays to be written.
    let bytes = data(300_001, 4);
    let expect = Expected {
        size: Some(300_001),
        ..Expected::default()
    };
    let mut staged = store.stage(expect, None).await.expect("stage");
    write_in_pieces(staged.as_mut(), &bytes, 100_000).await;
    let temp = tmp_files(dir.path());
    assert_eq!(temp.len(), 1);
    let on_disk = std::fs::metadata(&temp[0]).expect("temp file").len();
    assert_eq!(
        on_disk, 300_001,
        "the tail was written when the size was reached"
    );
    let info = staged.commit().await.expect("commit");
    assert_eq!(info.digest, Sha256Digest::compute(&bytes));
}

/// Runs the staged-write checks against each backend (`None`: not available, skip).
macro_rules! staged_on {
    ($($backend:ident = $make:expr),* $(,)?) => {
        $(
            mod $backend {
                crate::staged::staged_on!(@tests $make, [
                    pieces_commit_to_the_same_blob_as_a_put,
                    a_restart_forgets_what_was_written,
                    limits_fail_the_write_that_passes_them,
                    a_wrong_digest_or_checksum_commits_nothing,
                    abort_and_drop_leave_nothing,
                ]);
            }
        )*
    };
    (@tests $make:expr, [$($check:ident),* $(,)?]) => {
        $(
            #[tokio::test]
            async fn $check() {
                let Some(harness) = $make.await else { return };
                crate::staged::$check(&harness).await;
            }
        )*
    };
}
pub(crate) use staged_on;

staged_on!(fs = crate::backends::fs(), s3 = crate::backends::s3());
