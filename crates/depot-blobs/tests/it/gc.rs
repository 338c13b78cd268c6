//! Garbage collection on the file-system store: ages, re-puts and in-progress writes.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use depot_blobs::{BlobStore, Expected, GcReport, Sha256Digest};
use tokio::io::AsyncWriteExt as _;

use crate::fixture::{
    blob_path, data, new_store, put_bytes, read_all, set_age, wait_for_temp_data,
};

const HOUR: Duration = Duration::from_hours(1);

#[tokio::test]
async fn removes_only_unreferenced_blobs_older_than_grace() {
    let (dir, store) = new_store().await;
    let old_referenced = put_bytes(&store, b"old, referenced", Expected::default())
        .await
        .expect("put");
    let old_orphan = put_bytes(&store, b"old, orphan", Expected::default())
        .await
        .expect("put");
    let fresh_orphan = put_bytes(&store, b"fresh, orphan", Expected::default())
        .await
        .expect("put");
    for info in [old_referenced, old_orphan] {
        set_age(&blob_path(dir.path(), &info.digest), 2 * HOUR);
    }
    let refs: HashSet<Sha256Digest> = [old_referenced.digest].into();

    let report = store
        .collect_garbage(&|d| refs.contains(d), HOUR)
        .await
        .expect("gc");
    assert_eq!(
        report,
        GcReport {
            removed: 1,
            bytes_freed: old_orphan.size,
            kept: 2,
            bytes_kept: old_referenced.size + fresh_orphan.size,
        }
    );
    let mut left = vec![old_referenced, fresh_orphan];
    left.sort();
    assert_eq!(store.list().await.expect("list"), left);
}

#[tokio::test]
async fn putting_existing_content_again_refreshes_it() {
    let (dir, store) = new_store().await;
    let info = put_bytes(&store, b"popular", Expected::default())
        .await
        .expect("put");
    set_age(&blob_path(dir.path(), &info.digest), 2 * HOUR);
    // A new upload of the same content, whose reference is not recorded yet.
    put_bytes(&store, b"popular", Expected::default())
        .await
        .expect("put again");

    let report = store.collect_garbage(&|_| false, HOUR).await.expect("gc");
    assert_eq!(
        report,
        GcReport {
            removed: 0,
            bytes_freed: 0,
            kept: 1,
            bytes_kept: info.size,
        }
    );
}

#[tokio::test]
async fn never_touches_a_write_in_progress() {
    let (dir, store) = new_store().await;
    let store = Arc::new(store);
    let bytes = data(1_500_000, 9);
    let (first, rest) = bytes.split_at(700_000);
    let (first, rest) = (first.to_vec(), rest.to_vec());
    let (mut writer, mut reader) = tokio::io::duplex(64 * 1024);
    let (go_on, wait) = tokio::sync::oneshot::channel::<()>();
    let feed = tokio::spawn(async move {
        writer.write_all(&first).await.expect("first part");
        wait.await.expect("go on");
        writer.write_all(&rest).await.expect("rest");
        // Dropping the writer ends the data.
    });
    let put = tokio::spawn({
        let store = Arc::clone(&store);
        async move { store.put(&mut reader, Expected::default()).await }
    });

    let temp = wait_for_temp_data(dir.path()).await;
    // Pretend the client stalled for two hours.
    set_age(&temp, 2 * HOUR);
    let report = store
        .collect_garbage(&|_| false, Duration::ZERO)
        .await
        .expect("gc during the write");
    assert_eq!(report, GcReport::default());
    assert!(
        temp.exists(),
        "gc removed the temp file of a write in progress"
    );

    go_on.send(()).expect("feeder alive");
    feed.await.expect("feed task");
    let info = put.await.expect("put task").expect("put");
    assert_eq!(info.digest, Sha256Digest::compute(&bytes));
    let (reader, size) = store.open(&info.digest).await.expect("open");
    assert_eq!(size, 1_500_000);
    assert_eq!(read_all(reader).await, bytes);

    // The commit time, not the last write, starts the grace period.
    let report = store.collect_garbage(&|_| false, HOUR).await.expect("gc");
    assert_eq!(
        report,
        GcReport {
            removed: 0,
            bytes_freed: 0,
            kept: 1,
            bytes_kept: 1_500_000,
        }
    );
}
