//! Sessions: one store, reached through vSphere session ids and bearer tokens.

use std::fmt;

use crate::{Timestamp, UserName};

/// The SHA-256 of a session secret, hex encoded. Only hashes are stored, so a leaked
/// database does not leak usable tokens.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(pub String);

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A prefix is enough to correlate in logs.
        write!(f, "TokenHash({}…)", self.0.get(..8).unwrap_or(""))
    }
}

/// How a session was opened, which decides the token it is addressed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionKind {
    /// vSphere `POST /api/session` or JSON-RPC `com.vmware.cis.session.create`.
    Vsphere,
    /// `POST /v1/tokens` access token (SDDC Manager and fleet-lcm).
    Access,
    /// `POST /v1/tokens` refresh token: only good for minting new access tokens.
    Refresh,
}

impl SessionKind {
    /// Stable storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Vsphere => "vsphere",
            SessionKind::Access => "access",
            SessionKind::Refresh => "refresh",
        }
    }

    /// Parses the storage name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "vsphere" => Some(SessionKind::Vsphere),
            "access" => Some(SessionKind::Access),
            "refresh" => Some(SessionKind::Refresh),
            _ => None,
        }
    }
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Hash of the secret the client holds.
    pub token_hash: TokenHash,
    /// How it was opened.
    pub kind: SessionKind,
    /// Whose session it is.
    pub user: UserName,
    /// When it was opened.
    pub created: Timestamp,
    /// When it was last used (updated coarsely, see depot-auth).
    pub last_accessed: Timestamp,
    /// For an access token: the refresh token it was issued with or minted from. The
    /// token ends when that refresh token is revoked.
    pub refresh: Option<TokenHash>,
}
