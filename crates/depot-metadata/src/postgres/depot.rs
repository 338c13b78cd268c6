//! [`DepotStore`] on PostgreSQL.

use async_trait::async_trait;
use depot_model::{DepotFile, StoredDepotSettings, SyncRecord, Timestamp};
use sqlx::AssertSqlSafe;

use super::PostgresStore;
use super::catalogs::{accept_in, lock_catalog};
use crate::sql::{
    DEPOT_FILE_COLUMNS, DepotFileRecord, SETTINGS_COLUMNS, SYNC_COLUMNS, SettingsRecord, SyncRow,
    claim_slot, from_millis_opt, query_error, settings_document_write, settings_write,
    sync_record_write, sync_writes,
};
use crate::{DepotStore, DepotSyncApplied, DepotSyncApply, Result};

#[async_trait]
impl DepotStore for PostgresStore {
    async fn depot_settings(&self) -> Result<Option<StoredDepotSettings>> {
        let sql = format!("SELECT {SETTINGS_COLUMNS} FROM depot_settings WHERE singleton = 1");
        let record: Option<SettingsRecord> = sqlx::query_as(AssertSqlSafe(sql))
            .fetch_optional(&self.pool)
            .await
            .map_err(query_error("depot_settings"))?;
        record.map(SettingsRecord::into_settings).transpose()
    }

    async fn put_depot_settings(&self, settings: Option<&StoredDepotSettings>) -> Result<()> {
        settings_write(settings)
            .build()
            .execute(&self.pool)
            .await
            .map_err(query_error("put_depot_settings"))?;
        Ok(())
    }

    async fn update_depot_settings_document(
        &self,
        version: Timestamp,
        document: &str,
    ) -> Result<bool> {
        let done = settings_document_write(version, document)
            .build()
            .execute(&self.pool)
            .await
            .map_err(query_error("update_depot_settings_document"))?;
        Ok(done.rows_affected() == 1)
    }

    async fn depot_files(&self) -> Result<Vec<DepotFile>> {
        let sql = format!("SELECT {DEPOT_FILE_COLUMNS} FROM depot_files ORDER BY path");
        let records: Vec<DepotFileRecord> = sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("depot_files"))?;
        records
            .into_iter()
            .map(DepotFileRecord::into_file)
            .collect()
    }

    async fn depot_file(&self, path: &str) -> Result<Option<DepotFile>> {
        let sql = format!("SELECT {DEPOT_FILE_COLUMNS} FROM depot_files WHERE path = $1");
        let record: Option<DepotFileRecord> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(path)
            .fetch_optional(&self.pool)
            .await
            .map_err(query_error("depot_file"))?;
        record.map(DepotFileRecord::into_file).transpose()
    }

    async fn apply_depot_sync(&self, apply: &DepotSyncApply) -> Result<DepotSyncApplied> {
        let op = "apply_depot_sync";
        let mut tx = self.pool.begin().await.map_err(query_error(op))?;
        // Always, catalog or not: syncs serialize with catalog accepts and with each
        // other (two file-set replacements would otherwise collide on paths).
        lock_catalog(&mut tx, op).await?;
        let accepted = match &apply.catalog {
            None => None,
            Some((version, previous)) => {
                let Some(accepted) = accept_in(&mut tx, version, *previous, op).await? else {
                    return Ok(DepotSyncApplied::CatalogChanged);
                };
                Some(accepted)
            }
        };
        for mut write in sync_writes(&apply.files, &apply.record) {
            write
                .build()
                .execute(&mut *tx)
                .await
                .map_err(query_error(op))?;
        }
        tx.commit().await.map_err(query_error(op))?;
        Ok(DepotSyncApplied::Applied(accepted))
    }

    async fn sync_record(&self) -> Result<Option<SyncRecord>> {
        let sql = format!("SELECT {SYNC_COLUMNS} FROM depot_sync WHERE singleton = 1");
        let row: Option<SyncRow> = sqlx::query_as(AssertSqlSafe(sql))
            .fetch_optional(&self.pool)
            .await
            .map_err(query_error("sync_record"))?;
        row.map(SyncRow::into_record).transpose()
    }

    async fn put_sync_record(&self, record: &SyncRecord) -> Result<()> {
        sync_record_write(record)
            .build()
            .execute(&self.pool)
            .await
            .map_err(query_error("put_sync_record"))?;
        Ok(())
    }

    async fn last_sync_slot(&self) -> Result<Option<Timestamp>> {
        let slot: Option<i64> =
            sqlx::query_scalar("SELECT slot FROM depot_sync_slot WHERE singleton = 1")
                .fetch_optional(&self.pool)
                .await
                .map_err(query_error("last_sync_slot"))?;
        from_millis_opt(slot, "sync slot", "slot")
    }

    async fn claim_sync_slot(&self, previous: Option<Timestamp>, slot: Timestamp) -> Result<bool> {
        let done = claim_slot(previous, slot)
            .build()
            .execute(&self.pool)
            .await
            .map_err(query_error("claim_sync_slot"))?;
        Ok(done.rows_affected() == 1)
    }
}
