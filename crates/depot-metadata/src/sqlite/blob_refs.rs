//! [`BlobRefStore`] on SQLite.

use async_trait::async_trait;

use super::SqliteStore;
use crate::sql::query_error;
use crate::{BlobRefStore, Result};

#[async_trait]
impl BlobRefStore for SqliteStore {
    async fn add_blob_ref(&self, digest: &str, owner: &str) -> Result<()> {
        sqlx::query("INSERT OR IGNORE INTO blob_refs (digest, owner) VALUES (?, ?)")
            .bind(digest)
            .bind(owner)
            .execute(&self.write)
            .await
            .map_err(query_error("add_blob_ref"))?;
        Ok(())
    }

    async fn remove_blob_refs(&self, owner: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM blob_refs WHERE owner = ?")
            .bind(owner)
            .execute(&self.write)
            .await
            .map_err(query_error("remove_blob_refs"))?;
        Ok(done.rows_affected())
    }

    async fn blob_references(&self) -> Result<Vec<String>> {
        sqlx::query_scalar("SELECT DISTINCT digest FROM blob_refs ORDER BY digest")
            .fetch_all(&self.read)
            .await
            .map_err(query_error("blob_references"))
    }
}
