//! Password hashing with argon2id, off the async executor.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::{AuthError, Secret};

/// Checks the length rule for new passwords.
pub(crate) fn check_strength(password: &Secret) -> Result<(), AuthError> {
    let len = password.expose().chars().count();
    if (8..=256).contains(&len) {
        Ok(())
    } else {
        Err(AuthError::WeakPassword)
    }
}

/// Hashes a password into a PHC string.
pub(crate) async fn hash(password: Secret) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| AuthError::Hash(e.to_string()))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| AuthError::Hash(e.to_string()))?;
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AuthError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| AuthError::Hash(e.to_string()))?
}

/// Whether `password` matches the PHC string `stored`.
pub(crate) async fn verify(password: Secret, stored: String) -> Result<bool, AuthError> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&stored).map_err(|e| AuthError::Hash(e.to_string()))?;
        Ok(Argon2::default()
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| AuthError::Hash(e.to_string()))?
}

/// A throwaway hash, verified against when the user does not exist, so a wrong user
/// name costs as much time as a wrong password.
pub(crate) const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$ZGVwb3RkZGVjb3lzYWx0$6cSCyeOCvYGcIVx1n2hFZBqW7hK/FTjYqN5QeqA8Gk4";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash(Secret::new("correct horse")).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify(Secret::new("correct horse"), h.clone())
                .await
                .unwrap()
        );
        assert!(!verify(Secret::new("wrong horse"), h).await.unwrap());
    }

    #[tokio::test]
    async fn decoy_hash_parses_and_rejects() {
        assert!(
            !verify(Secret::new("anything"), DECOY_HASH.to_owned())
                .await
                .unwrap()
        );
    }

    #[test]
    fn strength_rule() {
        assert!(check_strength(&Secret::new("short")).is_err());
        assert!(check_strength(&Secret::new("long enough")).is_ok());
    }
}
