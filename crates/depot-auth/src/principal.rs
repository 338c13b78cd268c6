//! Who is calling, and what they may do.

use depot_model::{Privilege, Role, UserName};

use crate::AuthError;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user.
    pub user: UserName,
    /// The user's role at authentication time.
    pub role: Role,
}

impl Principal {
    /// Succeeds when the caller's role grants `privilege`.
    pub fn require(&self, privilege: Privilege) -> Result<(), AuthError> {
        if self.role.grants(privilege) {
            Ok(())
        } else {
            Err(AuthError::Forbidden {
                user: self.user.to_string(),
                privilege,
            })
        }
    }
}
