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
