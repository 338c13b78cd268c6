//! A `ContentLibrary` over each backend, with a blob store in a temp dir.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use depot_blobs::FsBlobStore;
use depot_library::{ContentLibrary, LibraryConfig};
use depot_metadata::{MetadataStore, PostgresStore, SqliteStore};
use depot_model::SystemClock;
use depot_secrets::SecretBox;

/// Generates, for each `test => sqlite_name, postgres_name;`, a test running
/// `test(service)` over a fresh SQLite file and one in a fresh PostgreSQL schema.
macro_rules! both {
    ($($test:ident => $sqlite:ident, $postgres:ident;)+) => {
        $(
            #[tokio::test]
            async fn $sqlite() {
                crate::backends::run_sqlite($test).await;
            }

            #[tokio::test]
            async fn $postgres() {
                crate::backends::run_postgres($test).await;
            }
        )+
    };
}
pub(crate) use both;

async fn service(store: Arc<dyn MetadataStore>, dir: &tempfile::TempDir) -> ContentLibrary {
    service_at(store, &dir.path().join("blobs"), LibraryConfig::default()).await
}

/// The service over `store`, with its blobs in `blobs` and settings `config`.
pub async fn service_at(
    store: Arc<dyn MetadataStore>,
    blobs: &Path,
    config: LibraryConfig,
) -> ContentLibrary {
    let blobs = FsBlobStore::open(blobs).await.expect("blobs");
    ContentLibrary::new(
        store,
        Arc::new(blobs),
        Arc::new(SecretBox::new(&[7; 32])),
        SystemClock::shared(),
        config,
    )
}

/// Generates, like [`both`], tests running `test(service, blob_root)`.
macro_rules! both_with_blobs {
    ($($test:ident => $sqlite:ident, $postgres:ident;)+) => {
        $(
            #[tokio::test]
            async fn $sqlite() {
                crate::backends::run_sqlite_with_blobs($test).await;
            }

            #[tokio::test]
            async fn $postgres() {
                crate::backends::run_postgres_with_blobs($test).await;
            }
        )+
    };
}
pub(crate) use both_with_blobs;

pub async fn run_sqlite<F, Fut>(test: F)
where
    F: FnOnce(ContentLibrary) -> Fut,
    Fut: Future<Output = ()>,
{
    run_sqlite_with_blobs(|lib, _| test(lib)).await;
}

pub async fn run_postgres<F, Fut>(test: F)
where
    F: FnOnce(ContentLibrary) -> Fut,
    Fut: Future<Output = ()>,
{
    run_postgres_with_blobs(|lib, _| test(lib)).await;
}

/// [`run_sqlite`] for a test that also looks at the blob store's directory.
pub async fn run_sqlite_with_blobs<F, Fut>(test: F)
where
    F: FnOnce(ContentLibrary, PathBuf) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("metadata.db").display());
    let store = SqliteStore::connect(&url).await.expect("open SQLite");
    test(
        service(Arc::new(store), &dir).await,
        dir.path().join("blobs"),
    )
    .await;
}

/// [`run_postgres`] for a test that also looks at the blob store's directory.
pub async fn run_postgres_with_blobs<F, Fut>(test: F)
where
    F: FnOnce(ContentLibrary, PathBuf) -> Fut,
    Fut: Future<Output = ()>,
{
    let url = match std::env::var("DEPOTD_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            assert!(
                std::env::var("DEPOTD_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "DEPOTD_REQUIRE_POSTGRES=1 but DEPOTD_TEST_POSTGRES_URL is not set"
            );
            eprintln!("skipped: set DEPOTD_TEST_POSTGRES_URL");
            return;
        }
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let schema = format!("depot_lib_test_{}", uuid::Uuid::new_v4().simple());
    let store = PostgresStore::connect_in_schema(&url, &schema)
        .await
        .expect("open PostgreSQL");
    test(
        service(Arc::new(store), &dir).await,
        dir.path().join("blobs"),
    )
    .await;
    PostgresStore::drop_schema(&url, &schema, std::time::Duration::from_secs(30))
        .await
        .expect("drop schema");
}
