//! The S3 store against a failing object store (a fault proxy in front of the S3 test
//! server): 500s that stop are retried through; a server that disappears mid-write
//! fails the write as retriable, with nothing visible, and its staging is cleaned up
//! once the server is back.

use std::time::Duration;

use depot_blobs::{BlobStore, ErrorKind, Expected, S3BlobStore, Sha256Digest};

use crate::backends::{random_prefix, s3_env};
use crate::fault_proxy::FaultProxy;
use crate::fixture::{Pieces, data, read_all};

#[tokio::test]
async fn a_write_through_500s_that_stop_succeeds() {
    let Some(env) = s3_env() else { return };
    let _heavy = crate::memory::MEMORY.read().await;
    let proxy = FaultProxy::start(&env.endpoint).await;
    let prefix = random_prefix();
    let spool = tempfile::tempdir().expect("tempdir");
    let mut config = env.config(&prefix, spool.path().to_owned());
    config.endpoint = Some(proxy.url.clone());
    // Small (one PUT) and large (multipart: create, marker, parts, complete).
    for (len, seed) in [(100_000, 1), (9 * 1024 * 1024, 2)] {
        // A new client each time: the proxy fails new connections only.
        let store = S3BlobStore::new(&config).expect("store");
        let bytes = data(len, seed);
        proxy
            .faults
            .fail_next
            .store(3, std::sync::atomic::Ordering::SeqCst);
        let mut reader = Pieces::new(bytes.clone(), 1 << 20);
        let info = store
            .put(&mut reader, Expected::default())
            .await
            .expect("the retried write succeeds");
        assert_eq!(info.digest, Sha256Digest::compute(&bytes));
        assert_eq!(
            proxy
                .faults
                .fail_next
                .load(std::sync::atomic::Ordering::SeqCst),
            0
        );
        let (reader, _) = store.open(&info.digest).await.expect("open");
        assert!(read_all(reader).await == bytes, "read back differs");
    }
}

#[tokio::test]
async fn a_server_that_disappears_mid_write_fails_it_as_retriable_and_shows_nothing() {
    let Some(env) = s3_env() else { return };
    let _heavy = crate::memory::MEMORY.read().await;
    let proxy = FaultProxy::start(&env.endpoint).await;
    let prefix = random_prefix();
    let spool = tempfile::tempdir().expect("tempdir");
    let mut config = env.config(&prefix, spool.path().to_owned());
    config.endpoint = Some(proxy.url.clone());
    let store = S3BlobStore::new(&config).expect("through the proxy");
    // Looks at the bucket directly, as another replica would.
    let direct = S3BlobStore::new(&env.config(&prefix, spool.path().to_owned())).expect("direct");

    let old = data(5000, 9);
    let old = store
        .put(&mut old.as_slice(), Expected::default())
        .await
        .expect("a blob from before");

    // Dies after about 1.5 parts of a 24 MiB write.
    proxy.faults.die_after(12 * 1024 * 1024);
    let bytes = data(24 * 1024 * 1024, 3);
    let mut reader = Pieces::new(bytes.clone(), 1 << 20);
    let started = std::time::Instant::now();
    let err = store
        .put(&mut reader, Expected::default())
        .await
        .expect_err("the server is gone");
    assert!(proxy.faults.is_dead());
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err:?}");
    assert!(
        started.elapsed() < Duration::from_mins(1),
        "{:?}",
        started.elapsed()
    );

    // Nothing new is visible; the old state is intact.
    assert_eq!(direct.list().await.expect("list"), vec![old]);
    assert_eq!(
        direct
            .stat(&Sha256Digest::compute(&bytes))
            .await
            .expect("stat"),
        None
    );
    // The upload could not be aborted while the server was gone: its marker is left
    // for garbage collection, which removes it past the grace period.
    direct
        .collect_garbage(&|d| *d == old.digest, Duration::ZERO)
        .await
        .expect("gc");
    assert_eq!(direct.list().await.expect("list"), vec![old]);
    let staging = {
        use futures_util::TryStreamExt as _;
        use object_store::ObjectStore as _;
        let staging = object_store::path::Path::from(format!("{prefix}/staging"));
        env.raw()
            .list(Some(&staging))
            .map_ok(|m| m.location.to_string())
            .try_collect::<Vec<_>>()
            .await
            .expect("list staging")
    };
    assert_eq!(staging, Vec::<String>::new());
}

/// A write of unknown digest, staged then copied to its blob key: with the server
/// refusing the copy (as AWS refuses sources over 5 GiB) it fails and shows nothing;
/// beyond the store's copy limit it is copied through the store instead, arrives whole
/// and leaves no staging; at the limit the server copy is still used.
#[tokio::test]
async fn staged_data_beyond_the_copy_limit_is_copied_through_the_store() {
    let Some(env) = s3_env() else { return };
    let _heavy = crate::memory::MEMORY.read().await;
    let proxy = FaultProxy::start(&env.endpoint).await;
    proxy
        .faults
        .refuse_copies
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let prefix = random_prefix();
    let spool = tempfile::tempdir().expect("tempdir");
    let mut config = env.config(&prefix, spool.path().to_owned());
    config.endpoint = Some(proxy.url.clone());
    let bytes = data(20 << 20, 7);
    let digest = Sha256Digest::compute(&bytes);

    // Limit above the size: the server copy is tried, refused, and nothing shows.
    config.copy_limit = 20 << 20;
    let store = S3BlobStore::new(&config).expect("store");
    let err = store
        .put(
            &mut Pieces::new(bytes.clone(), 1 << 20),
            Expected::default(),
        )
        .await
        .expect_err("the server refuses the copy");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(format!("{err:?}").contains("copy source"), "{err:?}");
    assert_eq!(store.list().await.expect("list"), Vec::new());

    // Limit below it: copied through the store.
    config.copy_limit = (20 << 20) - 1;
    let store = S3BlobStore::new(&config).expect("store");
    let info = store
        .put(
            &mut Pieces::new(bytes.clone(), 1 << 20),
            Expected::default(),
        )
        .await
        .expect("copied through");
    assert_eq!((info.digest, info.size), (digest, 20 << 20));
    let (reader, _) = store.open(&digest).await.expect("open");
    assert!(read_all(reader).await == bytes, "read back differs");
    assert_eq!(store.list().await.expect("list"), vec![info]);
    let staging = crate::s3::staging(&env, &prefix).await;
    assert_eq!(staging, Vec::<String>::new(), "staging left: {staging:?}");
}
