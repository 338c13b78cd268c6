//! Running one conformance test against each backend.

use std::future::Future;
use std::sync::Arc;

use depot_metadata::MetadataStore;
#[cfg(feature = "postgres")]
use depot_metadata::PostgresStore;
#[cfg(feature = "sqlite")]
use depot_metadata::SqliteStore;

/// What every conformance test receives.
pub type Store = Arc<dyn MetadataStore>;

/// Generates, for each `test => sqlite_name, postgres_name;`, a test running
/// `test(store)` on a fresh SQLite file and one running it in a fresh PostgreSQL schema
/// (each only when its backend's feature is on).
macro_rules! conformance {
    ($($test:ident => $sqlite:ident, $postgres:ident;)+) => {
        $(
            #[cfg(feature = "sqlite")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $sqlite() {
                crate::backends::run_sqlite($test).await;
            }

            #[cfg(feature = "postgres")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $postgres() {
                crate::backends::run_postgres($test).await;
            }
        )+
    };
}
pub(crate) use conformance;

#[cfg(feature = "sqlite")]
/// Runs `test` on a SQLite database in a new temporary directory.
pub async fn run_sqlite<F, Fut>(test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("metadata.db").display());
    let store = SqliteStore::connect(&url).await.expect("open SQLite");
    test(Arc::new(store)).await;
}

#[cfg(feature = "postgres")]
/// Runs `test` in a new schema of the test PostgreSQL database, if there is one.
pub async fn run_postgres<F, Fut>(test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(url) = postgres_url() else { return };
    let schema = fresh_schema();
    let store = PostgresStore::connect_in_schema(&url, &schema)
        .await
        .expect("open PostgreSQL");
    test(Arc::new(store)).await;
    drop_schema(&url, &schema).await;
}

#[cfg(feature = "postgres")]
/// The test database URL; `None` (after saying so) when PostgreSQL tests are skipped.
///
/// # Panics
/// When `DEPOTD_REQUIRE_POSTGRES=1` but no URL is set, so that CI cannot skip them
/// silently.
pub fn postgres_url() -> Option<String> {
    match std::env::var("DEPOTD_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("DEPOTD_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "DEPOTD_REQUIRE_POSTGRES=1 but DEPOTD_TEST_POSTGRES_URL is not set: \
                 point it at a PostgreSQL database, e.g. postgres://depot@127.0.0.1:55432/depot"
            );
            eprintln!("skipped: set DEPOTD_TEST_POSTGRES_URL");
            None
        }
    }
}

#[cfg(feature = "postgres")]
/// A new random schema name.
pub fn fresh_schema() -> String {
    format!("depot_test_{}", uuid::Uuid::new_v4().simple())
}

#[cfg(feature = "postgres")]
/// Drops a test schema and everything in it.
pub async fn drop_schema(url: &str, schema: &str) {
    PostgresStore::drop_schema(url, schema, std::time::Duration::from_secs(30))
        .await
        .expect("drop schema");
}
