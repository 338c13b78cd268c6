//! [`DepotStore`] on SQL.

use async_trait::async_trait;
use depot_model::{DepotFile, StoredDepotSettings, SyncRecord, Timestamp};

use super::SqlStore;
use super::catalogs::accept_in;
use crate::sql::{
    Backend, DEPOT_FILE_COLUMNS, DepotFileRecord, On, SETTINGS_COLUMNS, SYNC_COLUMNS,
    SettingsRecord, Statement, SyncRow, WriteLock, claim_slot, from_millis_opt, query_error,
    settings_document_write, settings_write, sync_record_write, sync_writes,
};
use crate::{DepotStore, DepotSyncApplied, DepotSyncApply, Result};

#[async_trait]
impl<B: Backend> DepotStore for SqlStore<B> {
    async fn depot_settings(&self) -> Result<Option<StoredDepotSettings>> {
        let stmt = Statement::new(format!(
            "SELECT {SETTINGS_COLUMNS} FROM depot_settings WHERE singleton = 1"
        ));
        let record: Option<SettingsRecord> = self
            .db
            .fetch_optional(On::Read, stmt)
            .await
            .map_err(query_error("depot_settings"))?;
        record.map(SettingsRecord::into_settings).transpose()
    }

    async fn put_depot_settings(&self, settings: Option<&StoredDepotSettings>) -> Result<()> {
        self.db
            .execute(On::Write, settings_write(settings))
            .await
            .map_err(query_error("put_depot_settings"))?;
        Ok(())
    }

    async fn update_depot_settings_document(
        &self,
        version: Timestamp,
        document: &str,
    ) -> Result<bool> {
        let updated = self
            .db
            .execute(On::Write, settings_document_write(version, document))
            .await
            .map_err(query_error("update_depot_settings_document"))?;
        Ok(updated == 1)
    }

    async fn depot_files(&self) -> Result<Vec<DepotFile>> {
        let stmt = Statement::new(format!(
            "SELECT {DEPOT_FILE_COLUMNS} FROM depot_files ORDER BY path"
        ));
        let records: Vec<DepotFileRecord> = self
            .db
            .fetch_all(On::Read, stmt)
            .await
            .map_err(query_error("depot_files"))?;
        records
            .into_iter()
            .map(DepotFileRecord::into_file)
            .collect()
    }

    async fn depot_file(&self, path: &str) -> Result<Option<DepotFile>> {
        let stmt = Statement::new(format!(
            "SELECT {DEPOT_FILE_COLUMNS} FROM depot_files WHERE path = ?"
        ))
        .bind(path);
        let record: Option<DepotFileRecord> = self
            .db
            .fetch_optional(On::Read, stmt)
            .await
            .map_err(query_error("depot_file"))?;
        record.map(DepotFileRecord::into_file).transpose()
    }

    async fn apply_depot_sync(&self, apply: &DepotSyncApply) -> Result<DepotSyncApplied> {
        let op = "apply_depot_sync";
        // Always the catalog lock, catalog or not: syncs serialize with catalog accepts
        // and with each other (two file-set replacements would otherwise collide on
        // paths).
        let mut tx = self
            .db
            .begin_write(WriteLock::Catalog)
            .await
            .map_err(query_error(op))?;
        let accepted = match &apply.catalog {
            None => None,
            Some((version, previous)) => {
                let Some(accepted) = accept_in(&self.db, &mut tx, version, *previous, op).await?
                else {
                    return Ok(DepotSyncApplied::CatalogChanged);
                };
                Some(accepted)
            }
        };
        for write in sync_writes(&apply.files, &apply.record) {
            self.db
                .execute(On::Tx(&mut tx), write)
                .await
                .map_err(query_error(op))?;
        }
        tx.commit().await.map_err(query_error(op))?;
        Ok(DepotSyncApplied::Applied(accepted))
    }

    async fn sync_record(&self) -> Result<Option<SyncRecord>> {
        let stmt = Statement::new(format!(
            "SELECT {SYNC_COLUMNS} FROM depot_sync WHERE singleton = 1"
        ));
        let row: Option<SyncRow> = self
            .db
            .fetch_optional(On::Read, stmt)
            .await
            .map_err(query_error("sync_record"))?;
        row.map(SyncRow::into_record).transpose()
    }

    async fn put_sync_record(&self, record: &SyncRecord) -> Result<()> {
        self.db
            .execute(On::Write, sync_record_write(record))
            .await
            .map_err(query_error("put_sync_record"))?;
        Ok(())
    }

    async fn last_sync_slot(&self) -> Result<Option<Timestamp>> {
        let stmt = Statement::new("SELECT slot FROM depot_sync_slot WHERE singleton = 1");
        let slot: Option<(i64,)> = self
            .db
            .fetch_optional(On::Read, stmt)
            .await
            .map_err(query_error("last_sync_slot"))?;
        from_millis_opt(slot.map(|(ms,)| ms), "sync slot", "slot")
    }

    async fn claim_sync_slot(&self, previous: Option<Timestamp>, slot: Timestamp) -> Result<bool> {
        let claimed = self
            .db
            .execute(On::Write, claim_slot(previous, slot))
            .await
            .map_err(query_error("claim_sync_slot"))?;
        Ok(claimed == 1)
    }
}
