//! [`UserStore`] on SQL.

use async_trait::async_trait;
use depot_model::{User, UserName};

use super::SqlStore;
use crate::sql::{
    Backend, On, Statement, Unique, UserRecord, WriteLock, query_error, unique_violation,
};
use crate::{MetadataError, Result, UserStore};

/// The user columns, in [`UserRecord`] order.
const USER_COLUMNS: &str = "name, role, password_hash, created";

#[async_trait]
impl<B: Backend> UserStore for SqlStore<B> {
    async fn insert_user(&self, user: &User) -> Result<()> {
        let r = UserRecord::from_user(user);
        let stmt = Statement::new(format!(
            "INSERT INTO users ({USER_COLUMNS}) VALUES (?, ?, ?, ?)"
        ))
        .bind(r.name)
        .bind(r.role)
        .bind(r.password_hash)
        .bind(r.created);
        match self.db.execute(On::Write, stmt).await {
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
        let stmt = Statement::new(format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?"))
            .bind(name.as_str());
        let record: Option<UserRecord> = self
            .db
            .fetch_optional(On::Read, stmt)
            .await
            .map_err(query_error("get_user"))?;
        record.map(UserRecord::into_user).transpose()
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let stmt = Statement::new(format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"));
        let records: Vec<UserRecord> = self
            .db
            .fetch_all(On::Read, stmt)
            .await
            .map_err(query_error("list_users"))?;
        records.into_iter().map(UserRecord::into_user).collect()
    }

    async fn update_user(&self, user: &User) -> Result<bool> {
        let r = UserRecord::from_user(user);
        let stmt = Statement::new("UPDATE users SET role = ?, password_hash = ? WHERE name = ?")
            .bind(r.role)
            .bind(r.password_hash)
            .bind(r.name);
        let updated = self
            .db
            .execute(On::Write, stmt)
            .await
            .map_err(query_error("update_user"))?;
        Ok(updated > 0)
    }

    async fn delete_user(&self, name: &UserName) -> Result<bool> {
        let op = "delete_user";
        let mut tx = self
            .db
            .begin_write(WriteLock::Rows)
            .await
            .map_err(query_error(op))?;
        let sessions =
            Statement::new("DELETE FROM sessions WHERE user_name = ?").bind(name.as_str());
        self.db
            .execute(On::Tx(&mut tx), sessions)
            .await
            .map_err(query_error(op))?;
        let user = Statement::new("DELETE FROM users WHERE name = ?").bind(name.as_str());
        let deleted = self
            .db
            .execute(On::Tx(&mut tx), user)
            .await
            .map_err(query_error(op))?;
        tx.commit().await.map_err(query_error(op))?;
        Ok(deleted > 0)
    }
}
