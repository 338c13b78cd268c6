//! [`SessionStore`] on SQLite.

use async_trait::async_trait;
use depot_model::{Session, SessionKind, Timestamp, TokenHash, UserName};

use super::SqliteStore;
use crate::sql::{SessionRecord, query_error, to_millis, unique_violation};
use crate::{MetadataError, Result, SessionStore};

#[async_trait]
impl SessionStore for SqliteStore {
    async fn insert_session(&self, session: &Session) -> Result<()> {
        let r = SessionRecord::from_session(session);
        let outcome = sqlx::query(
            "INSERT INTO sessions (token_hash, kind, user_name, created, last_accessed) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(r.token_hash)
        .bind(r.kind)
        .bind(r.user_name)
        .bind(r.created)
        .bind(r.last_accessed)
        .execute(&self.write)
        .await;
        match outcome {
            Ok(_) => Ok(()),
            Err(e) if unique_violation(&e).is_some() => Err(MetadataError::AlreadyExists {
                what: format!("session {:?}", session.token_hash),
            }),
            Err(e) => Err(query_error("insert_session")(e)),
        }
    }

    async fn get_session(&self, hash: &TokenHash) -> Result<Option<Session>> {
        let record: Option<SessionRecord> = sqlx::query_as(
            "SELECT token_hash, kind, user_name, created, last_accessed \
             FROM sessions WHERE token_hash = ?",
        )
        .bind(hash.0.as_str())
        .fetch_optional(&self.read)
        .await
        .map_err(query_error("get_session"))?;
        record.map(SessionRecord::into_session).transpose()
    }

    async fn touch_session(&self, hash: &TokenHash, at: Timestamp) -> Result<()> {
        // Never moves backwards when two requests touch it out of order.
        sqlx::query(
            "UPDATE sessions SET last_accessed = MAX(last_accessed, ?) WHERE token_hash = ?",
        )
        .bind(to_millis(at))
        .bind(hash.0.as_str())
        .execute(&self.write)
        .await
        .map_err(query_error("touch_session"))?;
        Ok(())
    }

    async fn delete_session(&self, hash: &TokenHash) -> Result<bool> {
        let done = sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(hash.0.as_str())
            .execute(&self.write)
            .await
            .map_err(query_error("delete_session"))?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_idle_sessions(&self, kind: SessionKind, idle_before: Timestamp) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE kind = ? AND last_accessed < ?")
            .bind(kind.as_str())
            .bind(to_millis(idle_before))
            .execute(&self.write)
            .await
            .map_err(query_error("delete_idle_sessions"))?;
        Ok(done.rows_affected())
    }

    async fn delete_user_sessions(&self, user: &UserName) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_name = ?")
            .bind(user.as_str())
            .execute(&self.write)
            .await
            .map_err(query_error("delete_user_sessions"))?;
        Ok(done.rows_affected())
    }
}
