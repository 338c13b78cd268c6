//! The one error type of this crate.

use std::time::Duration;

use depot_metadata::MetadataError;
use depot_model::{DomainError, ErrorKind, Message, Privilege};

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
    /// Too many failed logins for this user name from this address, or for many user
    /// names from it: the attempt's turn is too far away.
    #[error("too many failed logins; try again later")]
    Throttled {
        /// When the account's (or address's) next attempt will be taken.
        retry_after: Duration,
    },
    /// Too many password checks are waiting already.
    #[error("too many logins are being checked; try again later")]
    Busy,
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
            AuthError::Throttled { .. } | AuthError::Busy => ErrorKind::Unavailable,
            AuthError::Hash(_) => ErrorKind::Internal,
            AuthError::Store(e) => e.kind(),
        }
    }
}

impl DomainError for AuthError {
    fn kind(&self) -> ErrorKind {
        AuthError::kind(self)
    }

    fn code(&self) -> &'static str {
        match self {
            AuthError::MissingCredentials
            | AuthError::BadCredentials
            | AuthError::InvalidSession => "UNAUTHENTICATED",
            AuthError::Forbidden { .. } => "UNAUTHORIZED",
            AuthError::UserExists(_) => "USER_ALREADY_EXISTS",
            AuthError::NoSuchUser(_) => "USER_NOT_FOUND",
            AuthError::InvalidUserName(_) | AuthError::WeakPassword => "INVALID_ARGUMENT",
            AuthError::BuiltInAdmin => "NOT_ALLOWED_IN_CURRENT_STATE",
            AuthError::Throttled { .. } => "LOGIN_THROTTLED",
            AuthError::Busy => "LOGIN_BUSY",
            AuthError::Hash(_) | AuthError::Store(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    fn message(&self) -> Message {
        let message = Message::new(
            format!(
                "com.vmware.depotd.auth.{}",
                self.code().to_ascii_lowercase()
            ),
            self.to_string(),
        );
        match self {
            AuthError::Forbidden { privilege, .. } => message.arg("privilege", privilege.id()),
            _ => message,
        }
    }

    fn is_internal(&self) -> bool {
        matches!(self, AuthError::Hash(_) | AuthError::Store(_))
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            AuthError::Throttled { retry_after } => Some(*retry_after),
            // A hash slot frees within a second or so.
            AuthError::Busy => Some(Duration::from_secs(1)),
            _ => None,
        }
    }
}
