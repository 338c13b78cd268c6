//! Password hashing with argon2id, in memory that goes back to the system after each
//! hash. These functions block for tens of milliseconds: the service runs them through
//! its [`crate::hash_gate::HashGate`], a bounded number at once, off the executor.
//!
//! Each hash needs its memory cost in RAM (19 MiB by default). argon2's own entry
//! points allocate that with a plain `Vec`, which glibc serves from the calling
//! thread's arena once its mmap threshold has adapted to the size (it adapts up to
//! 32 MiB): every blocking thread that ever hashed then keeps 19 MiB it never returns.
//! Here the buffer is reserved with a capacity above that 32 MiB bound, so the
//! allocator maps it on its own and unmaps it when it is dropped; only the pages the
//! hash touches are resident, and only while it runs. (Measured on the release
//! server with two hashes at once: 1,200 failed logins left 418 MiB resident with plain
//! buffers; with these, the peak was 40 MiB above idle and idle fell back to 19 MiB.)

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::{AuthError, Secret};

/// New passwords are 8 to 256 characters long; a longer one matches no stored hash.
pub(crate) const MAX_PASSWORD_CHARS: usize = 256;

/// The largest memory cost accepted from a stored hash, in KiB (the default is 19 MiB).
const MAX_MEMORY_KIB: u32 = 256 * 1024;

/// The reserved capacity of every buffer, in 1 KiB blocks: above glibc's largest
/// dynamic mmap threshold (32 MiB), so a buffer is never carved from an arena.
const BUFFER_CAPACITY_BLOCKS: usize = 33 * 1024;

/// Checks the length rule for new passwords.
pub(crate) fn check_strength(password: &Secret) -> Result<(), AuthError> {
    let len = password.expose().chars().count();
    if (8..=MAX_PASSWORD_CHARS).contains(&len) {
        Ok(())
    } else {
        Err(AuthError::WeakPassword)
    }
}

/// Whether `password` is too long to be anyone's (checked before any work).
pub(crate) fn too_long(password: &Secret) -> bool {
    // Four bytes per character at most: the byte length decides most cases cheaply.
    let bytes = password.expose().len();
    bytes > 4 * MAX_PASSWORD_CHARS
        || (bytes > MAX_PASSWORD_CHARS && password.expose().chars().count() > MAX_PASSWORD_CHARS)
}

/// Hashes a password into a PHC string with the default argon2id parameters.
pub(crate) fn hash(password: &Secret) -> Result<String, AuthError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AuthError::Hash(e.to_string()))?;
    let params = Params::default();
    let output = compute(
        Algorithm::Argon2id,
        Version::V0x13,
        params.clone(),
        password,
        &salt,
        Params::DEFAULT_OUTPUT_LEN,
    )?;
    let salt = SaltString::encode_b64(&salt).map_err(hash_error)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(hash_error)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `stored` (compared in constant time).
pub(crate) fn verify(password: &Secret, stored: &str) -> Result<bool, AuthError> {
    let phc = PasswordHash::new(stored).map_err(hash_error)?;
    let algorithm = Algorithm::try_from(phc.algorithm).map_err(hash_error)?;
    let version = phc
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(hash_error)?
        .unwrap_or_default();
    let params = Params::try_from(&phc).map_err(hash_error)?;
    if params.m_cost() > MAX_MEMORY_KIB {
        return Err(AuthError::Hash(format!(
            "a stored hash asks for {} KiB of memory",
            params.m_cost()
        )));
    }
    let (Some(salt), Some(expected)) = (phc.salt, phc.hash) else {
        return Err(AuthError::Hash("a stored hash lacks salt or output".into()));
    };
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes).map_err(hash_error)?;
    let output = compute(algorithm, version, params, password, salt, expected.len())?;
    Ok(output == expected)
}

/// The raw argon2 output of `len` bytes, computed in a buffer of its own.
fn compute(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &Secret,
    salt: &[u8],
    len: usize,
) -> Result<Output, AuthError> {
    let blocks = params.block_count();
    let mut memory: Vec<Block> = Vec::with_capacity(blocks.max(BUFFER_CAPACITY_BLOCKS));
    memory.resize(blocks, Block::new());
    let argon2 = Argon2::new(algorithm, version, params);
    Output::init_with(len, |out| {
        argon2
            .hash_password_into_with_memory(password.expose().as_bytes(), salt, out, &mut memory)
            .map_err(argon2::password_hash::Error::from)
    })
    .map_err(hash_error)
}

fn hash_error(e: impl std::fmt::Display) -> AuthError {
    AuthError::Hash(e.to_string())
}

/// A throwaway hash, verified against when the user does not exist, so a wrong user
/// name costs as much time as a wrong password.
pub(crate) const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$ZGVwb3RkZGVjb3lzYWx0$6cSCyeOCvYGcIVx1n2hFZBqW7hK/FTjYqN5QeqA8Gk4";

#[cfg(test)]
mod tests {
    use argon2::PasswordVerifier;

    use super::*;

    #[test]
    fn hash_then_verify() {
        let h = hash(&Secret::new("correct horse")).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify(&Secret::new("correct horse"), &h).unwrap());
        assert!(!verify(&Secret::new("wrong horse"), &h).unwrap());
    }

    #[test]
    fn hashes_agree_with_the_argon2_crate() {
        // Ours verify under argon2's own verifier and the other way round, so hashes
        // stored before this module changed keep working.
        let ours = hash(&Secret::new("correct horse")).unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .expect("argon2 accepts our hash");
        let theirs = PasswordHash::generate(
            Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default()),
            "correct horse",
            &SaltString::encode_b64(b"sixteen byte salt").unwrap(),
        )
        .unwrap()
        .to_string();
        assert!(verify(&Secret::new("correct horse"), &theirs).unwrap());
        assert!(!verify(&Secret::new("correct horsE"), &theirs).unwrap());
    }

    #[test]
    fn decoy_hash_parses_and_rejects() {
        assert!(!verify(&Secret::new("anything"), DECOY_HASH).unwrap());
    }

    #[test]
    fn stored_hashes_asking_for_too_much_memory_are_refused() {
        let greedy = "$argon2id$v=19$m=4194304,t=1,p=1$ZGVwb3RkZGVjb3lzYWx0$6cSCyeOCvYGcIVx1n2hFZBqW7hK/FTjYqN5QeqA8Gk4";
        assert!(matches!(
            verify(&Secret::new("x"), greedy),
            Err(AuthError::Hash(_))
        ));
        assert!(matches!(
            verify(&Secret::new("x"), "not a hash"),
            Err(AuthError::Hash(_))
        ));
    }

    #[test]
    fn strength_and_length_rules() {
        assert!(check_strength(&Secret::new("short")).is_err());
        assert!(check_strength(&Secret::new("long enough")).is_ok());
        assert!(!too_long(&Secret::new("é".repeat(MAX_PASSWORD_CHARS))));
        assert!(too_long(&Secret::new("é".repeat(MAX_PASSWORD_CHARS + 1))));
        assert!(too_long(&Secret::new("x".repeat(10_000))));
        assert!(check_strength(&Secret::new("é".repeat(MAX_PASSWORD_CHARS))).is_ok());
    }
}
