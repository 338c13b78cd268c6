//! The store traits implemented once, over any [`Backend`].

mod blob_refs;
mod catalogs;
mod depot;
mod download_sessions;
mod libraries;
mod library_items;
mod library_shared;
mod offline_depots;
mod online_depots;
mod session_files;
mod sessions;
mod synced_items;
mod tasks;
mod update_session_complete;
mod update_sessions;
mod uploads;
mod users;

use std::sync::Arc;

use async_trait::async_trait;
use depot_model::{ItemId, Library, LibraryId, LibraryItem};

use super::{Backend, On, ReadCache, Statement, query_error};
use crate::{MetadataStore, Result};

/// Metadata in a SQL database: every store trait, on the backend `B` (the pools of
/// [`SqliteStore`](crate::SqliteStore) or [`PostgresStore`](crate::PostgresStore)).
#[derive(Debug, Clone)]
pub struct SqlStore<B> {
    /// The pools and transactions of the database.
    pub(crate) db: B,
    /// The hot reads, kept while nothing is written.
    pub(crate) reads: Arc<HotReads>,
}

impl<B> SqlStore<B> {
    /// The store over `db`, its hot reads cached by the write epoch (which other
    /// replicas' announced writes advance too).
    pub(crate) fn new(db: B) -> Self {
        Self {
            db,
            reads: Arc::new(HotReads {
                items: ReadCache::new(true),
                item_ids: ReadCache::new(true),
                libraries: ReadCache::new(true),
            }),
        }
    }
}

/// The reads that content-library clients repeat most: an item, a library's item
/// list, a library (every item operation checks its library).
#[derive(Debug)]
pub(crate) struct HotReads {
    pub(crate) items: ReadCache<ItemId, Option<LibraryItem>>,
    pub(crate) item_ids: ReadCache<LibraryId, Option<Vec<ItemId>>>,
    pub(crate) libraries: ReadCache<LibraryId, Option<Library>>,
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

    fn digest_locks(&self) -> Option<crate::DigestLocks> {
        self.db.digest_locks()
    }
}
