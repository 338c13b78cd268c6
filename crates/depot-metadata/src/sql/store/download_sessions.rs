//! [`DownloadSessionStore`] on SQL.

use async_trait::async_trait;
use depot_model::{
    ClientToken, DownloadFile, DownloadFileStatus, DownloadSession, DownloadSessionId,
    DownloadSessionState, ItemId, Timestamp,
};

use super::SqlStore;
use super::library_shared::{
    CreateFailure, created_with, download_session_owner, drop_blob_refs, insert_with_token,
    sync_blob_refs,
};
use crate::sql::column::{Decoder, json_text_opt, size_value};
use crate::sql::{
    Backend, DOWNLOAD_FILE_COLUMNS, DOWNLOAD_SESSION_COLUMNS, DownloadFileRecord,
    DownloadSessionRecord, On, Statement, WriteLock, WriteTx, query_error, to_millis,
    unique_violation,
};
use crate::{CreateOutcome, DownloadSessionStore, MetadataError, Result};

/// The insert of `session` in one transaction.
async fn insert_download_session_tx<B: Backend>(
    db: &B,
    session: &DownloadSession,
    token: Option<&ClientToken>,
    op: &'static str,
) -> Result<(), CreateFailure> {
    let item = session.item_id.to_string();
    let mut tx = db
        .begin_write(WriteLock::Rows)
        .await
        .map_err(CreateFailure::of(op))?;
    let mut lock = Statement::new("SELECT id FROM library_items WHERE id = ?").bind(item.as_str());
    lock.push(B::DIALECT.lock_row());
    let found: Option<(String,)> = db
        .fetch_optional(On::Tx(&mut tx), lock)
        .await
        .map_err(CreateFailure::of(op))?;
    if found.is_none() {
        return Err(MetadataError::NotFound {
            what: format!("library item {item}"),
        }
        .into());
    }
    let values = DownloadSessionRecord::values(session, op)?;
    let stmt = insert_with_token("download_sessions", DOWNLOAD_SESSION_COLUMNS, values, token);
    db.execute(On::Tx(&mut tx), stmt)
        .await
        .map_err(CreateFailure::of(op))?;
    tx.commit().await.map_err(CreateFailure::of(op))
}

/// The sessions matching `filter` (`WHERE …` with its values bound), oldest first.
async fn download_sessions_where<B: Backend>(
    db: &B,
    filter: Statement,
    op: &'static str,
) -> Result<Vec<DownloadSession>> {
    let mut stmt = Statement::new(format!(
        "SELECT {DOWNLOAD_SESSION_COLUMNS} FROM download_sessions "
    ));
    stmt.append(filter);
    stmt.push(" ORDER BY creation_time, id");
    let records: Vec<DownloadSessionRecord> = db
        .fetch_all(On::Read, stmt)
        .await
        .map_err(query_error(op))?;
    records
        .into_iter()
        .map(DownloadSessionRecord::into_session)
        .collect()
}

/// The download files matching `filter` (`WHERE …` with its values bound), by name.
async fn download_files_where<B: Backend>(
    db: &B,
    filter: Statement,
    op: &'static str,
) -> Result<Vec<DownloadFile>> {
    let mut stmt = Statement::new(format!(
        "SELECT {DOWNLOAD_FILE_COLUMNS} FROM download_files "
    ));
    stmt.append(filter);
    stmt.push(" ORDER BY session_id, name");
    let records: Vec<DownloadFileRecord> = db
        .fetch_all(On::Read, stmt)
        .await
        .map_err(query_error(op))?;
    records
        .into_iter()
        .map(DownloadFileRecord::into_file)
        .collect()
}

/// The item of active download session `id`, its row locked in `tx`.
async fn active_download_session<B: Backend>(
    db: &B,
    tx: &mut sqlx::Transaction<'static, B::Db>,
    id: &str,
    op: &'static str,
) -> Result<String> {
    let mut stmt =
        Statement::new("SELECT item_id, state FROM download_sessions WHERE id = ?").bind(id);
    stmt.push(B::DIALECT.lock_row());
    let row: Option<(String, String)> = db
        .fetch_optional(On::Tx(tx), stmt)
        .await
        .map_err(query_error(op))?;
    let Some((item, state)) = row else {
        return Err(MetadataError::NotFound {
            what: format!("download session {id}"),
        });
    };
    let state =
        Decoder::new("download session", id).named("state", &state, DownloadSessionState::parse)?;
    if state != DownloadSessionState::Active {
        return Err(MetadataError::NotAllowed {
            what: format!("download session {id} is {}, not ACTIVE", state.as_str()),
        });
    }
    Ok(item)
}

#[async_trait]
impl<B: Backend> DownloadSessionStore for SqlStore<B> {
    async fn insert_download_session(
        &self,
        session: &DownloadSession,
        token: Option<&ClientToken>,
    ) -> Result<CreateOutcome<DownloadSessionId>> {
        let op = "insert_download_session";
        if let Some(id) = created_with(&self.db, "download_sessions", token, op).await? {
            return Ok(CreateOutcome::Existing(id));
        }
        match insert_download_session_tx(&self.db, session, token, op).await {
            Ok(()) => Ok(CreateOutcome::Created),
            Err(CreateFailure::Fail(e)) => Err(e),
            Err(CreateFailure::Unique(_)) => {
                match created_with(&self.db, "download_sessions", token, op).await? {
                    Some(id) => Ok(CreateOutcome::Existing(id)),
                    None => Err(MetadataError::AlreadyExists {
                        what: format!("download session {}", session.id),
                    }),
                }
            }
        }
    }

    async fn get_download_session(&self, id: DownloadSessionId) -> Result<Option<DownloadSession>> {
        let filter = Statement::new("WHERE id = ?").bind(id.to_string());
        Ok(
            download_sessions_where(&self.db, filter, "get_download_session")
                .await?
                .pop(),
        )
    }

    async fn list_download_sessions(&self, item: Option<ItemId>) -> Result<Vec<DownloadSession>> {
        let mut filter = Statement::new("WHERE TRUE");
        filter.push_and_in("item_id", item.map(|i| i.to_string()));
        download_sessions_where(&self.db, filter, "list_download_sessions").await
    }

    async fn update_download_session(&self, session: &DownloadSession) -> Result<Option<i64>> {
        let op = "update_download_session";
        let mut tx = self
            .db
            .begin_write(WriteLock::Rows)
            .await
            .map_err(query_error(op))?;
        let stmt = Statement::new(
            "UPDATE download_sessions SET state = ?, client_progress = ?, error_message = ?, \
             expiration_time = ?, version = version + 1 \
             WHERE id = ? AND version = ? RETURNING version",
        )
        .bind(session.state.as_str())
        .bind(i64::from(session.client_progress))
        .bind(json_text_opt(session.error_message.as_ref(), op)?)
        .bind(to_millis(session.expiration_time))
        .bind(session.id.to_string())
        .bind(session.version);
        let version: Option<(i64,)> = self
            .db
            .fetch_optional(On::Tx(&mut tx), stmt)
            .await
            .map_err(query_error(op))?;
        let Some((version,)) = version else {
            return Ok(None);
        };
        if session.state != DownloadSessionState::Active {
            drop_blob_refs(&self.db, &mut tx, &download_session_owner(session.id), op).await?;
        }
        tx.commit().await.map_err(query_error(op))?;
        Ok(Some(version))
    }

    async fn delete_download_session(&self, id: DownloadSessionId) -> Result<bool> {
        let op = "delete_download_session";
        let mut tx = self
            .db
            .begin_write(WriteLock::Rows)
            .await
            .map_err(query_error(op))?;
        let delete =
            Statement::new("DELETE FROM download_sessions WHERE id = ?").bind(id.to_string());
        let deleted = self
            .db
            .execute(On::Tx(&mut tx), delete)
            .await
            .map_err(query_error(op))?;
        if deleted == 0 {
            return Ok(false);
        }
        drop_blob_refs(&self.db, &mut tx, &download_session_owner(id), op).await?;
        tx.commit().await.map_err(query_error(op))?;
        Ok(true)
    }

    async fn prepare_download_file(
        &self,
        session: DownloadSessionId,
        name: &str,
        token: &str,
    ) -> Result<DownloadFile> {
        let op = "prepare_download_file";
        let key = session.to_string();
        let mut tx = self
            .db
            .begin_write(WriteLock::Rows)
            .await
            .map_err(query_error(op))?;
        let item = active_download_session(&self.db, &mut tx, &key, op).await?;
        let file =
            Statement::new("SELECT size, digest FROM item_files WHERE item_id = ? AND name = ?")
                .bind(item.as_str())
                .bind(name);
        let file: Option<(i64, Option<String>)> = self
            .db
            .fetch_optional(On::Tx(&mut tx), file)
            .await
            .map_err(query_error(op))?;
        let d = Decoder::new("item file", format_args!("{item}/{name}"));
        let Some((size, digest)) = file else {
            return Err(MetadataError::NotFound {
                what: format!("file {name:?} of library item {item}"),
            });
        };
        let Some(digest) = d.digest_opt("digest", digest.as_deref())? else {
            return Err(MetadataError::NotAllowed {
                what: format!("file {name:?} of library item {item} is not cached"),
            });
        };
        let prepared = DownloadFile {
            session_id: session,
            name: name.to_owned(),
            status: DownloadFileStatus::Prepared,
            size: d.size("size", size)?,
            digest: Some(digest),
            download_token: token.to_owned(),
            error_message: None,
        };
        let mut upsert = Statement::new(format!(
            "INSERT INTO download_files ({DOWNLOAD_FILE_COLUMNS}) VALUES ("
        ));
        upsert.push_values([
            key.clone().into(),
            name.into(),
            prepared.status.as_str().into(),
            size_value(prepared.size).into(),
            digest.to_string().into(),
            token.into(),
            Option::<String>::None.into(),
        ]);
        upsert.push(
            ") ON CONFLICT (session_id, name) DO UPDATE SET status = excluded.status, \
             size = excluded.size, digest = excluded.digest, \
             download_token = excluded.download_token, error_message = NULL",
        );
        write_download_file(&self.db, tx, &key, upsert, op).await?;
        Ok(prepared)
    }

    async fn mark_download_file(&self, file: &DownloadFile) -> Result<()> {
        let op = "mark_download_file";
        let key = file.session_id.to_string();
        let mut tx = self
            .db
            .begin_write(WriteLock::Rows)
            .await
            .map_err(query_error(op))?;
        active_download_session(&self.db, &mut tx, &key, op).await?;
        let mut upsert = Statement::new(format!(
            "INSERT INTO download_files ({DOWNLOAD_FILE_COLUMNS}) VALUES ("
        ));
        upsert.push_values([
            key.clone().into(),
            file.name.as_str().into(),
            file.status.as_str().into(),
            size_value(file.size).into(),
            Option::<String>::None.into(),
            file.download_token.as_str().into(),
            json_text_opt(file.error_message.as_ref(), op)?.into(),
        ]);
        upsert.push(
            ") ON CONFLICT (session_id, name) DO UPDATE SET status = excluded.status, \
             size = excluded.size, digest = NULL, download_token = excluded.download_token, \
             error_message = excluded.error_message",
        );
        write_download_file(&self.db, tx, &key, upsert, op).await
    }

    async fn download_files(&self, session: DownloadSessionId) -> Result<Vec<DownloadFile>> {
        let filter = Statement::new("WHERE session_id = ?").bind(session.to_string());
        download_files_where(&self.db, filter, "download_files").await
    }

    async fn download_file_by_token(&self, token: &str) -> Result<Option<DownloadFile>> {
        let filter = Statement::new("WHERE download_token = ?").bind(token);
        Ok(
            download_files_where(&self.db, filter, "download_file_by_token")
                .await?
                .pop(),
        )
    }

    async fn expired_download_sessions(&self, now: Timestamp) -> Result<Vec<DownloadSession>> {
        let filter =
            Statement::new("WHERE state = 'ACTIVE' AND expiration_time < ?").bind(to_millis(now));
        download_sessions_where(&self.db, filter, "expired_download_sessions").await
    }
}

/// Runs `upsert` of a download file of session `key` in `tx`, makes the session's blob
/// references its files' digests, and commits. A download token already taken is
/// `AlreadyExists`.
async fn write_download_file<B: Backend>(
    db: &B,
    mut tx: WriteTx<B::Db>,
    key: &str,
    upsert: Statement,
    op: &'static str,
) -> Result<()> {
    match db.execute(On::Tx(&mut tx), upsert).await {
        Ok(_) => {}
        Err(e) if unique_violation(&e).is_some() => {
            return Err(MetadataError::AlreadyExists {
                what: "download token".to_owned(),
            });
        }
        Err(e) => return Err(query_error(op)(e)),
    }
    let owner = download_session_owner(key);
    let rows = ("download_files", "session_id", key);
    sync_blob_refs(db, &mut tx, &owner, rows, op).await?;
    tx.commit().await.map_err(query_error(op))
}
