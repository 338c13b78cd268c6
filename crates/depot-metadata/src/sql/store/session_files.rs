//! The files of update sessions on SQL: added, transferred and removed only while
//! their session is active, with the session's blob references following the digests
//! its files name.

use depot_model::{FileTransfer, SessionFile, TransferStatus, UpdateSessionId};

use super::library_shared::{sync_blob_refs, update_session_owner};
use super::update_sessions::{lock_session, require_active};
use crate::sql::{
    Backend, On, SESSION_FILE_COLUMNS, SessionFileRecord, Statement, WriteLock, query_error,
    unique_violation,
};
use crate::{MetadataError, Result};

/// The session files matching `filter` (`WHERE …` with its values bound), by name.
pub(super) async fn files_where<B: Backend>(
    db: &B,
    filter: Statement,
    op: &'static str,
) -> Result<Vec<SessionFile>> {
    let mut stmt = Statement::new(format!("SELECT {SESSION_FILE_COLUMNS} FROM session_files "));
    stmt.append(filter);
    stmt.push(" ORDER BY session_id, name");
    let records: Vec<SessionFileRecord> = db
        .fetch_all(On::Read, stmt)
        .await
        .map_err(query_error(op))?;
    records
        .into_iter()
        .map(SessionFileRecord::into_file)
        .collect()
}

/// [`UpdateSessionStore::add_session_file`](crate::UpdateSessionStore::add_session_file).
pub(super) async fn add_file<B: Backend>(db: &B, file: &SessionFile) -> Result<()> {
    let op = "add_session_file";
    let session = file.session_id.to_string();
    let mut tx = db
        .begin_write(WriteLock::Rows)
        .await
        .map_err(query_error(op))?;
    require_active(db, &mut tx, &session, op).await?;
    let mut insert = Statement::new(format!(
        "INSERT INTO session_files ({SESSION_FILE_COLUMNS}) VALUES ("
    ));
    insert.push_values(SessionFileRecord::values(file, op)?);
    insert.push(")");
    match db.execute(On::Tx(&mut tx), insert).await {
        Ok(_) => {}
        Err(e) if unique_violation(&e).is_some() => {
            return Err(MetadataError::AlreadyExists {
                what: format!(
                    "file {:?} (or its upload token) in update session {session}",
                    file.name
                ),
            });
        }
        Err(e) => return Err(query_error(op)(e)),
    }
    sync_refs(db, &mut tx, &session, op).await?;
    tx.commit().await.map_err(query_error(op))
}

/// [`UpdateSessionStore::update_session_file`](crate::UpdateSessionStore::update_session_file).
pub(super) async fn update_file<B: Backend>(
    db: &B,
    session: UpdateSessionId,
    name: &str,
    only_from: &[TransferStatus],
    transfer: &FileTransfer,
) -> Result<bool> {
    let op = "update_session_file";
    let session = session.to_string();
    let mut tx = db
        .begin_write(WriteLock::Rows)
        .await
        .map_err(query_error(op))?;
    if !is_active(lock_session(db, &mut tx, &session, op).await?.as_ref()) {
        return Ok(false);
    }
    let [status, bytes, digest, size, error] = SessionFileRecord::transfer_values(transfer, op)?;
    let mut stmt = Statement::new(
        "UPDATE session_files SET status = ?, bytes_transferred = ?, digest = ?, \
         stored_size = ?, error_message = ? WHERE session_id = ? AND name = ?",
    )
    .bind(status)
    .bind(bytes)
    .bind(digest)
    .bind(size)
    .bind(error)
    .bind(session.as_str())
    .bind(name);
    stmt.push_and_in("status", only_from.iter().map(|s| s.as_str()));
    let changed = db
        .execute(On::Tx(&mut tx), stmt)
        .await
        .map_err(query_error(op))?;
    if changed == 0 {
        return Ok(false);
    }
    sync_refs(db, &mut tx, &session, op).await?;
    tx.commit().await.map_err(query_error(op))?;
    Ok(true)
}

/// [`UpdateSessionStore::remove_session_file`](crate::UpdateSessionStore::remove_session_file).
pub(super) async fn remove_file<B: Backend>(
    db: &B,
    session: UpdateSessionId,
    name: &str,
) -> Result<bool> {
    let op = "remove_session_file";
    let session = session.to_string();
    let mut tx = db
        .begin_write(WriteLock::Rows)
        .await
        .map_err(query_error(op))?;
    if !is_active(lock_session(db, &mut tx, &session, op).await?.as_ref()) {
        return Ok(false);
    }
    let stmt = Statement::new("DELETE FROM session_files WHERE session_id = ? AND name = ?")
        .bind(session.as_str())
        .bind(name);
    let removed = db
        .execute(On::Tx(&mut tx), stmt)
        .await
        .map_err(query_error(op))?;
    if removed == 0 {
        return Ok(false);
    }
    sync_refs(db, &mut tx, &session, op).await?;
    tx.commit().await.map_err(query_error(op))?;
    Ok(true)
}

/// Makes the blob references of `session` the digests its files name.
async fn sync_refs<B: Backend>(
    db: &B,
    tx: &mut sqlx::Transaction<'static, B::Db>,
    session: &str,
    op: &'static str,
) -> Result<()> {
    let owner = update_session_owner(session);
    let rows = ("session_files", "session_id", session);
    sync_blob_refs(db, tx, &owner, rows, op).await
}

/// Whether a locked session is there and active.
fn is_active(session: Option<&(String, depot_model::UpdateSessionState)>) -> bool {
    matches!(session, Some((_, depot_model::UpdateSessionState::Active)))
}
