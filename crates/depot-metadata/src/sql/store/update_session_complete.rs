//! Completing an update session on SQL: its files become the item's, in one
//! transaction.

use depot_model::{LibraryItem, Timestamp, UpdateSessionId};

use super::library_items::bump_library;
use super::library_shared::{drop_blob_refs, item_owner, sync_blob_refs, update_session_owner};
use super::update_sessions::require_active;
use crate::sql::{
    Backend, ITEM_COLUMNS, ItemRecord, On, Statement, WriteLock, query_error, to_millis,
};
use crate::{MetadataError, Result};

/// [`UpdateSessionStore::complete_update_session`](crate::UpdateSessionStore::complete_update_session).
pub(super) async fn complete<B: Backend>(
    db: &B,
    id: UpdateSessionId,
    now: Timestamp,
) -> Result<LibraryItem> {
    let op = "complete_update_session";
    let session = id.to_string();
    let mut tx = db
        .begin_write(WriteLock::Rows)
        .await
        .map_err(query_error(op))?;
    let item = require_active(db, &mut tx, &session, op).await?;
    let not_ready = Statement::new(
        "SELECT name FROM session_files WHERE session_id = ? \
         AND (status <> 'READY' OR digest IS NULL) ORDER BY name",
    )
    .bind(session.as_str());
    let not_ready: Vec<(String,)> = db
        .fetch_all(On::Tx(&mut tx), not_ready)
        .await
        .map_err(query_error(op))?;
    if !not_ready.is_empty() {
        return Err(MetadataError::FilesNotReady {
            session,
            files: not_ready.into_iter().map(|(name,)| name).collect(),
        });
    }
    let mut lock =
        Statement::new("SELECT library_id, content_version FROM library_items WHERE id = ?")
            .bind(item.as_str());
    lock.push(B::DIALECT.lock_row());
    let locked: Option<(String, i64)> = db
        .fetch_optional(On::Tx(&mut tx), lock)
        .await
        .map_err(query_error(op))?;
    let Some((library, content_version)) = locked else {
        return Err(MetadataError::NotFound {
            what: format!("library item {item}"),
        });
    };
    for stmt in commit_files(&session, &item, content_version + 1, now) {
        db.execute(On::Tx(&mut tx), stmt)
            .await
            .map_err(query_error(op))?;
    }
    bump_library(db, &mut tx, &library, true, op).await?;
    let files = ("item_files", "item_id", item.as_str());
    sync_blob_refs(db, &mut tx, &item_owner(&item), files, op).await?;
    drop_blob_refs(db, &mut tx, &update_session_owner(&session), op).await?;
    let stored = Statement::new(format!(
        "SELECT {ITEM_COLUMNS} FROM library_items WHERE id = ?"
    ))
    .bind(item.as_str());
    let stored: Option<ItemRecord> = db
        .fetch_optional(On::Tx(&mut tx), stored)
        .await
        .map_err(query_error(op))?;
    tx.commit().await.map_err(query_error(op))?;
    stored
        .ok_or_else(|| MetadataError::NotFound {
            what: format!("library item {item}"),
        })?
        .into_item()
}

/// The writes that commit the files of `session` to `item` at `content_version`:
/// replace the item's files of the same names, recompute the item's size and `cached`,
/// bump its versions, and mark the session done.
fn commit_files(session: &str, item: &str, content_version: i64, now: Timestamp) -> [Statement; 4] {
    [
        Statement::new(
            "DELETE FROM item_files WHERE item_id = ? \
             AND name IN (SELECT name FROM session_files WHERE session_id = ?)",
        )
        .bind(item)
        .bind(session),
        Statement::new(
            "INSERT INTO item_files (item_id, name, size, digest, version) \
             SELECT ?, name, stored_size, digest, ? FROM session_files WHERE session_id = ?",
        )
        .bind(item)
        .bind(content_version)
        .bind(session),
        Statement::new(
            "UPDATE library_items SET content_version = ?, version = version + 1, \
             size = (SELECT COALESCE(SUM(size), 0) FROM item_files WHERE item_id = ?), \
             cached = NOT EXISTS (SELECT 1 FROM item_files WHERE item_id = ? AND digest IS NULL), \
             last_modified_time = ? WHERE id = ?",
        )
        .bind(content_version)
        .bind(item)
        .bind(item)
        .bind(to_millis(now))
        .bind(item),
        Statement::new(
            "UPDATE update_sessions SET state = 'DONE', version = version + 1 WHERE id = ?",
        )
        .bind(session),
    ]
}
