//! [`CatalogStore`] on SQL.

use async_trait::async_trait;
use depot_model::CatalogVersion;
use sqlx::Transaction;

use super::SqlStore;
use crate::sql::{
    Backend, CATALOG_COLUMNS, CatalogRecord, On, Statement, WriteLock, accept_writes, query_error,
    unique_violation,
};
use crate::{CatalogStore, Result};

#[async_trait]
impl<B: Backend> CatalogStore for SqlStore<B> {
    async fn current_catalog(&self) -> Result<Option<CatalogVersion>> {
        let stmt = Statement::new(format!(
            "SELECT {CATALOG_COLUMNS} FROM catalog_versions \
             WHERE id = (SELECT version_id FROM catalog_current WHERE singleton = 1)"
        ));
        let record: Option<CatalogRecord> = self
            .db
            .fetch_optional(On::Read, stmt)
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
        let mut tx = self
            .db
            .begin_write(WriteLock::Catalog)
            .await
            .map_err(query_error(op))?;
        let Some(accepted) = accept_in(&self.db, &mut tx, version, previous, op).await? else {
            return Ok(None);
        };
        tx.commit().await.map_err(query_error(op))?;
        Ok(Some(accepted))
    }

    async fn catalog_history(&self) -> Result<Vec<CatalogVersion>> {
        let stmt = Statement::new(format!(
            "SELECT {CATALOG_COLUMNS} FROM catalog_versions ORDER BY id"
        ));
        let records: Vec<CatalogRecord> = self
            .db
            .fetch_all(On::Read, stmt)
            .await
            .map_err(query_error("catalog_history"))?;
        records
            .into_iter()
            .map(CatalogRecord::into_version)
            .collect()
    }
}

/// The body of [`CatalogStore::accept_catalog`] inside the caller's transaction `tx`
/// on `db`, begun with [`WriteLock::Catalog`]: the accepted version with its id, or
/// `None` when the current version is no longer `previous` (then the caller must roll
/// back: a write may have failed half-way).
pub(super) async fn accept_in<B: Backend>(
    db: &B,
    tx: &mut Transaction<'static, B::Db>,
    version: &CatalogVersion,
    previous: Option<i64>,
    op: &'static str,
) -> Result<Option<CatalogVersion>> {
    let mut current = Statement::new("SELECT version_id FROM catalog_current WHERE singleton = 1");
    current.push(B::DIALECT.lock_row());
    let current: Option<(i64,)> = db
        .fetch_optional(On::Tx(&mut *tx), current)
        .await
        .map_err(query_error(op))?;
    if current.map(|(id,)| id) != previous {
        return Ok(None);
    }
    let next = Statement::new("SELECT COALESCE(MAX(id), 0) + 1 FROM catalog_versions");
    let next: Option<(i64,)> = db
        .fetch_optional(On::Tx(&mut *tx), next)
        .await
        .map_err(query_error(op))?;
    let next = next.map_or(1, |(id,)| id);
    for write in accept_writes(CatalogRecord::from_version(version, next)) {
        match db.execute(On::Tx(&mut *tx), write).await {
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
