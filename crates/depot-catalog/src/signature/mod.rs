//! Catalog signatures: verifying a `.sig` file over the exact catalog bytes
//! ([`verify_signature`]) and creating one ([`sign_catalog`]).
//!
//! Two forms of `.sig` file are understood, told apart by their first line:
//!
//! - **Envelope**: `SHA256(<file name>)= <hex signature>` (OpenSSL `dgst` style; `SHA384`,
//!   `SHA512`, OpenSSL 3's `SHA2-256` and key prefixes such as `RSA-SHA2-256` are accepted),
//!   followed by the PEM signing certificate and any intermediates. The chain must reach a
//!   trusted CA certificate, or the signing certificate must be trusted itself; it is
//!   validated with rustls-webpki (see `chain`): the signing certificate is not a CA, at
//!   most 6 intermediates, no unknown critical extension, and an X.509 v1 signing
//!   certificate only directly under a trusted CA. The algorithm follows the leaf key: RSA PKCS#1 v1.5 (or PSS with
//!   salt length = digest length) with the named digest, ECDSA with an ASN.1 DER signature
//!   and the named digest, or Ed25519, for which the line must name `SHA512` (the hash
//!   Ed25519 uses internally). The file name on the line is reported, not checked.
//! - **Bare**: a detached signature, binary, base64 or hex (detected: text of only hex
//!   digits is hex, other base64-alphabet text is base64, anything else binary), checked
//!   against each trusted public key: RSA PKCS#1 v1.5 (or PSS) with SHA-256, ECDSA P-256
//!   with SHA-256, ECDSA P-384 with SHA-384, Ed25519.

mod bare;
mod certificate;
mod chain;
mod envelope;
mod keys;
mod sign;
mod trust;

use std::fmt;
use std::str::FromStr;

use depot_model::Timestamp;

use crate::error::CatalogError;

pub use self::keys::KeyType;
pub use self::sign::sign_catalog;
pub use self::trust::TrustStore;

/// The digest of a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestAlgorithm {
    /// The name written on an envelope's first line (`SHA256`, …).
    pub fn label(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA256",
            Self::Sha384 => "SHA384",
            Self::Sha512 => "SHA512",
        }
    }

    /// Reads `SHA256`, `SHA-256` or `SHA2-256` (any case), and likewise for 384 and 512.
    fn from_name(name: &str) -> Option<Self> {
        let upper = name.to_ascii_uppercase();
        let bits = upper
            .strip_prefix("SHA2-")
            .or_else(|| upper.strip_prefix("SHA-"))
            .or_else(|| upper.strip_prefix("SHA"))?;
        match bits {
            "256" => Some(Self::Sha256),
            "384" => Some(Self::Sha384),
            "512" => Some(Self::Sha512),
            _ => None,
        }
    }
}

impl FromStr for DigestAlgorithm {
    type Err = CatalogError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::from_name(name).ok_or_else(|| CatalogError::InvalidValue {
            what: "digest",
            reason: format!("{name:?} is not sha256, sha384 or sha512"),
        })
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The algorithm a verified signature used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// RSA PKCS#1 v1.5.
    RsaPkcs1 {
        /// Modulus size in bits.
        bits: usize,
        /// Digest.
        digest: DigestAlgorithm,
    },
    /// RSA-PSS.
    RsaPss {
        /// Modulus size in bits.
        bits: usize,
        /// Digest (also the MGF1 digest; salt length = digest length).
        digest: DigestAlgorithm,
    },
    /// ECDSA with an ASN.1 DER signature.
    Ecdsa {
        /// [`KeyType::EcdsaP256`] or [`KeyType::EcdsaP384`].
        curve: KeyType,
        /// Digest.
        digest: DigestAlgorithm,
    },
    /// Ed25519.
    Ed25519,
}

impl SignatureAlgorithm {
    fn new(key_type: KeyType, scheme: keys::Scheme) -> Self {
        match (key_type, scheme) {
            (KeyType::Rsa { bits }, keys::Scheme::RsaPss(digest)) => Self::RsaPss { bits, digest },
            (KeyType::Rsa { bits }, keys::Scheme::RsaPkcs1(digest)) => {
                Self::RsaPkcs1 { bits, digest }
            }
            (curve, keys::Scheme::Ecdsa(digest)) => Self::Ecdsa { curve, digest },
            (_, _) => Self::Ed25519,
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RsaPkcs1 { bits, digest } => write!(f, "RSA-{bits} PKCS#1 v1.5 {digest}"),
            Self::RsaPss { bits, digest } => write!(f, "RSA-{bits} PSS {digest}"),
            Self::Ecdsa { curve, digest } => write!(f, "{curve} {digest}"),
            Self::Ed25519 => f.write_str("Ed25519"),
        }
    }
}

/// How a bare signature was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BareEncoding {
    /// Raw signature bytes.
    Binary,
    /// Base64 text (standard alphabet, padding optional, line breaks allowed).
    Base64,
    /// Hex text.
    Hex,
}

/// Which form the `.sig` file had.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SignatureForm {
    /// An OpenSSL-style line plus certificates.
    Envelope {
        /// The file name written on the first line.
        file_name: String,
        /// Certificates on the validated path, trust anchor included.
        chain_length: usize,
    },
    /// A detached signature checked against trusted public keys.
    Bare {
        /// How it was encoded.
        encoding: BareEncoding,
    },
}

/// The result of a successful verification.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VerifiedSignature {
    /// The `.sig` file's form.
    pub form: SignatureForm,
    /// The algorithm that verified.
    pub algorithm: SignatureAlgorithm,
    /// Who signed: the signing certificate's subject, or the trusted key's type and
    /// fingerprint.
    pub signer: String,
}

/// Verifies `signature_file` (the `.sig` file's bytes) over the exact `catalog` bytes at
/// time `now`, against `trust`.
///
/// Checks are made in this order, and the first failure is returned: the form of the
/// file ([`CatalogError::SignatureMalformed`], [`CatalogError::UnsupportedAlgorithm`]), the
/// signer ([`CatalogError::SignerUntrusted`], [`CatalogError::ChainIncomplete`]), the
/// certificates (expired, not yet valid, invalid, not a CA, key usage, path length), and
/// last the signature itself ([`CatalogError::SignatureMismatch`] /
/// [`CatalogError::NoTrustedKeyMatches`]).
pub fn verify_signature(
    trust: &TrustStore,
    catalog: &[u8],
    signature_file: &[u8],
    now: Timestamp,
) -> Result<VerifiedSignature, CatalogError> {
    let text = signature_file.trim_ascii_start();
    if envelope::looks_like_envelope(text) {
        let parsed = envelope::Envelope::parse(text)?;
        return parsed.verify(trust, catalog, now.timestamp());
    }
    if text.starts_with(b"-----BEGIN") {
        return Err(malformed(
            "it starts with PEM but lacks the `SHA256(<file>)= <hex signature>` first line",
        ));
    }
    let (signature, encoding) = bare::decode(signature_file)?;
    bare::verify(trust, catalog, &signature, encoding)
}

/// A [`CatalogError::SignatureMalformed`].
fn malformed(reason: impl Into<String>) -> CatalogError {
    CatalogError::SignatureMalformed {
        reason: reason.into(),
    }
}

/// Describes a PEM reading error without dumping bytes.
fn pem_error(err: &rustls_pki_types::pem::Error) -> String {
    use rustls_pki_types::pem::Error;
    match err {
        Error::MissingSectionEnd { .. } => "a PEM block has no END line (truncated?)".to_owned(),
        Error::IllegalSectionStart { .. } => "a PEM BEGIN line is garbled".to_owned(),
        Error::Base64Decode(_) => "a PEM block is not valid base64 (garbled?)".to_owned(),
        other => other.to_string(),
    }
}

/// PEM text of one DER item, 64 base64 characters per line.
fn pem_encode(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    let mut start = 0;
    while start < encoded.len() {
        let end = (start + 64).min(encoded.len());
        // Base64 is ASCII, so every byte index is a character boundary.
        out.push_str(&encoded[start..end]);
        out.push('\n');
        start = end;
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_names() {
        for (name, digest) in [
            ("SHA256", DigestAlgorithm::Sha256),
            ("sha-384", DigestAlgorithm::Sha384),
            ("SHA2-512", DigestAlgorithm::Sha512),
        ] {
            assert_eq!(name.parse::<DigestAlgorithm>(), Ok(digest));
        }
        for bad in ["SHA1", "MD5", "SHA3-256", ""] {
            assert!(bad.parse::<DigestAlgorithm>().is_err(), "{bad}");
        }
    }

    #[test]
    fn pem_lines_are_64_characters() {
        let pem = pem_encode("CERTIFICATE", &[7u8; 100]);
        let lines: Vec<&str> = pem.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines.last().copied(), Some("-----END CERTIFICATE-----"));
    }
}
