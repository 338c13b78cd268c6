//! The one error type of this crate.

use depot_metadata::MetadataError;
use depot_model::{ErrorKind, Privilege};

/// Why an authentication or user operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No credentials were presented.
    #[error("authentication required")]
    MissingCredentials,
    /// The user name or password is wrong (which one is not told).
    #[error("invalid user name or password")]
    BadCredentials,
    /// The session or token is unknown, expired, or its user is gone.
    #[error("the session is not valid or has expired")]
    InvalidSession,
    /// The caller lacks a privilege.
    #[error("the user {user} lacks the privilege {privilege}")]
    Forbidden {
        /// Who asked.
        user: String,
        /// What was missing.
        privilege: Privilege,
    },
    /// A user name breaks the naming rule.
    #[error(transparent)]
    InvalidUserName(#[from] depot_model::user::InvalidUserName),
    /// A password is too short or too long.
    #[error("passwords must be 8 to 256 characters long")]
    WeakPassword,
    /// The user to create exists.
    #[error("user {0} already exists")]
    UserExists(String),
    /// The user to change does not exist.
    #[error("user {0} does not exist")]
    NoSuchUser(String),
    /// The built-in administrator cannot be removed.
    #[error("the built-in administrator cannot be removed")]
    BuiltInAdmin,
    /// Hashing failed (bad stored hash or resource limits).
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] MetadataError),
}

impl AuthError {
    /// The failure category.
    pub fn kind(&self) -> ErrorKind {
        match self {
            AuthError::MissingCredentials
            | AuthError::BadCredentials
            | AuthError::InvalidSession => ErrorKind::Unauthenticated,
            AuthError::Forbidden { .. } => ErrorKind::Forbidden,
            AuthError::InvalidUserName(_) | AuthError::WeakPassword => ErrorKind::Invalid,
            AuthError::UserExists(_) => ErrorKind::AlreadyExists,
            AuthError::NoSuchUser(_) => ErrorKind::NotFound,
            AuthError::BuiltInAdmin => ErrorKind::NotAllowedInCurrentState,
            AuthError::Hash(_) => ErrorKind::Internal,
            AuthError::Store(e) => e.kind(),
        }
    }
}
