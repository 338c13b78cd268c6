#![doc = include_str!("../README.md")]

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use depot_model::Secret;

/// Why a secret could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The random source failed, or encryption did.
    #[error("a secret could not be sealed")]
    Sealing,
    /// A stored value does not open with this key for this field (another data dir's
    /// key, another field, or a changed value).
    #[error("the stored {field} cannot be decrypted with this data dir's key")]
    Unsealing {
        /// The field it was opened for.
        field: String,
    },
}

const PREFIX: &str = "v1:";
const KEY_LEN: usize = 32;

/// Seals and opens secrets with one key.
pub struct SecretBox {
    key: LessSafeKey,
    fingerprint: [u8; 16],
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(***)")
    }
}

impl SecretBox {
    /// A box over a 32-byte key.
    pub fn new(key: &[u8; KEY_LEN]) -> Self {
        let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        context.update(b"depotd machine id\0");
        context.update(key);
        let mut fingerprint = [0u8; 16];
        fingerprint.copy_from_slice(&context.finish().as_ref()[..16]);
        let key = UnboundKey::new(&AES_256_GCM, key).expect("AES-256 takes a 32-byte key");
        Self {
            key: LessSafeKey::new(key),
            fingerprint,
        }
    }

    /// A UUID-shaped id derived from the key (not revealing it): the same for every
    /// replica sharing the key.
    pub fn machine_id(&self) -> String {
        let mut bytes = self.fingerprint;
        // Version 8 (custom) and the RFC 9562 variant.
        bytes[6] = (bytes[6] & 0x0f) | 0x80;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex: String = bytes.iter().fold(String::new(), |mut out, b| {
            use std::fmt::Write as _;
            let _ = write!(out, "{b:02x}");
            out
        });
        format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    }

    /// Seals `secret` for the field named `field`.
    pub fn seal(&self, field: &str, secret: &Secret) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| SealError::Sealing)?;
        let mut data = secret.expose().as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(field.as_bytes()),
                &mut data,
            )
            .map_err(|_| SealError::Sealing)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
    }

    /// Opens a value sealed for `field`; fails when it was sealed with another key or for
    /// another field, or was changed.
    pub fn open(&self, field: &str, sealed: &str) -> Result<Secret, SealError> {
        let bad = || SealError::Unsealing {
            field: field.to_owned(),
        };
        let raw = sealed
            .strip_prefix(PREFIX)
            .and_then(|b64| STANDARD.decode(b64).ok())
            .ok_or_else(bad)?;
        if raw.len() < NONCE_LEN {
            return Err(bad());
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| bad())?;
        let mut data = rest.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(field.as_bytes()), &mut data)
            .map_err(|_| bad())?;
        String::from_utf8(plain.to_vec())
            .map(Secret::new)
            .map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_field() {
        let a = SecretBox::new(&[5; 32]);
        let sealed = a.seal("password", &Secret::new("hunter2")).unwrap();
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("hunter2"));
        assert_ne!(sealed, a.seal("password", &Secret::new("hunter2")).unwrap());
        // The same key again opens it.
        let again = SecretBox::new(&[5; 32]);
        assert_eq!(again.open("password", &sealed).unwrap().expose(), "hunter2");
        assert!(again.open("downloadToken", &sealed).is_err());
        let other = SecretBox::new(&[7; 32]);
        assert!(other.open("password", &sealed).is_err());
        let mut raw = STANDARD.decode(&sealed[3..]).unwrap();
        raw[14] ^= 1;
        let tampered = format!("v1:{}", STANDARD.encode(raw));
        assert!(a.open("password", &tampered).is_err());
        assert!(a.open("password", "plain").is_err());
    }
}
