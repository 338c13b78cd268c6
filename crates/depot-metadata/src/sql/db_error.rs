//! Mapping driver errors onto [`MetadataError`].

use crate::MetadataError;

/// The name of the partial unique index holding one active task per concurrency key.
const CONCURRENCY_INDEX: &str = "tasks_active_concurrency_key";

/// Which unique key a statement collided with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unique {
    /// Another pending or running task holds the concurrency key.
    ConcurrencyKey,
    /// Any other unique key (a primary key).
    Other,
}

/// Which unique key `err` collided with, if it is a unique violation.
pub(crate) fn unique_violation(err: &sqlx::Error) -> Option<Unique> {
    let db = err.as_database_error()?;
    if !db.is_unique_violation() {
        return None;
    }
    // PostgreSQL names the index; SQLite names the column ("UNIQUE constraint failed:
    // tasks.concurrency_key"), which only this index covers.
    let concurrency = db.constraint() == Some(CONCURRENCY_INDEX)
        || db.message().contains("tasks.concurrency_key");
    Some(if concurrency {
        Unique::ConcurrencyKey
    } else {
        Unique::Other
    })
}

/// Maps a failed statement of store method `op`: rows that do not decode are
/// [`MetadataError::Corrupt`], everything else [`MetadataError::Query`].
pub(crate) fn query_error(op: &'static str) -> impl FnOnce(sqlx::Error) -> MetadataError {
    move |err| match err {
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::Decode(_)
        | sqlx::Error::TypeNotFound { .. } => MetadataError::Corrupt {
            what: "row",
            detail: format!("{op}: {err}"),
        },
        other => MetadataError::Query {
            op,
            source: Box::new(other),
        },
    }
}

/// Maps a failure to open the database.
pub(crate) fn connect_error(err: sqlx::Error) -> MetadataError {
    MetadataError::Connect {
        source: Box::new(err),
    }
}

/// Maps a failed migration.
pub(crate) fn migrate_error(err: sqlx::migrate::MigrateError) -> MetadataError {
    MetadataError::Migrate {
        source: Box::new(err),
    }
}

/// Whether `err` violates the unique index `index` (PostgreSQL reports its name)
/// over `sqlite_columns` (SQLite reports `table.column, …` instead).
pub(crate) fn violates_index(err: &sqlx::Error, index: &str, sqlite_columns: &str) -> bool {
    let Some(db) = err.as_database_error() else {
        return false;
    };
    db.is_unique_violation()
        && (db.constraint() == Some(index)
            || db
                .message()
                .strip_prefix("UNIQUE constraint failed: ")
                .is_some_and(|columns| columns == sqlite_columns))
}
