//! [`LibraryItemStore`] on SQL.

use async_trait::async_trait;
use depot_model::{ClientToken, ItemFile, ItemId, LibraryId, LibraryItem};
use sqlx::Transaction;

use super::SqlStore;
use super::library_shared::{CreateFailure, ItemScope, created_with, insert_with_token};
use crate::sql::column::Decoder;
use crate::sql::{
    Backend, ITEM_COLUMNS, ITEM_FILE_COLUMNS, ItemFileRecord, ItemRecord, On, Statement, WriteLock,
    query_error, to_millis, unique_violation,
};
use crate::{CreateOutcome, ItemFilter, LibraryItemStore, MetadataError, Result};

/// Bumps the version (and, with `content`, the content version) of library `id`
/// inside `tx`; false when there is no such library.
pub(super) async fn bump_library<B: Backend>(
    db: &B,
    tx: &mut Transaction<'static, B::Db>,
    id: &str,
    content: bool,
    op: &'static str,
) -> Result<bool> {
    let sql = if content {
        "UPDATE libraries SET version = version + 1, content_version = content_version + 1 \
         WHERE id = ?"
    } else {
        "UPDATE libraries SET version = version + 1 WHERE id = ?"
    };
    let changed = db
        .execute(On::Tx(tx), Statement::new(sql).bind(id))
        .await
        .map_err(query_error(op))?;
    Ok(changed == 1)
}

/// Locks the row of library `id` in `tx` (PostgreSQL); false when there is none.
async fn lock_library<B: Backend>(
    db: &B,
    tx: &mut Transaction<'static, B::Db>,
    id: &str,
    op: &'static str,
) -> Result<bool> {
    let mut stmt = Statement::new("SELECT id FROM libraries WHERE id = ?").bind(id);
    stmt.push(B::DIALECT.lock_row());
    let row: Option<(String,)> = db
        .fetch_optional(On::Tx(tx), stmt)
        .await
        .map_err(query_error(op))?;
    Ok(row.is_some())
}

/// The library of item `id`, its row locked in `tx` (PostgreSQL).
async fn lock_item<B: Backend>(
    db: &B,
    tx: &mut Transaction<'static, B::Db>,
    id: &str,
    op: &'static str,
) -> Result<Option<String>> {
    let mut stmt = Statement::new("SELECT library_id FROM library_items WHERE id = ?").bind(id);
    stmt.push(B::DIALECT.lock_row());
    let row: Option<(String,)> = db
        .fetch_optional(On::Tx(tx), stmt)
        .await
        .map_err(query_error(op))?;
    Ok(row.map(|(library,)| library))
}

/// The insert of `item` in one transaction.
async fn insert_item_tx<B: Backend>(
    db: &B,
    item: &LibraryItem,
    token: Option<&ClientToken>,
    op: &'static str,
) -> Result<(), CreateFailure> {
    let library = item.library_id.to_string();
    let mut tx = db
        .begin_write(WriteLock::Rows)
        .await
        .map_err(CreateFailure::of(op))?;
    if !lock_library(db, &mut tx, &library, op).await? {
        return Err(MetadataError::NotFound {
            what: format!("library {library}"),
        }
        .into());
    }
    let stmt = insert_with_token(
        "library_items",
        ITEM_COLUMNS,
        ItemRecord::values(item),
        token,
    );
    db.execute(On::Tx(&mut tx), stmt)
        .await
        .map_err(CreateFailure::of(op))?;
    bump_library(db, &mut tx, &library, true, op).await?;
    tx.commit().await.map_err(CreateFailure::of(op))
}

#[async_trait]
impl<B: Backend> LibraryItemStore for SqlStore<B> {
    async fn insert_item(
        &self,
        item: &LibraryItem,
        token: Option<&ClientToken>,
    ) -> Result<CreateOutcome<ItemId>> {
        let op = "insert_item";
        if let Some(id) = created_with(&self.db, "library_items", token, op).await? {
            return Ok(CreateOutcome::Existing(id));
        }
        match insert_item_tx(&self.db, item, token, op).await {
            Ok(()) => Ok(CreateOutcome::Created),
            Err(CreateFailure::Fail(e)) => Err(e),
            Err(CreateFailure::Unique(_)) => {
                match created_with(&self.db, "library_items", token, op).await? {
                    Some(id) => Ok(CreateOutcome::Existing(id)),
                    None => Err(MetadataError::AlreadyExists {
                        what: format!("item {:?} in library {}", item.name, item.library_id),
                    }),
                }
            }
        }
    }

    async fn get_item(&self, id: ItemId) -> Result<Option<LibraryItem>> {
        let read = async {
            let stmt = Statement::new(format!(
                "SELECT {ITEM_COLUMNS} FROM library_items WHERE id = ?"
            ))
            .bind(id.to_string());
            let record: Option<ItemRecord> = self
                .db
                .fetch_optional(On::Read, stmt)
                .await
                .map_err(query_error("get_item"))?;
            record.map(ItemRecord::into_item).transpose()
        };
        self.reads
            .items
            .get_or_read(self.db.epoch(), id, read)
            .await
    }

    async fn list_items(&self, library: LibraryId) -> Result<Vec<LibraryItem>> {
        let stmt = Statement::new(format!(
            "SELECT {ITEM_COLUMNS} FROM library_items WHERE library_id = ? ORDER BY name"
        ))
        .bind(library.to_string());
        let records: Vec<ItemRecord> = self
            .db
            .fetch_all(On::Read, stmt)
            .await
            .map_err(query_error("list_items"))?;
        records.into_iter().map(ItemRecord::into_item).collect()
    }

    async fn item_ids(&self, library: LibraryId) -> Result<Option<Vec<ItemId>>> {
        let read = item_ids(&self.db, library);
        self.reads
            .item_ids
            .get_or_read(self.db.epoch(), library, read)
            .await
    }

    async fn find_items(&self, filter: &ItemFilter) -> Result<Vec<ItemId>> {
        let mut stmt = Statement::new("SELECT id FROM library_items WHERE TRUE");
        stmt.push_and_in("name", filter.name.clone());
        stmt.push_and_in("library_id", filter.library_id.map(|l| l.to_string()));
        stmt.push_and_in("source_id", filter.source_id.clone());
        stmt.push_and_in("item_type", filter.item_type.clone());
        stmt.push_and_in("cached", filter.cached);
        stmt.push(" ORDER BY name, id");
        let rows: Vec<(String,)> = self
            .db
            .fetch_all(On::Read, stmt)
            .await
            .map_err(query_error("find_items"))?;
        rows.iter()
            .map(|(id,)| Decoder::new("library item", id).parse("id", id))
            .collect()
    }

    async fn update_item(&self, item: &LibraryItem) -> Result<Option<i64>> {
        let op = "update_item";
        let mut tx = self
            .db
            .begin_write(WriteLock::Rows)
            .await
            .map_err(query_error(op))?;
        let stmt = Statement::new(
            "UPDATE library_items SET name = ?, description = ?, item_type = ?, \
             last_modified_time = ?, version = version + 1, \
             metadata_version = metadata_version + 1 \
             WHERE id = ? AND version = ? RETURNING version, library_id",
        )
        .bind(item.name.clone())
        .bind(item.description.clone())
        .bind(item.item_type.clone())
        .bind(to_millis(item.last_modified_time))
        .bind(item.id.to_string())
        .bind(item.version);
        let updated: Option<(i64, String)> =
            match self.db.fetch_optional(On::Tx(&mut tx), stmt).await {
                Ok(row) => row,
                Err(e) if unique_violation(&e).is_some() => {
                    return Err(MetadataError::AlreadyExists {
                        what: format!("item {:?} in library {}", item.name, item.library_id),
                    });
                }
                Err(e) => return Err(query_error(op)(e)),
            };
        let Some((version, library)) = updated else {
            return Ok(None);
        };
        bump_library(&self.db, &mut tx, &library, false, op).await?;
        tx.commit().await.map_err(query_error(op))?;
        Ok(Some(version))
    }

    async fn delete_item(&self, id: ItemId, force: bool) -> Result<bool> {
        let op = "delete_item";
        let id = id.to_string();
        let mut tx = self
            .db
            .begin_write(WriteLock::Rows)
            .await
            .map_err(query_error(op))?;
        let Some(library) = lock_item(&self.db, &mut tx, &id, op).await? else {
            return Ok(false);
        };
        let scope = ItemScope {
            items: "SELECT id FROM library_items WHERE id = ?",
            key: &id,
        };
        let active = scope.active_sessions(&self.db, &mut tx, op).await?;
        if active > 0 && !force {
            return Err(MetadataError::OpenUpdateSessions {
                what: format!("library item {id}"),
                count: active,
            });
        }
        scope.drop_blob_refs(&self.db, &mut tx, op).await?;
        // Files and sessions go by ON DELETE CASCADE.
        let delete = Statement::new("DELETE FROM library_items WHERE id = ?").bind(id.as_str());
        self.db
            .execute(On::Tx(&mut tx), delete)
            .await
            .map_err(query_error(op))?;
        bump_library(&self.db, &mut tx, &library, true, op).await?;
        tx.commit().await.map_err(query_error(op))?;
        Ok(true)
    }

    async fn item_files(&self, item: ItemId) -> Result<Vec<ItemFile>> {
        let stmt = Statement::new(format!(
            "SELECT {ITEM_FILE_COLUMNS} FROM item_files WHERE item_id = ? ORDER BY name"
        ))
        .bind(item.to_string());
        let records: Vec<ItemFileRecord> = self
            .db
            .fetch_all(On::Read, stmt)
            .await
            .map_err(query_error("item_files"))?;
        records.into_iter().map(ItemFileRecord::into_file).collect()
    }

    async fn library_files(&self, library: LibraryId) -> Result<Vec<ItemFile>> {
        let stmt = Statement::new(format!(
            "SELECT {ITEM_FILE_COLUMNS} FROM item_files WHERE item_id IN \
             (SELECT id FROM library_items WHERE library_id = ?) ORDER BY item_id, name"
        ))
        .bind(library.to_string());
        let records: Vec<ItemFileRecord> = self
            .db
            .fetch_all(On::Read, stmt)
            .await
            .map_err(query_error("library_files"))?;
        records.into_iter().map(ItemFileRecord::into_file).collect()
    }

    async fn put_synced_item(
        &self,
        item: &LibraryItem,
        files: &[ItemFile],
        expected_version: Option<i64>,
    ) -> Result<bool> {
        super::synced_items::put(&self.db, item, files, expected_version).await
    }

    async fn item_file(&self, item: ItemId, name: &str) -> Result<Option<ItemFile>> {
        let stmt = Statement::new(format!(
            "SELECT {ITEM_FILE_COLUMNS} FROM item_files WHERE item_id = ? AND name = ?"
        ))
        .bind(item.to_string())
        .bind(name);
        let record: Option<ItemFileRecord> = self
            .db
            .fetch_optional(On::Read, stmt)
            .await
            .map_err(query_error("item_file"))?;
        record.map(ItemFileRecord::into_file).transpose()
    }
}

/// The ids of the items of `library` in name order; `None` without the library.
async fn item_ids<B: Backend>(db: &B, library: LibraryId) -> Result<Option<Vec<ItemId>>> {
    // One row: the library's, with its items' ids joined in name order (NULL for
    // none); no row, no library. Joined in SQL because a row costs far more than
    // its bytes to fetch (SQLite hands each over from its own thread).
    let stmt = Statement::new(
        "SELECT (SELECT string_agg(i.id, ',' ORDER BY i.name) FROM library_items i \
             WHERE i.library_id = l.id) FROM libraries l WHERE l.id = ?",
    )
    .bind(library.to_string());
    let row: Option<(Option<String>,)> = db
        .fetch_optional(On::Read, stmt)
        .await
        .map_err(query_error("item_ids"))?;
    let Some((ids,)) = row else {
        return Ok(None);
    };
    ids.as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|id| !id.is_empty())
        .map(|id| Decoder::new("library item", id).parse("id", id))
        .collect::<Result<Vec<_>>>()
        .map(Some)
}
