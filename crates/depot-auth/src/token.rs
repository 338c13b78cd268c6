//! Minting and hashing session secrets.

use depot_model::TokenHash;
use sha2::{Digest, Sha256};

use crate::{AuthError, Secret};

/// A new random secret: 32 bytes from the OS, hex encoded.
pub(crate) fn mint() -> Result<Secret, AuthError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AuthError::Hash(e.to_string()))?;
    Ok(Secret::new(hex::encode(bytes)))
}

/// The stored form of a secret.
pub(crate) fn hash(secret: &str) -> TokenHash {
    TokenHash(hex::encode(Sha256::digest(secret.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_differ_and_hash_stably() {
        let a = mint().unwrap();
        let b = mint().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 64);
        assert_eq!(hash(a.expose()), hash(a.expose()));
        assert_ne!(hash(a.expose()), hash(b.expose()));
    }
}
