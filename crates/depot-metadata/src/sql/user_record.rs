//! The stored forms of users and sessions.

use depot_model::{Role, Session, SessionKind, TokenHash, User, UserName};

use super::{from_millis, to_millis};
use crate::{MetadataError, Result};

/// A user row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct UserRecord {
    /// Normalized name.
    pub name: String,
    /// Role name.
    pub role: String,
    /// Argon2 PHC string.
    pub password_hash: String,
    /// Creation time in ms.
    pub created: i64,
}

impl UserRecord {
    /// The stored form of `user`.
    pub(crate) fn from_user(user: &User) -> Self {
        Self {
            name: user.name.as_str().to_owned(),
            role: user.role.name().to_owned(),
            password_hash: user.password_hash.clone(),
            created: to_millis(user.created),
        }
    }

    /// The domain user; `Corrupt` when a column does not decode.
    pub(crate) fn into_user(self) -> Result<User> {
        let corrupt = |detail: String| MetadataError::Corrupt {
            what: "user",
            detail,
        };
        let name = UserName::parse(&self.name).map_err(|e| corrupt(e.to_string()))?;
        let role: Role = self
            .role
            .parse()
            .map_err(|e: depot_model::privilege::UnknownRole| corrupt(format!("{name}: {e}")))?;
        Ok(User {
            role,
            password_hash: self.password_hash,
            created: from_millis(self.created, "user", "created")?,
            name,
        })
    }
}

/// A session row.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct SessionRecord {
    /// Hex SHA-256 of the secret.
    pub token_hash: String,
    /// Kind's storage name.
    pub kind: String,
    /// Owner's normalized name.
    pub user_name: String,
    /// Creation time in ms.
    pub created: i64,
    /// Last use in ms.
    pub last_accessed: i64,
    /// Hex SHA-256 of the refresh token of an access token's family.
    pub refresh_hash: Option<String>,
}

impl SessionRecord {
    /// The stored form of `session`.
    pub(crate) fn from_session(session: &Session) -> Self {
        Self {
            token_hash: session.token_hash.0.clone(),
            kind: session.kind.as_str().to_owned(),
            user_name: session.user.as_str().to_owned(),
            created: to_millis(session.created),
            last_accessed: to_millis(session.last_accessed),
            refresh_hash: session.refresh.as_ref().map(|h| h.0.clone()),
        }
    }

    /// The domain session; `Corrupt` when a column does not decode.
    pub(crate) fn into_session(self) -> Result<Session> {
        let token_hash = TokenHash(self.token_hash);
        let corrupt = |detail: String| MetadataError::Corrupt {
            what: "session",
            detail: format!("{token_hash:?}: {detail}"),
        };
        let kind = SessionKind::parse(&self.kind)
            .ok_or_else(|| corrupt(format!("unknown kind {:?}", self.kind)))?;
        let user = UserName::parse(&self.user_name).map_err(|e| corrupt(e.to_string()))?;
        Ok(Session {
            kind,
            user,
            created: from_millis(self.created, "session", "created")?,
            last_accessed: from_millis(self.last_accessed, "session", "last_accessed")?,
            refresh: self.refresh_hash.map(TokenHash),
            token_hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_role_is_corrupt() {
        let record = UserRecord {
            name: "a".to_owned(),
            role: "Root".to_owned(),
            password_hash: String::new(),
            created: 0,
        };
        assert!(matches!(
            record.into_user(),
            Err(MetadataError::Corrupt { what: "user", .. })
        ));
    }

    #[test]
    fn unknown_kind_is_corrupt() {
        let record = SessionRecord {
            token_hash: "ab".to_owned(),
            kind: "cookie".to_owned(),
            user_name: "a".to_owned(),
            created: 0,
            last_accessed: 0,
            refresh_hash: None,
        };
        assert!(matches!(
            record.into_session(),
            Err(MetadataError::Corrupt {
                what: "session",
                ..
            })
        ));
    }
}
