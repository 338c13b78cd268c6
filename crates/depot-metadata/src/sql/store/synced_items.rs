//! What a subscribed library's sync writes on SQL: an item as synced, with its files,
//! in one transaction; and the library's sync record.

use depot_model::{ItemFile, LibraryId, LibraryItem, Timestamp};
use sqlx::Transaction;

use super::library_items::bump_library;
use super::library_shared::{item_owner, sync_blob_refs};
use crate::sql::column::size_value;
use crate::sql::{
    Backend, ITEM_COLUMNS, ItemRecord, On, Statement, WriteLock, query_error, to_millis,
    unique_violation,
};
use crate::{MetadataError, Result};

/// [`LibraryItemStore::put_synced_item`](crate::LibraryItemStore::put_synced_item).
pub(super) async fn put<B: Backend>(
    db: &B,
    item: &LibraryItem,
    files: &[ItemFile],
    expected_version: Option<i64>,
) -> Result<bool> {
    let op = "put_synced_item";
    let id = item.id.to_string();
    let library = item.library_id.to_string();
    let mut tx = db
        .begin_write(WriteLock::Rows)
        .await
        .map_err(query_error(op))?;
    let mut lock = Statement::new("SELECT id FROM libraries WHERE id = ?").bind(library.as_str());
    lock.push(B::DIALECT.lock_row());
    let found: Option<(String,)> = db
        .fetch_optional(On::Tx(&mut tx), lock)
        .await
        .map_err(query_error(op))?;
    if found.is_none() {
        return Err(MetadataError::NotFound {
            what: format!("library {library}"),
        });
    }
    let written = match expected_version {
        None => {
            let mut stmt = Statement::new(format!(
                "INSERT INTO library_items ({ITEM_COLUMNS}) VALUES ("
            ));
            stmt.push_values(ItemRecord::values(item));
            stmt.push(")");
            db.execute(On::Tx(&mut tx), stmt).await
        }
        Some(expected) => {
            db.execute(On::Tx(&mut tx), update_row(item, expected))
                .await
        }
    };
    let written = match written {
        Ok(n) => n,
        Err(e) if unique_violation(&e).is_some() => {
            return Err(MetadataError::AlreadyExists {
                what: format!("item {:?} in library {library}", item.name),
            });
        }
        Err(e) => return Err(query_error(op)(e)),
    };
    if written != 1 {
        return Ok(false);
    }
    replace_files(db, &mut tx, &id, files, op).await?;
    let owned = ("item_files", "item_id", id.as_str());
    sync_blob_refs(db, &mut tx, &item_owner(&id), owned, op).await?;
    bump_library(db, &mut tx, &library, true, op).await?;
    tx.commit().await.map_err(query_error(op))?;
    Ok(true)
}

/// Writes every synced column of `item`, only while its stored version is `expected`
/// and it is still in its library.
fn update_row(item: &LibraryItem, expected: i64) -> Statement {
    Statement::new(
        "UPDATE library_items SET name = ?, description = ?, item_type = ?, version = ?, \
         content_version = ?, metadata_version = ?, last_modified_time = ?, \
         last_sync_time = ?, source_id = ?, size = ?, cached = ?, source_version = ?, \
         source_href = ? \
         WHERE id = ? AND library_id = ? AND version = ?",
    )
    .bind(item.name.clone())
    .bind(item.description.clone())
    .bind(item.item_type.clone())
    .bind(item.version)
    .bind(item.content_version)
    .bind(item.metadata_version)
    .bind(to_millis(item.last_modified_time))
    .bind(item.last_sync_time.map(to_millis))
    .bind(item.source_id.clone())
    .bind(size_value(item.size))
    .bind(item.cached)
    .bind(item.source_version.clone())
    .bind(item.source_href.clone())
    .bind(item.id.to_string())
    .bind(item.library_id.to_string())
    .bind(expected)
}

/// Makes `files` the files of item `id`, inside `tx`.
async fn replace_files<B: Backend>(
    db: &B,
    tx: &mut Transaction<'static, B::Db>,
    id: &str,
    files: &[ItemFile],
    op: &'static str,
) -> Result<()> {
    let delete = Statement::new("DELETE FROM item_files WHERE item_id = ?").bind(id);
    db.execute(On::Tx(&mut *tx), delete)
        .await
        .map_err(query_error(op))?;
    for f in files {
        let stmt = Statement::new(
            "INSERT INTO item_files (item_id, name, size, digest, version, source_href, \
             source_etag, optional) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(f.name.clone())
        .bind(size_value(f.size))
        .bind(f.digest.map(|d| d.to_string()))
        .bind(f.version)
        .bind(f.source_href.clone())
        .bind(f.source_etag.clone())
        .bind(f.optional);
        db.execute(On::Tx(&mut *tx), stmt)
            .await
            .map_err(query_error(op))?;
    }
    Ok(())
}

/// [`LibraryStore::record_library_sync`](crate::LibraryStore::record_library_sync).
pub(super) async fn record<B: Backend>(
    db: &B,
    id: LibraryId,
    source_version: Option<&str>,
    at: Timestamp,
) -> Result<bool> {
    let stmt =
        Statement::new("UPDATE libraries SET source_version = ?, last_sync_time = ? WHERE id = ?")
            .bind(source_version.map(str::to_owned))
            .bind(to_millis(at))
            .bind(id.to_string());
    let changed = db
        .execute(On::Write, stmt)
        .await
        .map_err(query_error("record_library_sync"))?;
    Ok(changed == 1)
}
