//! [`SessionStore`] on SQL.

use async_trait::async_trait;
use depot_model::{Session, SessionKind, Timestamp, TokenHash, UserName};

use super::SqlStore;
use crate::sql::{Backend, On, SessionRecord, Statement, query_error, to_millis, unique_violation};
use crate::{MetadataError, Result, SessionStore};

#[async_trait]
impl<B: Backend> SessionStore for SqlStore<B> {
    async fn insert_session(&self, session: &Session) -> Result<()> {
        let r = SessionRecord::from_session(session);
        let stmt = Statement::new(
            "INSERT INTO sessions \
             (token_hash, kind, user_name, created, last_accessed, refresh_hash) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(r.token_hash)
        .bind(r.kind)
        .bind(r.user_name)
        .bind(r.created)
        .bind(r.last_accessed)
        .bind(r.refresh_hash);
        match self.db.execute(On::Write, stmt).await {
            Ok(_) => Ok(()),
            Err(e) if unique_violation(&e).is_some() => Err(MetadataError::AlreadyExists {
                what: format!("session {:?}", session.token_hash),
            }),
            Err(e) => Err(query_error("insert_session")(e)),
        }
    }

    async fn get_session(&self, hash: &TokenHash) -> Result<Option<Session>> {
        let stmt = Statement::new(
            "SELECT token_hash, kind, user_name, created, last_accessed, refresh_hash \
             FROM sessions WHERE token_hash = ?",
        )
        .bind(hash.0.as_str());
        let record: Option<SessionRecord> = self
            .db
            .fetch_optional(On::Read, stmt)
            .await
            .map_err(query_error("get_session"))?;
        record.map(SessionRecord::into_session).transpose()
    }

    async fn touch_session(&self, hash: &TokenHash, at: Timestamp) -> Result<()> {
        // Never moves backwards when two requests touch it out of order.
        let mut stmt = Statement::new("UPDATE sessions SET last_accessed = ");
        stmt.push_bind(to_millis(at))
            .push(" WHERE token_hash = ")
            .push_bind(hash.0.as_str())
            .push(" AND last_accessed < ")
            .push_bind(to_millis(at));
        self.db
            .execute(On::Write, stmt)
            .await
            .map_err(query_error("touch_session"))?;
        Ok(())
    }

    async fn delete_session(&self, hash: &TokenHash) -> Result<bool> {
        let stmt =
            Statement::new("DELETE FROM sessions WHERE token_hash = ?").bind(hash.0.as_str());
        let deleted = self
            .db
            .execute(On::Write, stmt)
            .await
            .map_err(query_error("delete_session"))?;
        Ok(deleted > 0)
    }

    async fn delete_refresh_family(&self, refresh: &TokenHash) -> Result<u64> {
        // Only a refresh token heads a family: any other secret given here ends nothing.
        let stmt = Statement::new(
            "DELETE FROM sessions WHERE (token_hash = ? AND kind = ?) OR refresh_hash = ?",
        )
        .bind(refresh.0.as_str())
        .bind(SessionKind::Refresh.as_str())
        .bind(refresh.0.as_str());
        self.db
            .execute(On::Write, stmt)
            .await
            .map_err(query_error("delete_refresh_family"))
    }

    async fn delete_expired_sessions(
        &self,
        kind: SessionKind,
        idle_before: Timestamp,
        created_before: Timestamp,
    ) -> Result<u64> {
        let stmt = Statement::new(
            "DELETE FROM sessions WHERE kind = ? AND (last_accessed < ? OR created < ?)",
        )
        .bind(kind.as_str())
        .bind(to_millis(idle_before))
        .bind(to_millis(created_before));
        self.db
            .execute(On::Write, stmt)
            .await
            .map_err(query_error("delete_expired_sessions"))
    }

    async fn delete_user_sessions(&self, user: &UserName) -> Result<u64> {
        let stmt = Statement::new("DELETE FROM sessions WHERE user_name = ?").bind(user.as_str());
        self.db
            .execute(On::Write, stmt)
            .await
            .map_err(query_error("delete_user_sessions"))
    }
}
