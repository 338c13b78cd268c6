//! The embedded SQLite backend: one file in WAL mode, a single writer connection and a
//! few readers.
//!
//! SQLite allows one writer at a time. Rather than let several pooled connections race
//! for the write lock (and sleep in the busy handler), every write goes through a pool
//! of one connection, which queues writers fairly; `busy_timeout` still covers other
//! processes. Readers use their own pool and never block the writer.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::sql::{Pools, SqlStore, connect_error, migrate_error};
use crate::{MetadataError, Result};

/// The forward-only SQLite migrations.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a statement waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Reader connections for a database file.
const READERS: u32 = 8;

/// Metadata in a SQLite database: reads on a few connections (the writer's for an
/// in-memory database), every write through a single connection.
pub type SqliteStore = SqlStore<Pools<Sqlite>>;

impl SqliteStore {
    /// Opens (creating it if missing) the database named by `url` and runs the
    /// migrations.
    ///
    /// `url` is `sqlite:PATH`, `sqlite://PATH` or `sqlite::memory:`; an in-memory
    /// database lives as long as the store and is private to it.
    pub async fn connect(url: &str) -> Result<Self> {
        if !url.starts_with("sqlite:") {
            return Err(MetadataError::UnsupportedUrl {
                scheme: url.split(':').next().unwrap_or_default().to_owned(),
            });
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(connect_error)?
            .create_if_missing(true)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let db = if is_in_memory(url) {
            open_in_memory(options).await?
        } else {
            open_file(options).await?
        };
        MIGRATOR.run(&db.write).await.map_err(migrate_error)?;
        // The data dir is locked against a second server: every write is this one's.
        Ok(Self::new(db))
    }

    /// The database file `url` names, or `None` for an in-memory database (or a URL
    /// that is not SQLite's).
    #[must_use]
    pub fn file_path(url: &str) -> Option<std::path::PathBuf> {
        if !url.starts_with("sqlite:") || is_in_memory(url) {
            return None;
        }
        Some(std::path::PathBuf::from(path_and_params(url).0))
    }
}

/// One connection, kept open for the life of the store: the database lives in it.
async fn open_in_memory(options: SqliteConnectOptions) -> Result<Pools<Sqlite>> {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options)
        .await
        .map_err(connect_error)?;
    Ok(Pools::new(pool.clone(), pool))
}

/// A writer that switches the file to WAL (a persistent setting), then readers.
async fn open_file(options: SqliteConnectOptions) -> Result<Pools<Sqlite>> {
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone().journal_mode(SqliteJournalMode::Wal))
        .await
        .map_err(connect_error)?;
    let read = SqlitePoolOptions::new()
        .max_connections(READERS)
        .connect_with(options)
        .await
        .map_err(connect_error)?;
    Ok(Pools::new(read, write))
}

/// Whether `url` names an in-memory database (`:memory:` or `mode=memory`).
fn is_in_memory(url: &str) -> bool {
    let (path, params) = path_and_params(url);
    path == ":memory:" || params.split('&').any(|p| p == "mode=memory")
}

/// The path and the query of a `sqlite:` URL.
fn path_and_params(url: &str) -> (&str, &str) {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    rest.split_once('?').unwrap_or((rest, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_urls_are_recognized() {
        assert!(is_in_memory("sqlite::memory:"));
        assert!(is_in_memory("sqlite://:memory:"));
        assert!(is_in_memory("sqlite://x?mode=memory"));
        assert!(!is_in_memory("sqlite:/var/lib/depotd/metadata.db"));
        assert!(!is_in_memory("sqlite://metadata.db?mode=rwc"));
    }

    #[test]
    fn file_paths_of_urls() {
        let path = |url| SqliteStore::file_path(url).map(|p| p.display().to_string());
        assert_eq!(
            path("sqlite:/var/lib/depotd/a.db").as_deref(),
            Some("/var/lib/depotd/a.db")
        );
        assert_eq!(
            path("sqlite:///srv/a.db?mode=rwc").as_deref(),
            Some("/srv/a.db")
        );
        assert_eq!(path("sqlite://./a.db").as_deref(), Some("./a.db"));
        assert_eq!(path("sqlite::memory:"), None);
        assert_eq!(path("sqlite://x?mode=memory"), None);
        assert_eq!(path("postgres://h/db"), None);
    }
}
