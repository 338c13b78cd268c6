//! [`Secret`]: a password or download token that never shows up in `Debug` output (shared
//! by the users' passwords and the upstream depot's credentials), and [`SealedSecret`]: one
//! already encrypted by its service, which stores keep as opaque text.

use std::fmt;

/// A secret string (a password or a download token).
///
/// `Debug` prints `Secret(***)` and there is no `Display`, so a secret cannot leak into a
/// log line or an error message by accident; [`expose`](Self::expose) is the one way to read
/// it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value, for the one place that has to send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// A secret sealed (encrypted) by the service that owns it, kept as opaque text by the
/// store: a library's publish or subscription password. Only the sealing service can
/// open it; `Debug` still hides it.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SealedSecret(String);

impl SealedSecret {
    /// Wraps sealed text.
    pub fn new(sealed: impl Into<String>) -> Self {
        Self(sealed.into())
    }

    /// The sealed text, for the service that opens it.
    pub fn sealed(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealedSecret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(secret.expose(), "hunter2");
        let sealed = SealedSecret::new("v1:abcd");
        assert_eq!(format!("{sealed:?}"), "SealedSecret(***)");
        assert_eq!(sealed.sealed(), "v1:abcd");
    }
}
