//! [`UserStore`] on SQLite.

use async_trait::async_trait;
use depot_model::{User, UserName};

use super::SqliteStore;
use crate::sql::{Unique, UserRecord, query_error, unique_violation};
use crate::{MetadataError, Result, UserStore};

#[async_trait]
impl UserStore for SqliteStore {
    async fn insert_user(&self, user: &User) -> Result<()> {
        let r = UserRecord::from_user(user);
        let outcome = sqlx::query(
            "INSERT INTO users (name, role, password_hash, created) VALUES (?, ?, ?, ?)",
        )
        .bind(r.name)
        .bind(r.role)
        .bind(r.password_hash)
        .bind(r.created)
        .execute(&self.write)
        .await;
        match outcome {
            Ok(_) => Ok(()),
            Err(e) if unique_violation(&e) == Some(Unique::Other) => {
                Err(MetadataError::AlreadyExists {
                    what: format!("user {}", user.name),
                })
            }
            Err(e) => Err(query_error("insert_user")(e)),
        }
    }

    async fn get_user(&self, name: &UserName) -> Result<Option<User>> {
        let record: Option<UserRecord> =
            sqlx::query_as("SELECT name, role, password_hash, created FROM users WHERE name = ?")
                .bind(name.as_str())
                .fetch_optional(&self.read)
                .await
                .map_err(query_error("get_user"))?;
        record.map(UserRecord::into_user).transpose()
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let records: Vec<UserRecord> =
            sqlx::query_as("SELECT name, role, password_hash, created FROM users ORDER BY name")
                .fetch_all(&self.read)
                .await
                .map_err(query_error("list_users"))?;
        records.into_iter().map(UserRecord::into_user).collect()
    }

    async fn update_user(&self, user: &User) -> Result<bool> {
        let r = UserRecord::from_user(user);
        let done = sqlx::query("UPDATE users SET role = ?, password_hash = ? WHERE name = ?")
            .bind(r.role)
            .bind(r.password_hash)
            .bind(r.name)
            .execute(&self.write)
            .await
            .map_err(query_error("update_user"))?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_user(&self, name: &UserName) -> Result<bool> {
        let op = "delete_user";
        let mut tx = self
            .write
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(query_error(op))?;
        sqlx::query("DELETE FROM sessions WHERE user_name = ?")
            .bind(name.as_str())
            .execute(&mut *tx)
            .await
            .map_err(query_error(op))?;
        let done = sqlx::query("DELETE FROM users WHERE name = ?")
            .bind(name.as_str())
            .execute(&mut *tx)
            .await
            .map_err(query_error(op))?;
        tx.commit().await.map_err(query_error(op))?;
        Ok(done.rows_affected() > 0)
    }
}
