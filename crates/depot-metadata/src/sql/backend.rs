//! What a SQL backend provides to the stores: its pools, transactions and the few
//! clauses that differ. The stores ([`super::store`]) are written once over [`Backend`].

use std::future::Future;
use std::ops::{Deref, DerefMut};

use sqlx::pool::PoolConnection;
use sqlx::{Database, FromRow, Pool, Transaction};

use super::{BindValues, Statement};

/// Where a statement runs.
pub(crate) enum On<'a, DB: Database> {
    /// A reader connection, outside any transaction.
    Read,
    /// The writer, outside any transaction (a single statement is atomic).
    Write,
    /// Inside `tx`.
    Tx(&'a mut Transaction<'static, DB>),
}

/// What a write transaction must exclude besides conflicting row changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriteLock {
    /// Nothing more.
    Rows,
    /// Every other change of the current catalog or of the synced depot files.
    Catalog,
}

/// The SQL that differs between backends, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dialect {
    /// `sqlite` or `postgres`.
    pub name: &'static str,
    /// Begins a write transaction (on the writer).
    pub begin_write: &'static str,
    /// Begins a read-only transaction whose statements all see one snapshot.
    pub begin_read: &'static str,
    /// Run first in a write transaction that must exclude every other change of the
    /// current catalog; `None` where write transactions exclude each other anyway.
    pub catalog_lock: Option<&'static str>,
    /// The function giving the larger of two values (`MAX` or `GREATEST`).
    pub greatest: &'static str,
    /// Appended to a read in a write transaction whose row must stay as read until
    /// commit: `" FOR UPDATE"`, or `""` where write transactions exclude each other.
    pub lock_row: &'static str,
    /// Ends the subquery picking a row to claim: `FOR UPDATE SKIP LOCKED`, or `""`
    /// where writes are serialized.
    pub skip_locked: &'static str,
}

/// A row type the stores decode, on every enabled backend (the derived
/// [`sqlx::FromRow`] of the records and tuples of plain values are).
pub(crate) trait Record: FromSqliteRow + FromPgRow + Send + Unpin {}

impl<T: FromSqliteRow + FromPgRow + Send + Unpin> Record for T {}

/// Decodes from a SQLite row (nothing to ask without the `sqlite` feature).
#[cfg(feature = "sqlite")]
pub(crate) trait FromSqliteRow: for<'r> FromRow<'r, sqlx::sqlite::SqliteRow> {}
#[cfg(feature = "sqlite")]
impl<T: for<'r> FromRow<'r, sqlx::sqlite::SqliteRow>> FromSqliteRow for T {}
/// Decodes from a SQLite row (nothing to ask without the `sqlite` feature).
#[cfg(not(feature = "sqlite"))]
pub(crate) trait FromSqliteRow {}
#[cfg(not(feature = "sqlite"))]
impl<T> FromSqliteRow for T {}

/// Decodes from a PostgreSQL row (nothing to ask without the `postgres` feature).
#[cfg(feature = "postgres")]
pub(crate) trait FromPgRow: for<'r> FromRow<'r, sqlx::postgres::PgRow> {}
#[cfg(feature = "postgres")]
impl<T: for<'r> FromRow<'r, sqlx::postgres::PgRow>> FromPgRow for T {}
/// Decodes from a PostgreSQL row (nothing to ask without the `postgres` feature).
#[cfg(not(feature = "postgres"))]
pub(crate) trait FromPgRow {}
#[cfg(not(feature = "postgres"))]
impl<T> FromPgRow for T {}

/// A database driver: its pools, and the statements and transactions run on them.
///
/// An implementation gives its pools and [`Dialect`] and expands
/// [`backend_methods!`] for the rest. The methods return the driver's error so that
/// stores can recognize unique violations.
pub(crate) trait Backend: std::fmt::Debug + Clone + Send + Sync + 'static {
    /// The sqlx database.
    type Db: BindValues;

    /// The SQL that differs.
    const DIALECT: Dialect;

    /// The pool of reader connections.
    fn read_pool(&self) -> &Pool<Self::Db>;

    /// The pool every write outside a transaction, and every write transaction, uses.
    fn write_pool(&self) -> &Pool<Self::Db>;

    /// Runs `stmt`; how many rows it changed.
    fn execute(
        &self,
        on: On<'_, Self::Db>,
        stmt: Statement,
    ) -> impl Future<Output = sqlx::Result<u64>> + Send;

    /// Runs `stmt`; its first row, if any.
    fn fetch_optional<R: Record>(
        &self,
        on: On<'_, Self::Db>,
        stmt: Statement,
    ) -> impl Future<Output = sqlx::Result<Option<R>>> + Send;

    /// Runs `stmt`; all its rows.
    fn fetch_all<R: Record>(
        &self,
        on: On<'_, Self::Db>,
        stmt: Statement,
    ) -> impl Future<Output = sqlx::Result<Vec<R>>> + Send;

    /// A transaction for a multi-statement change that excludes `lock`.
    fn begin_write(
        &self,
        lock: WriteLock,
    ) -> impl Future<Output = sqlx::Result<Transaction<'static, Self::Db>>> + Send;

    /// A read-only transaction whose statements all see one snapshot.
    fn begin_read(
        &self,
    ) -> impl Future<Output = sqlx::Result<Transaction<'static, Self::Db>>> + Send;
}

/// The connection a statement runs on: one taken from a pool, or a transaction's.
pub(crate) enum Conn<'a, DB: Database> {
    /// Taken from a pool for this statement.
    Pooled(PoolConnection<DB>),
    /// The connection of a transaction.
    Tx(&'a mut DB::Connection),
}

impl<DB: Database> Deref for Conn<'_, DB> {
    type Target = DB::Connection;

    fn deref(&self) -> &DB::Connection {
        match self {
            Conn::Pooled(conn) => conn,
            Conn::Tx(conn) => conn,
        }
    }
}

impl<DB: Database> DerefMut for Conn<'_, DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match self {
            Conn::Pooled(conn) => &mut *conn,
            Conn::Tx(conn) => conn,
        }
    }
}

/// The connection for `on`: one from `read` or `write`, or the transaction's.
pub(crate) async fn connection<'a, DB: Database>(
    read: &Pool<DB>,
    write: &Pool<DB>,
    on: On<'a, DB>,
) -> sqlx::Result<Conn<'a, DB>> {
    Ok(match on {
        On::Read => Conn::Pooled(read.acquire().await?),
        On::Write => Conn::Pooled(write.acquire().await?),
        On::Tx(tx) => Conn::Tx(&mut **tx),
    })
}

/// The statement and transaction methods of [`Backend`] for the driver `$db`, in its
/// `impl Backend`. Written once, expanded per driver: they name the driver's concrete
/// types, for which sqlx's executor and row bounds hold (for a generic database they
/// would have to be restated at every use).
macro_rules! backend_methods {
    ($db:ty) => {
        async fn execute(
            &self,
            on: $crate::sql::On<'_, $db>,
            stmt: $crate::sql::Statement,
        ) -> sqlx::Result<u64> {
            let mut qb = stmt.render::<$db>()?;
            let mut conn = $crate::sql::connection(self.read_pool(), self.write_pool(), on).await?;
            Ok(qb.build().execute(&mut *conn).await?.rows_affected())
        }

        async fn fetch_optional<R: $crate::sql::Record>(
            &self,
            on: $crate::sql::On<'_, $db>,
            stmt: $crate::sql::Statement,
        ) -> sqlx::Result<Option<R>> {
            let mut qb = stmt.render::<$db>()?;
            let mut conn = $crate::sql::connection(self.read_pool(), self.write_pool(), on).await?;
            qb.build_query_as().fetch_optional(&mut *conn).await
        }

        async fn fetch_all<R: $crate::sql::Record>(
            &self,
            on: $crate::sql::On<'_, $db>,
            stmt: $crate::sql::Statement,
        ) -> sqlx::Result<Vec<R>> {
            let mut qb = stmt.render::<$db>()?;
            let mut conn = $crate::sql::connection(self.read_pool(), self.write_pool(), on).await?;
            qb.build_query_as().fetch_all(&mut *conn).await
        }

        async fn begin_write(
            &self,
            lock: $crate::sql::WriteLock,
        ) -> sqlx::Result<sqlx::Transaction<'static, $db>> {
            let dialect = <Self as $crate::sql::Backend>::DIALECT;
            let mut tx = self.write_pool().begin_with(dialect.begin_write).await?;
            if let (Some(sql), $crate::sql::WriteLock::Catalog) = (dialect.catalog_lock, lock) {
                let mut qb = $crate::sql::Statement::new(sql).render::<$db>()?;
                qb.build().execute(&mut *tx).await?;
            }
            Ok(tx)
        }

        async fn begin_read(&self) -> sqlx::Result<sqlx::Transaction<'static, $db>> {
            let dialect = <Self as $crate::sql::Backend>::DIALECT;
            self.read_pool().begin_with(dialect.begin_read).await
        }
    };
}
pub(crate) use backend_methods;
