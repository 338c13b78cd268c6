//! Replicas on one PostgreSQL database: two stores opened on the same schema stand for
//! two depotd processes. A write through one reaches the other's cached reads (it is
//! announced with `NOTIFY`), and while a store cannot hear announcements it serves
//! nothing from memory.

#![cfg(feature = "postgres")]

use std::future::Future;
use std::time::{Duration, Instant};

use depot_metadata::{LibraryItemStore, PostgresStore, TaskStore};
use depot_model::ItemId;
use sqlx::Connection;

use crate::backends::{drop_schema, fresh_schema, postgres_url};
use crate::library_fixtures::{stored_item, stored_library};

/// Announcements arrive within milliseconds; this only keeps a loaded machine from
/// failing the test.
const DELIVERY: Duration = Duration::from_secs(5);

/// Runs `test` with two stores on one fresh schema, and a plain connection to it.
pub(crate) async fn with_replicas<F, Fut>(test: F)
where
    F: FnOnce(PostgresStore, PostgresStore, String, String) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(url) = postgres_url() else { return };
    let schema = fresh_schema();
    let a = PostgresStore::connect_in_schema(&url, &schema)
        .await
        .unwrap();
    let b = PostgresStore::connect_in_schema(&url, &schema)
        .await
        .unwrap();
    test(a, b, url.clone(), schema.clone()).await;
    drop_schema(&url, &schema).await;
}

/// Writes behind every store's back: a plain connection, no announcement.
async fn rename_silently(url: &str, schema: &str, item: ItemId, name: &str) {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let sql = format!("UPDATE \"{schema}\".library_items SET name = $1 WHERE id = $2");
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(name)
        .bind(item.to_string())
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(done.rows_affected(), 1);
}

/// The name `store` shows for `item`, once it is `want` (or the last one seen after
/// [`DELIVERY`]).
async fn name_becomes(store: &PostgresStore, item: ItemId, want: &str) -> String {
    let start = Instant::now();
    loop {
        let name = store.get_item(item).await.unwrap().unwrap().name;
        if name == want || start.elapsed() > DELIVERY {
            return name;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_through_one_replica_reaches_the_others_cached_reads() {
    with_replicas(|a, b, url, schema| async move {
        let lib = stored_library(&a, "lib").await;
        let item = stored_item(&a, lib.id, "v0").await;
        // A's announcements of these writes have arrived before B warms its cache.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(b.get_item(item.id).await.unwrap().unwrap().name, "v0");
        assert_eq!(b.item_ids(lib.id).await.unwrap(), Some(vec![item.id]));

        // B caches: a write nobody announces is not seen (this is what announcing is for).
        rename_silently(&url, &schema, item.id, "silent").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(b.get_item(item.id).await.unwrap().unwrap().name, "v0");

        // A's write is announced: B's cached reads follow.
        let mut renamed = a.get_item(item.id).await.unwrap().unwrap();
        "v1".clone_into(&mut renamed.name);
        assert!(a.update_item(&renamed).await.unwrap().is_some());
        assert_eq!(name_becomes(&b, item.id, "v1").await, "v1");
        let other = stored_item(&a, lib.id, "other").await;
        let start = Instant::now();
        while b
            .item_ids(lib.id)
            .await
            .unwrap()
            .is_some_and(|ids| ids.len() < 2)
            && start.elapsed() < DELIVERY
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let ids = b.item_ids(lib.id).await.unwrap().unwrap();
        assert!(ids.contains(&other.id), "{ids:?}");

        // And the other way round.
        let mut back = b.get_item(item.id).await.unwrap().unwrap();
        "v2".clone_into(&mut back.name);
        assert!(b.update_item(&back).await.unwrap().is_some());
        assert_eq!(name_becomes(&a, item.id, "v2").await, "v2");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn remote_marks_move_with_the_others_writes_only() {
    with_replicas(|a, b, _url, _schema| async move {
        let seen_by_b = b.remote_writes();
        let seen_by_a = a.remote_writes();
        let before = seen_by_b.mark();
        assert!(before.is_some());
        // B's own write is not news to B.
        let lib = stored_library(&b, "lib").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(seen_by_b.mark(), before);
        let a_before = seen_by_a.mark();
        assert!(a_before.is_some());
        // A's is.
        stored_item(&a, lib.id, "x").await;
        let start = Instant::now();
        while seen_by_b.mark() == before && start.elapsed() < DELIVERY {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(seen_by_b.mark().is_some() && seen_by_b.mark() != before);
        // A statement that changes nothing announces nothing.
        let now = b.remote_writes().mark();
        assert!(
            !a.delete_item(ItemId::new(), true).await.unwrap(),
            "no such item"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(b.remote_writes().mark(), now);
        // B's item write reached A as news once (B's library insert did too).
        assert_ne!(seen_by_a.mark(), Some(0));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_that_lost_its_listener_reads_from_the_database() {
    with_replicas(|a, b, url, schema| async move {
        let lib = stored_library(&a, "lib").await;
        let item = stored_item(&a, lib.id, "v0").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(b.get_item(item.id).await.unwrap().unwrap().name, "v0");
        // B serves it from memory now.
        rename_silently(&url, &schema, item.id, "hidden").await;
        assert_eq!(b.get_item(item.id).await.unwrap().unwrap().name, "v0");
        let marks = b.remote_writes();

        // Cut every listening connection of this schema's stores (as a restart does).
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        let listen = format!("LISTEN \"depotd_epoch_{schema}\"");
        let cut: Vec<(bool,)> = sqlx::query_as(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1",
        )
        .bind(&listen)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        assert_eq!(cut.len(), 2, "one listener per store");

        // Meanwhile a write nobody hears of: B must not keep serving its cached value.
        rename_silently(&url, &schema, item.id, "missed").await;
        assert_eq!(name_becomes(&b, item.id, "missed").await, "missed");

        // The listener comes back: caching and announcements work again.
        let start = Instant::now();
        while marks.mark().is_none() && start.elapsed() < DELIVERY {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(marks.mark().is_some(), "listening again");
        let mut renamed = a.get_item(item.id).await.unwrap().unwrap();
        "v1".clone_into(&mut renamed.name);
        assert!(a.update_item(&renamed).await.unwrap().is_some());
        assert_eq!(name_becomes(&b, item.id, "v1").await, "v1");
    })
    .await;
}
