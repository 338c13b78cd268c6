//! Digest locks on PostgreSQL: two stores on one database stand for two processes (each
//! has its own lock pool). Shared locks coexist, an exclusive one waits for them and
//! they for it, and a dropped guard or a dropped wait releases.

#![cfg(feature = "postgres")]

use std::time::Duration;

use depot_metadata::{DigestLocks, MetadataStore, PostgresStore};
use depot_model::Sha256Digest;
use tokio::task::JoinHandle;

use crate::backends::{drop_schema, fresh_schema, postgres_url};

/// How long a lock that should wait is watched not to be granted.
const WAITS: Duration = Duration::from_millis(300);

/// How long a lock that should be granted may take (a loaded machine).
const GRANTED: Duration = Duration::from_secs(5);

/// The digest locks of two stores on one fresh schema (two processes' worth), and a
/// digest no other test locks (the locks are database-wide).
async fn with_two_processes<F, Fut>(test: F)
where
    F: FnOnce(DigestLocks, DigestLocks, Sha256Digest) -> Fut,
    Fut: Future<Output = ()>,
{
    crate::replicas::with_replicas(|a, b, _, _| async move {
        let (Some(a_locks), Some(b_locks)) = (a.digest_locks(), b.digest_locks()) else {
            panic!("PostgreSQL provides digest locks");
        };
        let digest = Sha256Digest::compute(uuid::Uuid::new_v4().as_bytes());
        test(a_locks, b_locks, digest).await;
    })
    .await;
}

/// Starts taking `digest`'s lock (`exclusive` or shared) in a task of its own.
fn start(
    locks: &DigestLocks,
    digest: Sha256Digest,
    exclusive: bool,
) -> JoinHandle<depot_metadata::DigestLock> {
    let locks = locks.clone();
    tokio::spawn(async move {
        if exclusive {
            locks.exclusive(&digest).await.unwrap()
        } else {
            locks.shared(&digest).await.unwrap()
        }
    })
}

/// Asserts that `waiting` is not granted while watched for [`WAITS`].
async fn assert_waits<T>(waiting: &JoinHandle<T>, what: &str) {
    tokio::time::sleep(WAITS).await;
    assert!(!waiting.is_finished(), "{what} was granted");
}

/// Waits for `waiting` to be granted within [`GRANTED`].
async fn granted<T>(waiting: JoinHandle<T>, what: &str) -> T {
    tokio::time::timeout(GRANTED, waiting)
        .await
        .unwrap_or_else(|_| panic!("{what} was not granted"))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shared_locks_coexist_and_exclude_an_exclusive_one() {
    with_two_processes(|a, b, digest| async move {
        let shared_a = a.shared(&digest).await.unwrap();
        let shared_b = granted(start(&b, digest, false), "a second shared lock").await;

        // An exclusive lock waits for both shared holders, whichever process it is in.
        let exclusive = start(&b, digest, true);
        assert_waits(&exclusive, "the exclusive lock beside shared ones").await;
        drop(shared_a);
        assert_waits(&exclusive, "the exclusive lock beside one shared").await;
        drop(shared_b);
        let exclusive = granted(exclusive, "the exclusive lock").await;

        // Shared and exclusive locks wait for an exclusive holder; other digests do not.
        let shared = start(&a, digest, false);
        let other_exclusive = start(&a, digest, true);
        let unrelated = Sha256Digest::compute(uuid::Uuid::new_v4().as_bytes());
        let free = granted(start(&a, unrelated, true), "another digest's lock").await;
        assert_waits(&shared, "a shared lock beside an exclusive one").await;
        assert!(
            !other_exclusive.is_finished(),
            "two exclusive locks at once"
        );
        drop(exclusive);
        drop(granted(shared, "the shared lock").await);
        drop(granted(other_exclusive, "the second exclusive lock").await);
        drop(free);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dropped_guards_and_abandoned_waits_release() {
    with_two_processes(|a, b, digest| async move {
        // A guard dropped in one process frees the lock for the other at once.
        let exclusive = a.exclusive(&digest).await.unwrap();
        drop(exclusive);
        let exclusive = granted(start(&b, digest, true), "the lock after a drop").await;

        // A wait abandoned (its future dropped) while the lock is held ...
        let abandoned = tokio::time::timeout(WAITS, a.shared(&digest)).await;
        assert!(abandoned.is_err(), "the shared lock was granted");
        let abandoned = tokio::time::timeout(WAITS, a.exclusive(&digest)).await;
        assert!(abandoned.is_err(), "the exclusive lock was granted");
        // ... leaves nothing held once the holder is done.
        drop(exclusive);
        let again = granted(start(&b, digest, true), "the lock after abandoned waits").await;
        drop(again);

        // Many locks taken and dropped in turn: the pool's connections come back.
        for _ in 0..40 {
            drop(a.exclusive(&digest).await.unwrap());
            drop(b.shared(&digest).await.unwrap());
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_lock_pool_drains_and_leaves_the_stores_pool_alone() {
    let Some(url) = postgres_url() else { return };
    let schema = fresh_schema();
    let store = PostgresStore::connect_in_schema(&url, &schema)
        .await
        .unwrap();
    let locks = store.digest_locks().unwrap();
    let digest = || Sha256Digest::compute(uuid::Uuid::new_v4().as_bytes());

    // Every connection of the lock pool holds a lock (8 per process) ...
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(locks.exclusive(&digest()).await.unwrap());
    }
    // ... so one more waits for a connection, but the store's statements do not.
    let ninth = start(&locks, digest(), false);
    tokio::time::timeout(GRANTED, store.ping())
        .await
        .expect("the store waited for the lock pool")
        .unwrap();
    assert_waits(&ninth, "a lock beyond the pool's connections").await;
    held.pop();
    drop(granted(ninth, "the lock after a connection came back").await);
    drop(held);

    // Many more holders than connections, each briefly: all get their turn.
    let holders: Vec<_> = (0..40)
        .map(|_| {
            let (locks, digest) = (locks.clone(), digest());
            tokio::spawn(async move {
                let lock = locks.shared(&digest).await.unwrap();
                tokio::time::sleep(Duration::from_millis(20)).await;
                drop(lock);
            })
        })
        .collect();
    for holder in holders {
        granted(holder, "one of many locks").await;
    }
    drop_schema(&url, &schema).await;
}
