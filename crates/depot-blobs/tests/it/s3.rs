//! The S3 store's own behaviour on a real S3-compatible server: uploads abandoned by
//! another replica, and the errors of a missing bucket, wrong credentials and a dead
//! endpoint.

use std::time::Duration;

use depot_blobs::{BlobStore, ErrorKind, Expected, GcReport, S3BlobStore, S3Credentials};

use crate::backends::{random_prefix, s3_env};
use crate::fixture::{data, put_bytes, read_all};

/// The keys under `<prefix>/staging/`.
async fn staging(env: &crate::backends::S3Env, prefix: &str) -> Vec<String> {
    use futures_util::TryStreamExt as _;
    use object_store::ObjectStore as _;
    let staging = object_store::path::Path::from(format!("{prefix}/staging"));
    env.raw()
        .list(Some(&staging))
        .map_ok(|m| m.location.to_string())
        .try_collect()
        .await
        .expect("list staging")
}

#[tokio::test]
async fn gc_aborts_uploads_abandoned_by_another_replica_after_grace() {
    let Some(env) = s3_env() else { return };
    let prefix = random_prefix();
    let spool = tempfile::tempdir().expect("tempdir");
    let a = S3BlobStore::new(&env.config(&prefix, spool.path().to_owned())).expect("a");
    let b = S3BlobStore::new(&env.config(&prefix, spool.path().to_owned())).expect("b");

    // Replica A is in the middle of a multipart write (more than one part sent).
    let mut staged = a.stage(Expected::default(), None).await.expect("stage");
    let bytes = data(9_000_000, 3);
    for piece in bytes.chunks(1 << 20) {
        staged.write(piece).await.expect("write");
    }
    let markers = staging(&env, &prefix).await;
    assert_eq!(markers.len(), 1, "one upload marker: {markers:?}");

    // Within the grace period nobody touches it; A's own GC never does.
    let report = b
        .collect_garbage(&|_| false, Duration::from_hours(1))
        .await
        .expect("gc b");
    assert_eq!(report, GcReport::default());
    a.collect_garbage(&|_| false, Duration::ZERO)
        .await
        .expect("gc a");
    assert_eq!(staging(&env, &prefix).await, markers);

    // A is gone (as if killed: its write is never finished); past the grace period B
    // aborts the upload and removes the marker.
    std::mem::forget(staged);
    b.collect_garbage(&|_| false, Duration::ZERO)
        .await
        .expect("gc b");
    assert_eq!(staging(&env, &prefix).await, Vec::<String>::new());
    assert_eq!(b.list().await.expect("list"), Vec::new());
}

#[tokio::test]
async fn a_commit_whose_upload_was_aborted_fails_and_shows_nothing() {
    let Some(env) = s3_env() else { return };
    let prefix = random_prefix();
    let spool = tempfile::tempdir().expect("tempdir");
    let a = S3BlobStore::new(&env.config(&prefix, spool.path().to_owned())).expect("a");
    let b = S3BlobStore::new(&env.config(&prefix, spool.path().to_owned())).expect("b");
    let bytes = data(9_000_000, 4);
    let mut staged = a.stage(Expected::default(), None).await.expect("stage");
    staged.write(&bytes).await.expect("write");
    // B's GC with no grace at all (a misconfiguration) aborts A's upload.
    b.collect_garbage(&|_| false, Duration::ZERO)
        .await
        .expect("gc b");
    let err = staged.commit().await.expect_err("the upload is gone");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert_eq!(a.list().await.expect("list"), Vec::new());
    // The store still works.
    let info = put_bytes(&a, &bytes, Expected::default())
        .await
        .expect("put");
    let (reader, _) = a.open(&info.digest).await.expect("open");
    assert!(read_all(reader).await == bytes);
}

#[tokio::test]
async fn missing_bucket_wrong_credentials_and_dead_endpoint_fail_the_probe() {
    let Some(env) = s3_env() else { return };
    let spool = tempfile::tempdir().expect("tempdir");
    let good = env.config(&random_prefix(), spool.path().to_owned());

    let mut missing = good.clone();
    missing.bucket = "no-such-bucket".to_owned();
    let mut wrong = good.clone();
    wrong.credentials = Some(S3Credentials {
        access_key_id: env.credentials.access_key_id.clone(),
        secret_access_key: "wrong".to_owned(),
    });
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut dead = good.clone();
    dead.endpoint = Some(format!("http://127.0.0.1:{dead_port}"));

    for (what, config, says) in [
        ("missing bucket", missing, "the bucket does not exist"),
        ("wrong credentials", wrong, "the credentials were refused"),
        ("dead endpoint", dead, "the endpoint is unreachable"),
    ] {
        let store = S3BlobStore::new(&config).expect("store");
        let started = std::time::Instant::now();
        let err = store.check_writable().await.expect_err(what);
        assert_eq!(err.kind(), ErrorKind::Unavailable, "{what}: {err}");
        assert!(err.to_string().contains(says), "{what}: {err}");
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{what} took {:?}",
            started.elapsed()
        );
    }
    S3BlobStore::new(&good)
        .expect("store")
        .check_writable()
        .await
        .expect("good config");
}

/// Reads long enough to go in parallel ranges (more than two 8 MiB ranges, not a
/// multiple of one) come back whole and in order — whole, as a range starting and ending
/// inside ranges, and by more readers at once than may read in parallel (the others
/// stream one GET).
#[tokio::test]
async fn long_reads_in_parallel_ranges_come_back_whole_and_in_order() {
    let Some(env) = s3_env() else { return };
    // Some 700 MiB in memory at once: not while a memory test measures.
    let _heavy = crate::memory::MEMORY.read().await;
    let prefix = random_prefix();
    let spool = tempfile::tempdir().expect("tempdir");
    let store = S3BlobStore::new(&env.config(&prefix, spool.path().to_owned())).expect("store");
    let bytes = data(41 * 1024 * 1024 + 12_345, 9);
    let info = put_bytes(&store, &bytes, Expected::default())
        .await
        .expect("put");

    let (reader, size) = store.open(&info.digest).await.expect("open");
    assert_eq!(size, bytes.len() as u64);
    assert!(read_all(reader).await == bytes, "the whole blob differs");

    let (start, end) = (3 * 1024 * 1024 + 7, 37 * 1024 * 1024 + 3);
    let (reader, size) = store
        .open_range(&info.digest, start, Some(end))
        .await
        .expect("open range");
    assert_eq!(size, bytes.len() as u64);
    assert!(
        read_all(reader).await
            == bytes[usize::try_from(start).unwrap()..usize::try_from(end).unwrap()],
        "the range differs"
    );

    // Twelve readers at once: eight read in parallel ranges, four stream.
    let mut readers = Vec::new();
    for _ in 0..12 {
        readers.push(store.open(&info.digest).await.expect("open").0);
    }
    let reads = futures_util::future::join_all(readers.into_iter().map(read_all)).await;
    for (i, read) in reads.iter().enumerate() {
        assert!(*read == bytes, "reader {i} read other bytes");
    }
}
