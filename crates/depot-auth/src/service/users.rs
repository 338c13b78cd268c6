//! Managing users: creating them, their passwords and roles, removing them.

use depot_model::{Role, User, UserName};

use super::{ADMIN_USER, AuthService};
use crate::{AuthError, Secret, password};

impl AuthService {
    /// Creates a user.
    pub async fn add_user(
        &self,
        name: &str,
        role: Role,
        password: Secret,
    ) -> Result<User, AuthError> {
        let name = UserName::parse(name)?;
        password::check_strength(&password)?;
        let user = User {
            password_hash: self.hash(password).await?,
            name,
            role,
            created: self.now(),
        };
        self.store.insert_user(&user).await.map_err(|e| match e {
            depot_metadata::MetadataError::AlreadyExists { .. } => {
                AuthError::UserExists(user.name.to_string())
            }
            e => AuthError::Store(e),
        })?;
        Ok(user)
    }

    /// Sets a user's password and ends all their sessions and tokens: whoever logged in
    /// with the old password must log in again. What this process cached for the user
    /// is dropped at once; other processes drop it within the session cache TTL.
    pub async fn set_password(&self, name: &str, password: Secret) -> Result<(), AuthError> {
        password::check_strength(&password)?;
        let mut user = self.user(name).await?;
        user.password_hash = self.hash(password).await?;
        if !self.store.update_user(&user).await? {
            return Err(AuthError::NoSuchUser(name.to_owned()));
        }
        self.store.delete_user_sessions(&user.name).await?;
        self.cache.evict_user(&user.name);
        Ok(())
    }

    /// Changes a user's role.
    pub async fn set_role(&self, name: &str, role: Role) -> Result<(), AuthError> {
        let mut user = self.user(name).await?;
        user.role = role;
        if !self.store.update_user(&user).await? {
            return Err(AuthError::NoSuchUser(name.to_owned()));
        }
        self.cache.evict_user(&user.name);
        Ok(())
    }

    /// All users.
    pub async fn list_users(&self) -> Result<Vec<User>, AuthError> {
        Ok(self.store.list_users().await?)
    }

    /// Removes a user and all their sessions.
    pub async fn remove_user(&self, name: &str) -> Result<(), AuthError> {
        let name = UserName::parse(name)?;
        if name.as_str() == ADMIN_USER {
            return Err(AuthError::BuiltInAdmin);
        }
        if !self.store.delete_user(&name).await? {
            return Err(AuthError::NoSuchUser(name.to_string()));
        }
        self.cache.evict_user(&name);
        Ok(())
    }

    async fn user(&self, name: &str) -> Result<User, AuthError> {
        let parsed = UserName::parse(name)?;
        self.store
            .get_user(&parsed)
            .await?
            .ok_or_else(|| AuthError::NoSuchUser(name.to_owned()))
    }

    /// Hashes a new password through the hash gate.
    async fn hash(&self, password: Secret) -> Result<String, AuthError> {
        self.hashes.run(move || password::hash(&password)).await
    }
}
