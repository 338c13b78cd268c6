//! The PostgreSQL backend: a connection pool, migrations in the first schema of the
//! `search_path`, write announcements between the replicas sharing the database
//! ([`notify`]) and locks per digest shared with them ([`digest_locks`]).

mod digest_locks;
mod notify;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Postgres};

use crate::remote_writes::Generation;
use crate::sql::{Pools, SqlStore, WriteEpoch, connect_error, migrate_error, query_error};
use crate::{MetadataError, Result};

/// The forward-only PostgreSQL migrations.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Pooled connections.
const MAX_CONNECTIONS: u32 = 16;

/// How long a statement waits for a connection (sqlx's default is 30 s): while the
/// database is down, requests and `/health` fail within this instead of hanging.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Metadata in a PostgreSQL database.
pub type PostgresStore = SqlStore<Pools<Postgres>>;

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

    /// Drops `schema` and everything in it (the end of a
    /// [`connect_in_schema`](Self::connect_in_schema) test), waiting at most
    /// `lock_timeout` for the locks it needs.
    pub async fn drop_schema(url: &str, schema: &str, lock_timeout: Duration) -> Result<()> {
        if !is_plain_identifier(schema) {
            return Err(MetadataError::Connect {
                source: format!("invalid schema name {schema:?}: use [a-z_][a-z0-9_]*").into(),
            });
        }
        let timeout = format!("{}ms", lock_timeout.as_millis());
        let mut conn = parse_url(url)?
            .options([("lock_timeout", timeout.as_str())])
            .connect()
            .await
            .map_err(connect_error)?;
        // The name was checked above: it cannot break out of the quotes.
        sqlx::query(AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
        )))
        .execute(&mut conn)
        .await
        .map_err(query_error("drop_schema"))?;
        conn.close().await.map_err(connect_error)
    }

    async fn open(options: PgConnectOptions) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await
            .map_err(connect_error)?;
        MIGRATOR.run(&pool).await.map_err(migrate_error)?;
        // Other replicas write too: they announce their writes, and the caches follow.
        let (all, remote) = (Arc::<Generation>::default(), Arc::<Generation>::default());
        let replication = notify::Replication::start(
            &options,
            notify::channel(&options),
            vec![Arc::clone(&all), Arc::clone(&remote)],
        )
        .await?;
        let epoch = WriteEpoch::announced(Arc::new(replication), all, remote);
        // Readers and writers share the pool; the digest locks have one of their own.
        let locks = digest_locks::digest_locks(&options);
        Ok(Self::new(
            Pools::with_epoch(pool.clone(), pool, epoch).with_locks(locks),
        ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        let too_long = "a".repeat(64);
        for (name, plain) in [
            ("depot_test_0a1b", true),
            ("_x", true),
            ("", false),
            ("1abc", false),
            ("a\"; DROP SCHEMA public; --", false),
            ("Upper", false),
            (too_long.as_str(), false),
        ] {
            assert_eq!(is_plain_identifier(name), plain, "{name:?}");
        }
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
