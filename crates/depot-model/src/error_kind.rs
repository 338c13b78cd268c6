//! The small set of failure categories every service error maps onto.
//!
//! API crates match on these, never on message text, to pick a status code and the
//! error shape of their family.

use serde::{Deserialize, Serialize};

/// What kind of failure an error is, independent of any wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorKind {
    /// The addressed thing does not exist.
    NotFound,
    /// The thing to create exists already.
    AlreadyExists,
    /// A concurrent change got in the way; the caller may retry.
    Conflict,
    /// The input is malformed or breaks a rule.
    Invalid,
    /// The operation does not fit the current state (e.g. retry of a succeeded task).
    NotAllowedInCurrentState,
    /// No or bad credentials.
    Unauthenticated,
    /// Authenticated, but missing a privilege.
    Forbidden,
    /// A dependency (disk, database, upstream) is not usable right now.
    Unavailable,
    /// The operation was cancelled.
    Canceled,
    /// A bug or an unexpected state; details go to the log only.
    Internal,
}

/// A service error as every API family sees it: a kind, a stable code and a message.
/// Each service's error type implements it once; `depot-http` turns any of them into
/// the family-neutral problem every family renders, so no family maps errors itself.
pub trait DomainError: std::error::Error + Send + Sync {
    /// The failure category.
    fn kind(&self) -> ErrorKind;

    /// A stable code for error bodies, e.g. `DEPOT_SETTINGS_INVALID`.
    fn code(&self) -> &'static str;

    /// The message shown to callers (by default: id from the code, text from `Display`).
    fn message(&self) -> crate::Message {
        crate::Message::new(
            format!("com.vmware.depotd.{}", self.code().to_ascii_lowercase()),
            self.to_string(),
        )
    }

    /// Whether this is the server's fault: its details are logged, not shown.
    fn is_internal(&self) -> bool {
        self.kind() == ErrorKind::Internal
    }

    /// The error of another service this one only carries, to be shown as that
    /// service shows it (e.g. a task engine error inside a sync error).
    fn carried(&self) -> Option<&dyn DomainError> {
        None
    }

    /// Structured data shown with the error (vAPI errors' `data`), e.g. the existing
    /// object of an `AlreadyExists`.
    fn data(&self) -> Option<serde_json::Value> {
        None
    }

    /// For a refusal that passes with time (a throttle, a full queue): when the caller
    /// may try again (HTTP `Retry-After`).
    fn retry_after(&self) -> Option<std::time::Duration> {
        None
    }
}
