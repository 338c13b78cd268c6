//! The store traits implemented once, over any [`Backend`].

mod blob_refs;
mod catalogs;
mod depot;
mod download_sessions;
mod libraries;
mod library_items;
mod library_shared;
mod session_files;
mod sessions;
mod synced_items;
mod tasks;
mod update_session_complete;
mod update_sessions;
mod uploads;
mod users;

use async_trait::async_trait;

use super::{Backend, On, Statement, query_error};
use crate::{MetadataStore, Result};

/// Metadata in a SQL database: every store trait, on the backend `B` (the pools of
/// [`SqliteStore`](crate::SqliteStore) or [`PostgresStore`](crate::PostgresStore)).
#[derive(Debug, Clone)]
pub struct SqlStore<B> {
    /// The pools and transactions of the database.
    pub(crate) db: B,
}

#[async_trait]
impl<B: Backend> MetadataStore for SqlStore<B> {
    async fn ping(&self) -> Result<()> {
        self.db
            .execute(On::Read, Statement::new("SELECT 1"))
            .await
            .map_err(query_error("ping"))?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        B::DIALECT.name()
    }
}
