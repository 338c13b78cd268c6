#![doc = include_str!("../README.md")]

mod digest_locks;
mod error;
mod filter;
mod library_store;
mod offline_depot_store;
mod online_depot_store;
#[cfg(feature = "postgres")]
mod postgres;
mod remote_writes;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;
mod upload_store;

pub use digest_locks::{DigestLock, DigestLocks, LockMode};
pub use error::{MetadataError, Result};
pub use filter::{Page, PageRequest, TaskFilter, TaskTarget};
pub use library_store::{
    CreateOutcome, DownloadSessionStore, ItemFilter, LibraryFilter, LibraryItemStore, LibraryStore,
    UpdateSessionStore,
};
pub use offline_depot_store::{OfflineDepotInsert, OfflineDepotStore};
pub use online_depot_store::OnlineDepotStore;
pub use remote_writes::RemoteWrites;
pub use store::{
    BlobRefStore, CatalogStore, DepotStore, DepotSyncApplied, DepotSyncApply, InsertOutcome,
    MetadataStore, SessionStore, TaskStore, UserStore,
};
pub use upload_store::UploadStore;

#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use sql::SqlStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

/// Opens the store named by `url` and runs its migrations.
///
/// `sqlite://PATH` (or `sqlite:PATH`) selects SQLite, `postgres://…` or
/// `postgresql://…` PostgreSQL. `sqlite::memory:` gives a private in-memory database.
/// A URL of a backend whose feature is off is [`MetadataError::UnsupportedUrl`].
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub async fn connect(url: &str) -> Result<std::sync::Arc<dyn MetadataStore>> {
    #[cfg(feature = "postgres")]
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(std::sync::Arc::new(PostgresStore::connect(url).await?));
    }
    #[cfg(feature = "sqlite")]
    if url.starts_with("sqlite:") {
        return Ok(std::sync::Arc::new(SqliteStore::connect(url).await?));
    }
    Err(MetadataError::UnsupportedUrl {
        scheme: url.split(':').next().unwrap_or_default().to_owned(),
    })
}
