//! [`UserStore`] on PostgreSQL.

use async_trait::async_trait;
use depot_model::{User, UserName};

use super::PostgresStore;
use crate::sql::{Unique, UserRecord, query_error, unique_violation};
use crate::{MetadataError, Result, UserStore};

#[async_trait]
impl UserStore for PostgresStore {
    async fn insert_user(&self, user: &User) -> Result<()> {
        let r = UserRecord::from_user(user);
        let outcome = sqlx::query(
            "INSERT INTO users (name, role, password_hash, created) VALUES ($1, $2, $3, $4)",
        )
        .bind(r.name)
        .bind(r.role)
        .bind(r.password_hash)
        .bind(r.created)
        .execute(&self.pool)
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
            sqlx::query_as("SELECT name, role, password_hash, created FROM users WHERE name = $1")
                .bind(name.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(query_error("get_user"))?;
        record.map(UserRecord::into_user).transpose()
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let records: Vec<UserRecord> =
            sqlx::query_as("SELECT name, role, password_hash, created FROM users ORDER BY name")
                .fetch_all(&self.pool)
                .await
                .map_err(query_error("list_users"))?;
        records.into_iter().map(UserRecord::into_user).collect()
    }

    async fn update_user(&self, user: &User) -> Result<bool> {
        let r = UserRecord::from_user(user);
        let done = sqlx::query("UPDATE users SET role = $1, password_hash = $2 WHERE name = $3")
            .bind(r.role)
            .bind(r.password_hash)
            .bind(r.name)
            .execute(&self.pool)
            .await
            .map_err(query_error("update_user"))?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_user(&self, name: &UserName) -> Result<bool> {
        let op = "delete_user";
        let mut tx = self.pool.begin().await.map_err(query_error(op))?;
        sqlx::query("DELETE FROM sessions WHERE user_name = $1")
            .bind(name.as_str())
            .execute(&mut *tx)
            .await
            .map_err(query_error(op))?;
        let done = sqlx::query("DELETE FROM users WHERE name = $1")
            .bind(name.as_str())
            .execute(&mut *tx)
            .await
            .map_err(query_error(op))?;
        tx.commit().await.map_err(query_error(op))?;
        Ok(done.rows_affected() > 0)
    }
}
