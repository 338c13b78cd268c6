//! What a SQL backend provides to the stores: its pools, transactions and the few
//! clauses that differ. The stores ([`super::store`]) are written once over [`Backend`],
//! which both backends implement for their [`Pools`].

use std::future::Future;
use std::ops::{Deref, DerefMut};

use sqlx::pool::PoolConnection;
use sqlx::{Database, FromRow, Pool, Transaction};

use super::{BindValues, Dialect, Statement, WriteEpoch, WriteTx};
use crate::DigestLocks;

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

/// The connections to a database: readers, and the pool every write uses (a single
/// connection where writers are serialized; the readers' pool where they are not).
#[derive(Debug)]
pub struct Pools<DB: Database> {
    /// Reads outside a transaction, and read-only transactions.
    pub(crate) read: Pool<DB>,
    /// Every write outside a transaction, and every write transaction.
    pub(crate) write: Pool<DB>,
    /// Advanced after every write through these pools.
    pub(crate) epoch: WriteEpoch,
    /// Locks shared with the other processes on the database, where there are any.
    pub(crate) locks: Option<DigestLocks>,
}

impl<DB: Database> Pools<DB> {
    /// Readers and the writers' pool (the same pool where writers are not serialized).
    pub(crate) fn new(read: Pool<DB>, write: Pool<DB>) -> Self {
        Self::with_epoch(read, write, WriteEpoch::default())
    }

    /// Readers and writers whose writes advance (and announce through) `epoch`.
    pub(crate) fn with_epoch(read: Pool<DB>, write: Pool<DB>, epoch: WriteEpoch) -> Self {
        Self {
            read,
            write,
            epoch,
            locks: None,
        }
    }

    /// These pools, with digest locks shared with the other processes on the database.
    #[cfg_attr(
        not(feature = "postgres"),
        expect(dead_code, reason = "only PostgreSQL provides digest locks")
    )]
    pub(crate) fn with_locks(self, locks: DigestLocks) -> Self {
        Self {
            locks: Some(locks),
            ..self
        }
    }
}

/// A clone shares the pools (derived, it would ask the database type to be `Clone`).
impl<DB: Database> Clone for Pools<DB> {
    fn clone(&self) -> Self {
        Self {
            read: self.read.clone(),
            write: self.write.clone(),
            epoch: self.epoch.clone(),
            locks: self.locks.clone(),
        }
    }
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
/// Implemented for each driver's [`Pools`] (by `impl_backend!`, below). The methods
/// return the driver's error so that stores can recognize unique violations.
pub(crate) trait Backend: std::fmt::Debug + Clone + Send + Sync + 'static {
    /// The sqlx database.
    type Db: BindValues;

    /// The SQL that differs.
    const DIALECT: Dialect;

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

    /// A transaction for a multi-statement change that excludes `lock`; the epoch
    /// advances when it ends.
    fn begin_write(
        &self,
        lock: WriteLock,
    ) -> impl Future<Output = sqlx::Result<WriteTx<Self::Db>>> + Send;

    /// The write epoch: it advances after every change made through this backend.
    fn epoch(&self) -> &WriteEpoch;

    /// A read-only transaction whose statements all see one snapshot.
    fn begin_read(
        &self,
    ) -> impl Future<Output = sqlx::Result<Transaction<'static, Self::Db>>> + Send;

    /// Locks shared with the other processes on the database, where there are any.
    fn digest_locks(&self) -> Option<DigestLocks>;
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

/// The `impl Backend` of the driver `$db`'s [`Pools`], speaking `$dialect`. Written once,
/// expanded per driver: the methods name the driver's concrete types, for which sqlx's
/// executor and row bounds hold (for a generic database they would have to be restated
/// at every use).
macro_rules! impl_backend {
    ($db:ty, $dialect:expr) => {
        impl Backend for Pools<$db> {
            type Db = $db;

            const DIALECT: Dialect = $dialect;

            async fn execute(&self, on: On<'_, $db>, stmt: Statement) -> sqlx::Result<u64> {
                let writes = matches!(on, On::Write);
                let mut qb = stmt.render::<$db>()?;
                let mut conn = connection(&self.read, &self.write, on).await?;
                let done = qb.build().execute(&mut *conn).await;
                // Back to the pool before the announcement, which may wait.
                drop(conn);
                self.written(
                    writes,
                    done.as_ref().map_or(true, |d| d.rows_affected() > 0),
                )
                .await;
                Ok(done?.rows_affected())
            }

            async fn fetch_optional<R: Record>(
                &self,
                on: On<'_, $db>,
                stmt: Statement,
            ) -> sqlx::Result<Option<R>> {
                let writes = matches!(on, On::Write);
                let mut qb = stmt.render::<$db>()?;
                let mut conn = connection(&self.read, &self.write, on).await?;
                let row = qb.build_query_as().fetch_optional(&mut *conn).await;
                drop(conn);
                self.written(writes, row.as_ref().map_or(true, Option::is_some))
                    .await;
                row
            }

            async fn fetch_all<R: Record>(
                &self,
                on: On<'_, $db>,
                stmt: Statement,
            ) -> sqlx::Result<Vec<R>> {
                let writes = matches!(on, On::Write);
                let mut qb = stmt.render::<$db>()?;
                let mut conn = connection(&self.read, &self.write, on).await?;
                let rows = qb.build_query_as().fetch_all(&mut *conn).await;
                drop(conn);
                self.written(writes, rows.as_ref().map_or(true, |r| !r.is_empty()))
                    .await;
                rows
            }

            async fn begin_write(&self, lock: WriteLock) -> sqlx::Result<WriteTx<$db>> {
                let tx = self.write.begin_with(Self::DIALECT.begin_write()).await?;
                let mut tx = WriteTx::new(tx, self.epoch.clone());
                if let (Some(sql), WriteLock::Catalog) = (Self::DIALECT.catalog_lock(), lock) {
                    let mut qb = Statement::new(sql).render::<$db>()?;
                    qb.build().execute(&mut **tx).await?;
                }
                Ok(tx)
            }

            fn epoch(&self) -> &WriteEpoch {
                &self.epoch
            }

            async fn begin_read(&self) -> sqlx::Result<Transaction<'static, $db>> {
                self.read.begin_with(Self::DIALECT.begin_read()).await
            }

            fn digest_locks(&self) -> Option<DigestLocks> {
                self.locks.clone()
            }
        }
    };
}

impl<DB: Database> Pools<DB> {
    /// After a statement on the writer (`writes`) that may have `changed` rows (it
    /// failed, changed some, or returned some): the epoch moves and the write is
    /// announced to the other replicas. A write statement that
    /// matched nothing (the task engine's idle claims, an expiry with nothing to expire)
    /// leaves it, or idle polling would empty every cache. Every write statement run
    /// outside a transaction either reports its changed rows (`execute`) or returns
    /// them (`… RETURNING`).
    async fn written(&self, writes: bool, changed: bool) {
        if writes && changed {
            self.epoch.written().await;
        }
    }
}

// The backends: each driver's pools, and the dialect it speaks.
#[cfg(feature = "sqlite")]
impl_backend!(sqlx::Sqlite, Dialect::Sqlite);
#[cfg(feature = "postgres")]
impl_backend!(sqlx::Postgres, Dialect::Postgres);
