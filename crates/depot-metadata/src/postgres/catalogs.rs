//! [`CatalogStore`] on PostgreSQL.

use async_trait::async_trait;
use depot_model::CatalogVersion;
use sqlx::PgConnection;

use super::PostgresStore;
use crate::sql::{CATALOG_COLUMNS, CatalogRecord, accept_writes, query_error, unique_violation};
use crate::{CatalogStore, Result};

/// Advisory lock key of catalog acceptance ("depotcat" in ASCII).
const CATALOG_LOCK: i64 = 0x6465_706f_7463_6174;

#[async_trait]
impl CatalogStore for PostgresStore {
    async fn current_catalog(&self) -> Result<Option<CatalogVersion>> {
        let sql = format!(
            "SELECT {CATALOG_COLUMNS} FROM catalog_versions \
             WHERE id = (SELECT version_id FROM catalog_current WHERE singleton = 1)"
        );
        let record: Option<CatalogRecord> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_optional(&self.pool)
            .await
            .map_err(query_error("current_catalog"))?;
        record.map(CatalogRecord::into_version).transpose()
    }

    async fn accept_catalog(
        &self,
        version: &CatalogVersion,
        previous: Option<i64>,
    ) -> Result<Option<CatalogVersion>> {
        let op = "accept_catalog";
        let mut tx = self.pool.begin().await.map_err(query_error(op))?;
        lock_catalog(&mut tx, op).await?;
        let Some(accepted) = accept_in(&mut tx, version, previous, op).await? else {
            return Ok(None);
        };
        tx.commit().await.map_err(query_error(op))?;
        Ok(Some(accepted))
    }

    async fn catalog_history(&self) -> Result<Vec<CatalogVersion>> {
        let sql = format!("SELECT {CATALOG_COLUMNS} FROM catalog_versions ORDER BY id");
        let records: Vec<CatalogRecord> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("catalog_history"))?;
        records
            .into_iter()
            .map(CatalogRecord::into_version)
            .collect()
    }
}

/// Takes the transaction-scoped lock that serializes every change of the current
/// catalog (catalog accepts and depot syncs): without it, two transactions that both
/// saw no current catalog could both insert (the second with the next id) and win.
pub(super) async fn lock_catalog(conn: &mut PgConnection, op: &'static str) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(CATALOG_LOCK)
        .execute(conn)
        .await
        .map_err(query_error(op))?;
    Ok(())
}

/// The body of [`CatalogStore::accept_catalog`] inside the caller's transaction `conn`,
/// which holds [`lock_catalog`]: the accepted version with its id, or `None` when the
/// current version is no longer `previous` (then the caller must roll back: a write may
/// have failed half-way).
pub(super) async fn accept_in(
    conn: &mut PgConnection,
    version: &CatalogVersion,
    previous: Option<i64>,
    op: &'static str,
) -> Result<Option<CatalogVersion>> {
    let current: Option<i64> =
        sqlx::query_scalar("SELECT version_id FROM catalog_current WHERE singleton = 1 FOR UPDATE")
            .fetch_optional(&mut *conn)
            .await
            .map_err(query_error(op))?;
    if current != previous {
        return Ok(None);
    }
    let next: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM catalog_versions")
        .fetch_one(&mut *conn)
        .await
        .map_err(query_error(op))?;
    for mut write in accept_writes(CatalogRecord::from_version(version, next)) {
        match write.build().execute(&mut *conn).await {
            Ok(_) => {}
            // A concurrent writer took the same position first.
            Err(e) if unique_violation(&e).is_some() => return Ok(None),
            Err(e) => return Err(query_error(op)(e)),
        }
    }
    Ok(Some(CatalogVersion {
        id: next,
        ..version.clone()
    }))
}
