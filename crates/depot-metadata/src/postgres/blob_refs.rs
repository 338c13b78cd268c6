//! [`BlobRefStore`] on PostgreSQL.

use async_trait::async_trait;

use super::PostgresStore;
use crate::sql::query_error;
use crate::{BlobRefStore, Result};

#[async_trait]
impl BlobRefStore for PostgresStore {
    async fn add_blob_ref(&self, digest: &str, owner: &str) -> Result<()> {
        sqlx::query("INSERT INTO blob_refs (digest, owner) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(digest)
            .bind(owner)
            .execute(&self.pool)
            .await
            .map_err(query_error("add_blob_ref"))?;
        Ok(())
    }

    async fn remove_blob_refs(&self, owner: &str) -> Result<u64> {
        let done = sqlx::query("DELETE FROM blob_refs WHERE owner = $1")
            .bind(owner)
            .execute(&self.pool)
            .await
            .map_err(query_error("remove_blob_refs"))?;
        Ok(done.rows_affected())
    }

    async fn blob_references(&self) -> Result<Vec<String>> {
        sqlx::query_scalar("SELECT DISTINCT digest FROM blob_refs ORDER BY digest")
            .fetch_all(&self.pool)
            .await
            .map_err(query_error("blob_references"))
    }
}
