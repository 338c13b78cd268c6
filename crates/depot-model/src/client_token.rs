//! [`ClientToken`]: the idempotency key of a create (vSphere's `Client-Token` header).

/// The longest token accepted, in bytes.
pub const MAX_CLIENT_TOKEN_LEN: usize = 256;

/// A create's idempotency key: the token a client sent, scoped to the user who sent it.
/// Creating again with the same token (by the same user, of the same kind of object)
/// returns the first object instead of a second one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientToken {
    user: String,
    token: String,
}

/// A client token that is empty or too long.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a client token must be 1 to {MAX_CLIENT_TOKEN_LEN} bytes long, not {len}")]
pub struct InvalidClientToken {
    /// The length that was given.
    pub len: usize,
}

impl ClientToken {
    /// The token `token` sent by `user`; rejects an empty or over-long token.
    pub fn new(
        user: impl Into<String>,
        token: impl Into<String>,
    ) -> Result<Self, InvalidClientToken> {
        let token = token.into();
        if token.is_empty() || token.len() > MAX_CLIENT_TOKEN_LEN {
            return Err(InvalidClientToken { len: token.len() });
        }
        Ok(Self {
            user: user.into(),
            token,
        })
    }

    /// Who sent it.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The token itself.
    pub fn token(&self) -> &str {
        &self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_long_tokens_are_rejected() {
        assert!(ClientToken::new("a", "").is_err());
        assert!(ClientToken::new("a", "x".repeat(MAX_CLIENT_TOKEN_LEN + 1)).is_err());
        let t = ClientToken::new("a", "t-1").unwrap();
        assert_eq!((t.user(), t.token()), ("a", "t-1"));
    }
}
