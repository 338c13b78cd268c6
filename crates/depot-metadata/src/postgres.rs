//! The PostgreSQL backend: a connection pool, migrations in the first schema of the
//! `search_path`.

use std::str::FromStr;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Postgres, Transaction};

use crate::sql::{
    Backend, Conn, Dialect, On, SqlStore, Statement, WriteLock, connect_error, migrate_error,
    query_error, statement_methods,
};
use crate::{MetadataError, Result};

/// The forward-only PostgreSQL migrations.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Pooled connections.
const MAX_CONNECTIONS: u32 = 16;

/// Advisory lock key of catalog changes ("depotcat" in ASCII).
const CATALOG_LOCK: i64 = 0x6465_706f_7463_6174;

/// Metadata in a PostgreSQL database.
pub type PostgresStore = SqlStore<PgPools>;

/// The connections to a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgPools {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to the database named by `url` (`postgres://…` or `postgresql://…`) and
    /// runs the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::open(parse_url(url)?).await
    }

    /// Like [`connect`](Self::connect), but keeps every table in `schema`, created if
    /// needed: each pooled connection starts with `search_path` set to it. Tests use
    /// this to isolate themselves within one database.
    ///
    /// `schema` must be a plain lower-case identifier (`[a-z_][a-z0-9_]*`, at most 63
    /// bytes).
    pub async fn connect_in_schema(url: &str, schema: &str) -> Result<Self> {
        if !is_plain_identifier(schema) {
            return Err(MetadataError::Connect {
                source: format!("invalid schema name {schema:?}: use [a-z_][a-z0-9_]*").into(),
            });
        }
        let options = parse_url(url)?;
        let mut conn = options.connect().await.map_err(connect_error)?;
        // The name was checked above: it cannot break out of the quotes.
        sqlx::query(AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
        )))
        .execute(&mut conn)
        .await
        .map_err(query_error("connect_in_schema"))?;
        conn.close().await.map_err(connect_error)?;
        Self::open(options.options([("search_path", schema)])).await
    }

    async fn open(options: PgConnectOptions) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(connect_error)?;
        MIGRATOR.run(&pool).await.map_err(migrate_error)?;
        Ok(Self {
            db: PgPools { pool },
        })
    }
}

/// Parses a `postgres://` or `postgresql://` URL.
fn parse_url(url: &str) -> Result<PgConnectOptions> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(MetadataError::UnsupportedUrl {
            scheme: url.split(':').next().unwrap_or_default().to_owned(),
        });
    }
    PgConnectOptions::from_str(url).map_err(connect_error)
}

/// Whether `name` is an identifier that needs no escaping anywhere.
fn is_plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 63
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl PgPools {
    /// The connection for `on`: readers and writers share the pool.
    async fn connection<'a>(&self, on: On<'a, Postgres>) -> sqlx::Result<Conn<'a, Postgres>> {
        Ok(match on {
            On::Read | On::Write => Conn::Pooled(self.pool.acquire().await?),
            On::Tx(tx) => Conn::Tx(&mut **tx),
        })
    }
}

impl Backend for PgPools {
    type Db = Postgres;

    const NAME: &'static str = "postgres";

    /// Concurrent writers: a read that guards a write locks its row, and claims skip
    /// rows another claimer holds.
    const DIALECT: Dialect = Dialect {
        greatest: "GREATEST",
        lock_row: " FOR UPDATE",
        skip_locked: "FOR UPDATE SKIP LOCKED",
    };

    statement_methods!(Postgres);

    /// A read-committed transaction; with [`WriteLock::Catalog`] it first takes the
    /// transaction-scoped advisory lock that serializes every change of the current
    /// catalog (catalog accepts and depot syncs): without it, two transactions that both
    /// saw no current catalog could both insert (the second with the next id) and win.
    async fn begin_write(&self, lock: WriteLock) -> sqlx::Result<Transaction<'static, Postgres>> {
        let mut tx = self.pool.begin().await?;
        if lock == WriteLock::Catalog {
            let stmt = Statement::new("SELECT pg_advisory_xact_lock(?)").bind(CATALOG_LOCK);
            stmt.render::<Postgres>()?.build().execute(&mut *tx).await?;
        }
        Ok(tx)
    }

    /// A read-only repeatable-read transaction: every statement sees one snapshot.
    async fn begin_read(&self) -> sqlx::Result<Transaction<'static, Postgres>> {
        self.pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        assert!(is_plain_identifier("depot_test_0a1b"));
        assert!(is_plain_identifier("_x"));
        assert!(!is_plain_identifier(""));
        assert!(!is_plain_identifier("1abc"));
        assert!(!is_plain_identifier("a\"; DROP SCHEMA public; --"));
        assert!(!is_plain_identifier("Upper"));
        assert!(!is_plain_identifier(&"a".repeat(64)));
    }

    #[test]
    fn other_schemes_are_unsupported() {
        assert!(matches!(
            parse_url("mysql://localhost/x"),
            Err(MetadataError::UnsupportedUrl { scheme }) if scheme == "mysql"
        ));
        assert!(parse_url("postgres://depot@127.0.0.1:5432/depot").is_ok());
    }
}
