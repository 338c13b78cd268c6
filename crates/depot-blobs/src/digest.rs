//! The SHA-256 digest that names every blob.

use std::fmt;
use std::str::FromStr;

use crate::error::BlobError;

/// Number of hex characters in a textual SHA-256 digest.
const HEX_LEN: usize = 64;

/// How much of a rejected input is kept in the error (inputs are untrusted and may be huge).
const MAX_ECHOED_INPUT: usize = 80;

/// A SHA-256 digest: the name of a blob.
///
/// Parse one from text with [`str::parse`] (exactly 64 hex characters, either case); it is
/// displayed as 64 lowercase hex characters, which is also its on-disk file name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest([u8; 32]);

impl Sha256Digest {
    /// Wraps 32 raw digest bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 raw digest bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Computes the digest of an in-memory byte slice.
    ///
    /// Meant for small inputs (tests, manifests); stream large data through
    /// [`BlobStore::put`](crate::BlobStore::put) instead.
    pub fn compute(data: &[u8]) -> Self {
        use sha2::Digest as _;
        Self(sha2::Sha256::digest(data).into())
    }
}

impl From<[u8; 32]> for Sha256Digest {
    fn from(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

impl FromStr for Sha256Digest {
    type Err = BlobError;

    /// Accepts exactly 64 ASCII hex digits, upper or lower case, and nothing else
    /// (no prefix such as `sha256:`, no whitespace).
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let mut bytes = [0u8; 32];
        if input.len() != HEX_LEN || hex::decode_to_slice(input, &mut bytes).is_err() {
            return Err(BlobError::InvalidDigest {
                input: input.chars().take(MAX_ECHOED_INPUT).collect(),
            });
        }
        Ok(Self(bytes))
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in &self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    /// SHA-256 of the empty input.
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn parses_lowercase_and_displays_it_back() {
        let digest: Sha256Digest = EMPTY.parse().expect("valid digest");
        assert_eq!(digest.to_string(), EMPTY);
        assert_eq!(digest, Sha256Digest::compute(b""));
        assert_eq!(digest.as_bytes()[0], 0xe3);
    }

    #[test]
    fn parses_uppercase_and_displays_lowercase() {
        let digest: Sha256Digest = EMPTY.to_uppercase().parse().expect("valid digest");
        assert_eq!(digest.to_string(), EMPTY);
    }

    #[test]
    fn debug_shows_hex() {
        let digest = Sha256Digest::from_bytes([0xab; 32]);
        assert_eq!(
            format!("{digest:?}"),
            format!("Sha256Digest({})", "ab".repeat(32))
        );
    }

    #[test]
    fn rejects_everything_else() {
        let long = "a".repeat(1000);
        let bad = [
            "",
            &EMPTY[..63],
            &format!("{EMPTY}0"),
            &format!("sha256:{EMPTY}"),
            &format!(" {}", &EMPTY[1..]),
            &format!("{}g", &EMPTY[..63]),
            &format!("{}+", &EMPTY[..63]),
            // 62 ASCII bytes plus a two-byte character: 64 bytes, 63 chars.
            &format!("{}é", &EMPTY[..62]),
            long.as_str(),
        ];
        for input in bad {
            let err = input.parse::<Sha256Digest>().expect_err(input);
            assert_eq!(err.kind(), ErrorKind::Invalid, "{input}");
            let BlobError::InvalidDigest { input: echoed } = err else {
                panic!("unexpected error for {input:?}");
            };
            assert!(echoed.chars().count() <= MAX_ECHOED_INPUT);
        }
    }
}
