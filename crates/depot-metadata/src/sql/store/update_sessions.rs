//! [`UpdateSessionStore`] on SQL: the sessions themselves. Their files are in
//! `session_files.rs`, completing in `update_session_complete.rs`.

use async_trait::async_trait;
use depot_model::{
    ClientToken, FileTransfer, ItemId, LibraryItem, SessionFile, Timestamp, TransferStatus,
    UpdateSession, UpdateSessionId, UpdateSessionState,
};
use sqlx::Transaction;

use super::SqlStore;
use super::library_shared::{
    CreateFailure, created_with, drop_blob_refs, insert_with_token, update_session_owner,
};
use super::session_files::{add_file, files_where, remove_file, update_file};
use super::update_session_complete::complete;
use crate::sql::column::{Decoder, json_text_opt};
use crate::sql::{
    Backend, On, Statement, UPDATE_SESSION_COLUMNS, UpdateSessionRecord, WriteLock, query_error,
    to_millis, unique_violation, violates_index,
};
use crate::{CreateOutcome, MetadataError, Result, UpdateSessionStore};

/// The partial unique index holding one active session per item, and its column as
/// SQLite names it.
const ONE_ACTIVE: (&str, &str) = ("update_sessions_one_active", "update_sessions.item_id");

/// The item and state of session `id`, its row locked in `tx` (PostgreSQL).
pub(super) async fn lock_session<B: Backend>(
    db: &B,
    tx: &mut Transaction<'static, B::Db>,
    id: &str,
    op: &'static str,
) -> Result<Option<(String, UpdateSessionState)>> {
    let mut stmt =
        Statement::new("SELECT item_id, state FROM update_sessions WHERE id = ?").bind(id);
    stmt.push(B::DIALECT.lock_row());
    let row: Option<(String, String)> = db
        .fetch_optional(On::Tx(tx), stmt)
        .await
        .map_err(query_error(op))?;
    row.map(|(item, state)| {
        let state =
            Decoder::new("update session", id).named("state", &state, UpdateSessionState::parse)?;
        Ok((item, state))
    })
    .transpose()
}

/// Session `id` in `tx` when it is active; `NotFound` or `NotAllowed` otherwise.
pub(super) async fn require_active<B: Backend>(
    db: &B,
    tx: &mut Transaction<'static, B::Db>,
    id: &str,
    op: &'static str,
) -> Result<String> {
    match lock_session(db, tx, id, op).await? {
        None => Err(MetadataError::NotFound {
            what: format!("update session {id}"),
        }),
        Some((item, UpdateSessionState::Active)) => Ok(item),
        Some((_, state)) => Err(MetadataError::NotAllowed {
            what: format!("update session {id} is {}, not ACTIVE", state.as_str()),
        }),
    }
}

/// The insert of `session` in one transaction.
async fn insert_update_session_tx<B: Backend>(
    db: &B,
    session: &UpdateSession,
    token: Option<&ClientToken>,
    op: &'static str,
) -> Result<(), CreateFailure> {
    let item = session.item_id.to_string();
    let mut tx = db
        .begin_write(WriteLock::Rows)
        .await
        .map_err(CreateFailure::of(op))?;
    let mut lock = Statement::new("SELECT content_version FROM library_items WHERE id = ?")
        .bind(item.as_str());
    lock.push(B::DIALECT.lock_row());
    let found: Option<(i64,)> = db
        .fetch_optional(On::Tx(&mut tx), lock)
        .await
        .map_err(CreateFailure::of(op))?;
    let Some((actual,)) = found else {
        return Err(MetadataError::NotFound {
            what: format!("library item {item}"),
        }
        .into());
    };
    if let Some(expected) = session.expected_content_version.filter(|e| *e != actual) {
        return Err(MetadataError::ContentVersionMismatch {
            item,
            expected,
            actual,
        }
        .into());
    }
    let values = UpdateSessionRecord::values(session, op)?;
    let stmt = insert_with_token("update_sessions", UPDATE_SESSION_COLUMNS, values, token);
    db.execute(On::Tx(&mut tx), stmt)
        .await
        .map_err(CreateFailure::of(op))?;
    tx.commit().await.map_err(CreateFailure::of(op))
}

/// The sessions matching `filter` (`WHERE …` with its values bound), oldest first.
async fn update_sessions_where<B: Backend>(
    db: &B,
    filter: Statement,
    op: &'static str,
) -> Result<Vec<UpdateSession>> {
    let mut stmt = Statement::new(format!(
        "SELECT {UPDATE_SESSION_COLUMNS} FROM update_sessions "
    ));
    stmt.append(filter);
    stmt.push(" ORDER BY creation_time, id");
    let records: Vec<UpdateSessionRecord> = db
        .fetch_all(On::Read, stmt)
        .await
        .map_err(query_error(op))?;
    records
        .into_iter()
        .map(UpdateSessionRecord::into_session)
        .collect()
}

#[async_trait]
impl<B: Backend> UpdateSessionStore for SqlStore<B> {
    async fn insert_update_session(
        &self,
        session: &UpdateSession,
        token: Option<&ClientToken>,
    ) -> Result<CreateOutcome<UpdateSessionId>> {
        let op = "insert_update_session";
        if let Some(id) = created_with(&self.db, "update_sessions", token, op).await? {
            return Ok(CreateOutcome::Existing(id));
        }
        match insert_update_session_tx(&self.db, session, token, op).await {
            Ok(()) => Ok(CreateOutcome::Created),
            Err(CreateFailure::Fail(e)) => Err(e),
            Err(CreateFailure::Unique(e)) => {
                if let Some(id) = created_with(&self.db, "update_sessions", token, op).await? {
                    Ok(CreateOutcome::Existing(id))
                } else if violates_index(&e, ONE_ACTIVE.0, ONE_ACTIVE.1) {
                    Err(MetadataError::ItemBusy {
                        item: session.item_id.to_string(),
                    })
                } else {
                    Err(MetadataError::AlreadyExists {
                        what: format!("update session {}", session.id),
                    })
                }
            }
        }
    }

    async fn get_update_session(&self, id: UpdateSessionId) -> Result<Option<UpdateSession>> {
        let filter = Statement::new("WHERE id = ?").bind(id.to_string());
        let mut found = update_sessions_where(&self.db, filter, "get_update_session").await?;
        Ok(found.pop())
    }

    async fn list_update_sessions(&self, item: Option<ItemId>) -> Result<Vec<UpdateSession>> {
        let mut filter = Statement::new("WHERE TRUE");
        filter.push_and_in("item_id", item.map(|i| i.to_string()));
        update_sessions_where(&self.db, filter, "list_update_sessions").await
    }

    async fn update_update_session(&self, session: &UpdateSession) -> Result<Option<i64>> {
        let op = "update_update_session";
        if session.state == UpdateSessionState::Done {
            return Err(MetadataError::NotAllowed {
                what: format!(
                    "update session {} becomes DONE only by completing",
                    session.id
                ),
            });
        }
        let mut tx = self
            .db
            .begin_write(WriteLock::Rows)
            .await
            .map_err(query_error(op))?;
        let stmt = Statement::new(
            "UPDATE update_sessions SET state = ?, client_progress = ?, error_message = ?, \
             expiration_time = ?, version = version + 1 \
             WHERE id = ? AND version = ? RETURNING version",
        )
        .bind(session.state.as_str())
        .bind(i64::from(session.client_progress))
        .bind(json_text_opt(session.error_message.as_ref(), op)?)
        .bind(to_millis(session.expiration_time))
        .bind(session.id.to_string())
        .bind(session.version);
        let version: Option<(i64,)> = match self.db.fetch_optional(On::Tx(&mut tx), stmt).await {
            Ok(v) => v,
            Err(e) if unique_violation(&e).is_some() => {
                return Err(MetadataError::ItemBusy {
                    item: session.item_id.to_string(),
                });
            }
            Err(e) => return Err(query_error(op)(e)),
        };
        let Some((version,)) = version else {
            return Ok(None);
        };
        if session.state != UpdateSessionState::Active {
            drop_blob_refs(&self.db, &mut tx, &update_session_owner(session.id), op).await?;
        }
        tx.commit().await.map_err(query_error(op))?;
        Ok(Some(version))
    }

    async fn keep_alive_update_session(
        &self,
        id: UpdateSessionId,
        expiration_time: Timestamp,
        progress: Option<u8>,
    ) -> Result<bool> {
        let stmt = Statement::new(
            "UPDATE update_sessions SET expiration_time = ?, \
             client_progress = COALESCE(?, client_progress), version = version + 1 \
             WHERE id = ? AND state = 'ACTIVE'",
        )
        .bind(to_millis(expiration_time))
        .bind(progress.map(i64::from))
        .bind(id.to_string());
        let changed = self
            .db
            .execute(On::Write, stmt)
            .await
            .map_err(query_error("keep_alive_update_session"))?;
        Ok(changed == 1)
    }

    async fn delete_update_session(&self, id: UpdateSessionId) -> Result<bool> {
        let op = "delete_update_session";
        let key = id.to_string();
        let mut tx = self
            .db
            .begin_write(WriteLock::Rows)
            .await
            .map_err(query_error(op))?;
        match lock_session(&self.db, &mut tx, &key, op).await? {
            None => return Ok(false),
            Some((_, UpdateSessionState::Active)) => {
                return Err(MetadataError::NotAllowed {
                    what: format!("update session {key} is ACTIVE: cancel it first"),
                });
            }
            Some(_) => {}
        }
        drop_blob_refs(&self.db, &mut tx, &update_session_owner(id), op).await?;
        let delete = Statement::new("DELETE FROM update_sessions WHERE id = ?").bind(key);
        self.db
            .execute(On::Tx(&mut tx), delete)
            .await
            .map_err(query_error(op))?;
        tx.commit().await.map_err(query_error(op))?;
        Ok(true)
    }

    async fn add_session_file(&self, file: &SessionFile) -> Result<()> {
        add_file(&self.db, file).await
    }

    async fn session_files(&self, session: UpdateSessionId) -> Result<Vec<SessionFile>> {
        let filter = Statement::new("WHERE session_id = ?").bind(session.to_string());
        files_where(&self.db, filter, "session_files").await
    }

    async fn session_file(
        &self,
        session: UpdateSessionId,
        name: &str,
    ) -> Result<Option<SessionFile>> {
        let filter = Statement::new("WHERE session_id = ? AND name = ?")
            .bind(session.to_string())
            .bind(name);
        Ok(files_where(&self.db, filter, "session_file").await?.pop())
    }

    async fn session_file_by_upload_token(&self, token: &str) -> Result<Option<SessionFile>> {
        let filter = Statement::new("WHERE upload_token = ?").bind(token);
        let op = "session_file_by_upload_token";
        Ok(files_where(&self.db, filter, op).await?.pop())
    }

    async fn update_session_file(
        &self,
        session: UpdateSessionId,
        name: &str,
        only_from: &[TransferStatus],
        transfer: &FileTransfer,
    ) -> Result<bool> {
        update_file(&self.db, session, name, only_from, transfer).await
    }

    async fn remove_session_file(&self, session: UpdateSessionId, name: &str) -> Result<bool> {
        remove_file(&self.db, session, name).await
    }

    async fn complete_update_session(
        &self,
        id: UpdateSessionId,
        now: Timestamp,
    ) -> Result<LibraryItem> {
        complete(&self.db, id, now).await
    }

    async fn expired_update_sessions(&self, now: Timestamp) -> Result<Vec<UpdateSession>> {
        let filter =
            Statement::new("WHERE state = 'ACTIVE' AND expiration_time < ?").bind(to_millis(now));
        update_sessions_where(&self.db, filter, "expired_update_sessions").await
    }
}
