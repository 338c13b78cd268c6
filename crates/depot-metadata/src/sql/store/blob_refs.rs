//! [`BlobRefStore`] on SQL.

use async_trait::async_trait;
use depot_model::Sha256Digest;

use super::SqlStore;
use crate::sql::{Backend, On, Statement, parse_digest, query_error};
use crate::{BlobRefStore, Result};

#[async_trait]
impl<B: Backend> BlobRefStore for SqlStore<B> {
    async fn add_blob_ref(&self, digest: &Sha256Digest, owner: &str) -> Result<()> {
        let stmt = Statement::new(
            "INSERT INTO blob_refs (digest, owner) VALUES (?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(digest)
        .bind(owner);
        self.db
            .execute(On::Write, stmt)
            .await
            .map_err(query_error("add_blob_ref"))?;
        Ok(())
    }

    async fn remove_blob_refs(&self, owner: &str) -> Result<u64> {
        let stmt = Statement::new("DELETE FROM blob_refs WHERE owner = ?").bind(owner);
        self.db
            .execute(On::Write, stmt)
            .await
            .map_err(query_error("remove_blob_refs"))
    }

    async fn blob_references(&self) -> Result<Vec<Sha256Digest>> {
        let stmt = Statement::new("SELECT DISTINCT digest FROM blob_refs ORDER BY digest");
        let rows: Vec<(String,)> = self
            .db
            .fetch_all(On::Read, stmt)
            .await
            .map_err(query_error("blob_references"))?;
        rows.iter()
            .map(|(digest,)| parse_digest(digest, "blob reference", "digest"))
            .collect()
    }
}
