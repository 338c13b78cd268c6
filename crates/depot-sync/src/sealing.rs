//! [`SecretBox`]: seals depot secrets (passwords, tokens) before they are stored, with a
//! key that lives in the data dir and never in the database.
//!
//! Each value is sealed with AES-256-GCM under a fresh random 96-bit nonce; the stored
//! form is `v1:` + base64(nonce ‖ ciphertext ‖ tag). The settings field the value belongs
//! to is the associated data, so a sealed password cannot be moved into the token field.

use std::io::Write;
use std::path::Path;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use depot_upstream::Secret;

use crate::SyncError;

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

    /// The box whose key is in `path`, creating the key (mode 0600, written atomically)
    /// when the file does not exist yet.
    pub fn load_or_create(path: &Path) -> Result<Self, SyncError> {
        let key_error = |detail: String| SyncError::Key {
            path: path.display().to_string(),
            detail,
        };
        match std::fs::read(path) {
            Ok(bytes) => {
                let key: [u8; KEY_LEN] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| key_error(format!("the key file must hold {KEY_LEN} bytes")))?;
                return Ok(Self::new(&key));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(key_error(e.to_string())),
        }
        let mut key = [0u8; KEY_LEN];
        aws_lc_rs::rand::fill(&mut key).map_err(|_| key_error("no randomness".to_owned()))?;
        write_private(path, &key).map_err(|e| key_error(e.to_string()))?;
        // Another process may have won the race: use whatever is on disk now.
        let bytes = std::fs::read(path).map_err(|e| key_error(e.to_string()))?;
        let key: [u8; KEY_LEN] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| key_error(format!("the key file must hold {KEY_LEN} bytes")))?;
        Ok(Self::new(&key))
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
    pub fn seal(&self, field: &str, secret: &Secret) -> Result<String, SyncError> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| SyncError::Sealing)?;
        let mut data = secret.expose().as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(field.as_bytes()),
                &mut data,
            )
            .map_err(|_| SyncError::Sealing)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
    }

    /// Opens a value sealed for `field`; fails when it was sealed with another key or for
    /// another field, or was changed.
    pub fn open(&self, field: &str, sealed: &str) -> Result<Secret, SyncError> {
        let bad = || SyncError::Unsealing {
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

/// Writes `bytes` to a new file at `path` readable by the owner only, atomically: a
/// temporary file is synced, then linked into place without replacing an existing key.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let mut tmp = tempfile_in(dir)?;
    tmp.1.write_all(bytes)?;
    tmp.1.sync_all()?;
    let linked = std::fs::hard_link(&tmp.0, path);
    let _ = std::fs::remove_file(&tmp.0);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn tempfile_in(dir: &Path) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut suffix = [0u8; 8];
    aws_lc_rs::rand::fill(&mut suffix).map_err(|_| std::io::Error::other("no randomness"))?;
    let tmp = dir.join(format!(".secrets-{}.tmp", u64::from_le_bytes(suffix)));
    let file = options.open(&tmp)?;
    Ok((tmp, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.key");
        let a = SecretBox::load_or_create(&path).unwrap();
        let sealed = a.seal("password", &Secret::new("hunter2")).unwrap();
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("hunter2"));
        assert_ne!(sealed, a.seal("password", &Secret::new("hunter2")).unwrap());
        // The same key file again opens it.
        let again = SecretBox::load_or_create(&path).unwrap();
        assert_eq!(again.open("password", &sealed).unwrap().expose(), "hunter2");
        assert!(again.open("downloadToken", &sealed).is_err());
        let other = SecretBox::new(&[7; 32]);
        assert!(other.open("password", &sealed).is_err());
        let mut raw = STANDARD.decode(&sealed[3..]).unwrap();
        raw[14] ^= 1;
        let tampered = format!("v1:{}", STANDARD.encode(raw));
        assert!(a.open("password", &tampered).is_err());
        assert!(a.open("password", "plain").is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
