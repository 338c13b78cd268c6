//! The SQL stores, written once for both backends: the stored form of records, the
//! statements (a [`Statement`] with bound parameters only), the store implementations
//! ([`SqlStore`]) and the mapping of driver errors.
//!
//! The backends differ in connection setup, pools and transactions, placeholders
//! (rendered by [`Statement`]) and a few clauses, mostly about how writers are kept
//! apart (the [`Dialect`] table); they provide them through [`Backend`].

mod backend;
mod catalog_record;
mod column;
mod db_error;
mod depot_record;
mod dialect;
mod download_session_record;
mod epoch;
mod library_record;
mod read_cache;
mod statement;
mod store;
mod task_filter;
mod task_record;
mod update_session_record;
mod user_record;

use depot_model::{Sha256Digest, Timestamp};
use sqlx::{Database, Encode, QueryBuilder, Type};

use crate::{MetadataError, Result};

pub(crate) use catalog_record::{CATALOG_COLUMNS, CatalogRecord, accept_writes};
pub(crate) use db_error::{
    Unique, connect_error, migrate_error, query_error, unique_violation, violates_index,
};
pub(crate) use depot_record::{
    DEPOT_FILE_COLUMNS, DepotFileRecord, SETTINGS_COLUMNS, SYNC_COLUMNS, SettingsRecord, SyncRow,
    claim_slot, settings_document_write, settings_write, sync_record_write, sync_writes,
};
pub(crate) use download_session_record::{
    DOWNLOAD_FILE_COLUMNS, DOWNLOAD_SESSION_COLUMNS, DownloadFileRecord, DownloadSessionRecord,
};
pub(crate) use library_record::{
    ITEM_COLUMNS, ITEM_FILE_COLUMNS, ItemFileRecord, ItemRecord, LIBRARY_COLUMNS, LibraryRecord,
};
pub(crate) use task_filter::{push_count, push_list};
pub(crate) use task_record::{
    INSERT_ATTEMPTS, InsertFailure, TaskRecord, push_claim, status_counts, task_columns,
    update_error,
};
pub(crate) use update_session_record::{
    SESSION_FILE_COLUMNS, SessionFileRecord, UPDATE_SESSION_COLUMNS, UpdateSessionRecord,
};
pub(crate) use user_record::{SessionRecord, UserRecord};

pub use backend::Pools;
pub(crate) use backend::{Backend, On, WriteLock};
pub(crate) use dialect::Dialect;
pub(crate) use epoch::{Announce, WriteEpoch, WriteTx};
pub(crate) use read_cache::ReadCache;
pub(crate) use statement::Statement;
pub use store::SqlStore;

/// One bound parameter, in the few column types the stores use.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SqlValue {
    /// `TEXT`.
    Text(String),
    /// Nullable `TEXT`.
    NullableText(Option<String>),
    /// `BIGINT` (SQLite `INTEGER`).
    Int(i64),
    /// Nullable `BIGINT`.
    NullableInt(Option<i64>),
    /// `BOOLEAN` (SQLite `INTEGER` 0/1).
    Bool(bool),
}

impl From<String> for SqlValue {
    fn from(v: String) -> Self {
        SqlValue::Text(v)
    }
}

impl From<&str> for SqlValue {
    fn from(v: &str) -> Self {
        SqlValue::Text(v.to_owned())
    }
}

impl From<Option<String>> for SqlValue {
    fn from(v: Option<String>) -> Self {
        SqlValue::NullableText(v)
    }
}

/// A digest is stored as its 64 lowercase hex characters.
impl From<&Sha256Digest> for SqlValue {
    fn from(v: &Sha256Digest) -> Self {
        SqlValue::Text(v.to_string())
    }
}

impl From<i64> for SqlValue {
    fn from(v: i64) -> Self {
        SqlValue::Int(v)
    }
}

impl From<Option<i64>> for SqlValue {
    fn from(v: Option<i64>) -> Self {
        SqlValue::NullableInt(v)
    }
}

impl From<bool> for SqlValue {
    fn from(v: bool) -> Self {
        SqlValue::Bool(v)
    }
}

/// A database whose driver binds every [`SqlValue`]; both backends are.
pub(crate) trait BindValues: Database {
    /// Appends a placeholder for `value` and binds it.
    fn push_value(qb: &mut QueryBuilder<Self>, value: SqlValue);
}

impl<DB> BindValues for DB
where
    DB: Database,
    String: for<'e> Encode<'e, DB> + Type<DB>,
    Option<String>: for<'e> Encode<'e, DB> + Type<DB>,
    i64: for<'e> Encode<'e, DB> + Type<DB>,
    Option<i64>: for<'e> Encode<'e, DB> + Type<DB>,
    bool: for<'e> Encode<'e, DB> + Type<DB>,
{
    fn push_value(qb: &mut QueryBuilder<Self>, value: SqlValue) {
        match value {
            SqlValue::Text(v) => qb.push_bind(v),
            SqlValue::NullableText(v) => qb.push_bind(v),
            SqlValue::Int(v) => qb.push_bind(v),
            SqlValue::NullableInt(v) => qb.push_bind(v),
            SqlValue::Bool(v) => qb.push_bind(v),
        };
    }
}

/// An instant as stored: Unix milliseconds.
pub(crate) fn to_millis(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

/// A stored instant back as a [`Timestamp`].
pub(crate) fn from_millis(ms: i64, what: &'static str, column: &str) -> Result<Timestamp> {
    chrono::DateTime::from_timestamp_millis(ms).ok_or_else(|| MetadataError::Corrupt {
        what,
        detail: format!("{column}: {ms} ms is out of range"),
    })
}

/// A stored digest back as a [`Sha256Digest`].
pub(crate) fn parse_digest(text: &str, what: &'static str, column: &str) -> Result<Sha256Digest> {
    text.parse().map_err(|e| MetadataError::Corrupt {
        what,
        detail: format!("{column}: {e}"),
    })
}

/// A nullable stored instant back as a [`Timestamp`].
pub(crate) fn from_millis_opt(
    ms: Option<i64>,
    what: &'static str,
    column: &str,
) -> Result<Option<Timestamp>> {
    ms.map(|ms| from_millis(ms, what, column)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_round_trip() {
        let t = depot_model::now();
        assert_eq!(from_millis(to_millis(t), "task", "x").unwrap(), t);
        assert!(from_millis(i64::MAX, "task", "x").is_err());
        assert_eq!(from_millis_opt(None, "task", "x").unwrap(), None);
    }
}
