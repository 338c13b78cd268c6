//! The PostgreSQL backend: a connection pool, migrations in the first schema of the
//! `search_path`.

use std::str::FromStr;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Postgres};

use crate::sql::{
    Backend, Dialect, SqlStore, backend_methods, connect_error, migrate_error, query_error,
};
use crate::{MetadataError, Result};

/// The forward-only PostgreSQL migrations.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Pooled connections.
const MAX_CONNECTIONS: u32 = 16;

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

impl Backend for PgPools {
    type Db = Postgres;

    /// Concurrent writers, in read-committed transactions: a read that guards a write
    /// locks its row, claims skip rows another claimer holds, and changes of the
    /// current catalog (catalog accepts and depot syncs) first take a transaction-scoped
    /// advisory lock ("depotcat" in ASCII: 0x6465_706f_7463_6174) — without it, two
    /// transactions that both saw no current catalog could both insert (the second with
    /// the next id) and win. Snapshot reads are repeatable-read and read-only.
    const DIALECT: Dialect = Dialect {
        name: "postgres",
        begin_write: "BEGIN",
        begin_read: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        catalog_lock: Some("SELECT pg_advisory_xact_lock(7234312000436920692)"),
        greatest: "GREATEST",
        lock_row: " FOR UPDATE",
        skip_locked: "FOR UPDATE SKIP LOCKED",
    };

    /// Readers and writers share the pool.
    fn read_pool(&self) -> &PgPool {
        &self.pool
    }

    fn write_pool(&self) -> &PgPool {
        &self.pool
    }

    backend_methods!(Postgres);
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
    fn catalog_lock_key_spells_depotcat() {
        let key = i64::from_be_bytes(*b"depotcat");
        let sql = PgPools::DIALECT.catalog_lock.unwrap();
        assert_eq!(sql, format!("SELECT pg_advisory_xact_lock({key})"));
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
