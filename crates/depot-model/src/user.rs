//! Users and their names.

use std::fmt;

use crate::{Role, Timestamp};

/// A user name, normalized to lower case (`administrator@vsphere.local`).
///
/// Names are `local@domain` or a bare local part; 1..=256 characters of letters,
/// digits and `. _ - @`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserName(String);

/// A user name that breaks the naming rule. It keeps only the start of the name, so
/// that an error message or log line never carries a huge one whole.
#[derive(Debug, thiserror::Error)]
#[error("invalid user name {0:?}: use 1 to 256 letters, digits or . _ - @")]
pub struct InvalidUserName(pub String);

/// Characters of a rejected name kept in [`InvalidUserName`].
const REJECTED_NAME_SHOWN: usize = 64;

impl InvalidUserName {
    fn of(raw: &str) -> Self {
        let shown: String = raw.chars().take(REJECTED_NAME_SHOWN).collect();
        if shown.len() < raw.len() {
            Self(format!("{shown}… ({} bytes)", raw.len()))
        } else {
            Self(shown)
        }
    }
}

impl UserName {
    /// Parses and normalizes a user name.
    pub fn parse(raw: &str) -> Result<Self, InvalidUserName> {
        let ok = !raw.is_empty()
            && raw.len() <= 256
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
            && raw.matches('@').count() <= 1;
        if ok {
            Ok(Self(raw.to_ascii_lowercase()))
        } else {
            Err(InvalidUserName::of(raw))
        }
    }

    /// The normalized name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The vSphere display form, `DOMAIN\user` (`VSPHERE.LOCAL\administrator`).
    pub fn vsphere_display(&self) -> String {
        match self.0.split_once('@') {
            Some((user, domain)) => format!("{}\\{user}", domain.to_ascii_uppercase()),
            None => self.0.clone(),
        }
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Unique, normalized name.
    pub name: UserName,
    /// The built-in role granting this user's privileges.
    pub role: Role,
    /// The argon2 PHC string of the password.
    pub password_hash: String,
    /// When the user was created.
    pub created: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalize_and_display() {
        let n = UserName::parse("Administrator@vSphere.local").unwrap();
        assert_eq!(n.as_str(), "administrator@vsphere.local");
        assert_eq!(n.vsphere_display(), "VSPHERE.LOCAL\\administrator");
        assert!(UserName::parse("a b").is_err());
        assert!(UserName::parse("").is_err());
        assert!(UserName::parse("a@b@c").is_err());
    }

    #[test]
    fn a_rejected_name_is_shown_shortened() {
        let long = "x".repeat(768 * 1024);
        let err = UserName::parse(&long).unwrap_err();
        assert!(err.to_string().len() < 200, "{err}");
        assert!(err.to_string().contains("(786432 bytes)"), "{err}");
        let short = UserName::parse("a b").unwrap_err();
        assert_eq!(short.0, "a b");
    }
}
