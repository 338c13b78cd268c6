//! The SHA-256 digest: the name of every blob and what identifies every stored file.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// Number of hex characters in a textual SHA-256 digest.
const HEX_LEN: usize = 64;

/// How much of a rejected input is kept in the error (inputs are untrusted and may be huge).
const MAX_ECHOED_INPUT: usize = 80;

/// A SHA-256 digest: the name of a blob, the identity of a synced or uploaded file.
///
/// Parse one from text with [`str::parse`] (exactly 64 hex characters, either case); it is
/// displayed as 64 lowercase hex characters, which is also its on-disk file name, its
/// stored form and (with serde) its JSON form.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest([u8; 32]);

/// Text that should be a SHA-256 digest is not 64 hex characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid sha256 digest {input:?}: expected 64 hex characters")]
pub struct InvalidDigest {
    /// The rejected input (truncated).
    pub input: String,
}

impl Sha256Digest {
    /// Wraps 32 raw digest bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 raw digest bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Computes the digest of an in-memory byte slice (uses the CPU's SHA extensions
    /// where present).
    ///
    /// Meant for inputs already in memory (catalogs, keys, tests); large data is hashed
    /// while it streams into the blob store.
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
    type Err = InvalidDigest;

    /// Accepts exactly 64 ASCII hex digits, upper or lower case, and nothing else
    /// (no prefix such as `sha256:`, no whitespace).
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let mut bytes = [0u8; 32];
        if input.len() != HEX_LEN || hex::decode_to_slice(input, &mut bytes).is_err() {
            return Err(InvalidDigest {
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

/// Written as its 64 lowercase hex characters.
impl Serialize for Sha256Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Read from 64 hex characters, as [`str::parse`] reads them.
impl<'de> Deserialize<'de> for Sha256Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert!(err.input.chars().count() <= MAX_ECHOED_INPUT, "{input}");
            assert!(input.starts_with(&err.input), "{input}");
            assert_eq!(
                err.to_string(),
                format!(
                    "invalid sha256 digest {:?}: expected 64 hex characters",
                    err.input
                )
            );
        }
    }

    #[test]
    fn json_is_the_lowercase_hex_string() {
        let digest = Sha256Digest::compute(b"");
        let json = serde_json::to_string(&digest).expect("serialize");
        assert_eq!(json, format!("\"{EMPTY}\""));
        let upper = format!("\"{}\"", EMPTY.to_uppercase());
        for text in [json.as_str(), upper.as_str()] {
            let back: Sha256Digest = serde_json::from_str(text).expect("deserialize");
            assert_eq!(back, digest);
        }
        for bad in ["\"abc\"", "42", "null", &format!("\"sha256:{EMPTY}\"")] {
            let err = serde_json::from_str::<Sha256Digest>(bad).expect_err(bad);
            assert!(err.is_data(), "{bad}: {err}");
        }
    }
}
