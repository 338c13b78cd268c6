//! Public keys and the signature schemes they verify, on top of aws-lc-rs.

use std::fmt;

use aws_lc_rs::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_PKCS1_RSAENCRYPTION,
    OID_SIG_ED25519,
};
use x509_parser::prelude::FromDer as _;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::DigestAlgorithm;

/// Smallest RSA modulus accepted anywhere (bits).
pub(crate) const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus aws-lc-rs verifies (bits).
const MAX_RSA_BITS: usize = 8192;

/// The type of a supported public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// RSA with the modulus size in bits.
    Rsa {
        /// Modulus size in bits.
        bits: usize,
    },
    /// ECDSA on NIST P-256.
    EcdsaP256,
    /// ECDSA on NIST P-384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rsa { bits } => write!(f, "RSA-{bits}"),
            Self::EcdsaP256 => f.write_str("ECDSA P-256"),
            Self::EcdsaP384 => f.write_str("ECDSA P-384"),
            Self::Ed25519 => f.write_str("Ed25519"),
        }
    }
}

/// A signature scheme; together with a key it picks the aws-lc-rs algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scheme {
    RsaPkcs1(DigestAlgorithm),
    RsaPss(DigestAlgorithm),
    Ecdsa(DigestAlgorithm),
    Ed25519,
}

/// Why a key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyProblem {
    /// The key encoding is broken.
    Malformed(String),
    /// RSA below [`MIN_RSA_BITS`] (or above what can be verified).
    RsaSize(usize),
    /// Another algorithm or curve.
    Unsupported(String),
}

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(reason) => write!(f, "malformed public key: {reason}"),
            Self::RsaSize(bits) => write!(
                f,
                "RSA key of {bits} bits: only {MIN_RSA_BITS} to {MAX_RSA_BITS} bits are accepted"
            ),
            Self::Unsupported(what) => write!(
                f,
                "unsupported key type {what}: use RSA, ECDSA P-256/P-384 or Ed25519"
            ),
        }
    }
}

/// A supported public key.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PublicKey {
    key_type: KeyType,
    /// The subjectPublicKey bits: PKCS#1 RSAPublicKey, SEC1 point, or the raw Ed25519 key.
    raw: Vec<u8>,
    /// First bytes of the SHA-256 of the SubjectPublicKeyInfo, to name the key in messages.
    fingerprint: String,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} key {}", self.key_type, self.fingerprint)
    }
}

impl PublicKey {
    /// Reads a DER SubjectPublicKeyInfo (the content of a `PUBLIC KEY` PEM block).
    pub(crate) fn from_spki_der(der: &[u8]) -> Result<Self, KeyProblem> {
        match SubjectPublicKeyInfo::from_der(der) {
            Ok(([], spki)) => Self::from_spki(&spki),
            Ok(_) => Err(KeyProblem::Malformed("trailing bytes".to_owned())),
            Err(err) => Err(KeyProblem::Malformed(err.to_string())),
        }
    }

    /// Reads a parsed SubjectPublicKeyInfo.
    pub(crate) fn from_spki(spki: &SubjectPublicKeyInfo<'_>) -> Result<Self, KeyProblem> {
        let algorithm = &spki.algorithm.algorithm;
        let raw = spki.subject_public_key.data.to_vec();
        let key_type = if *algorithm == OID_PKCS1_RSAENCRYPTION {
            let bits = match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => modulus_bits(rsa.modulus),
                _ => return Err(KeyProblem::Malformed("bad RSA public key".to_owned())),
            };
            if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
                return Err(KeyProblem::RsaSize(bits));
            }
            KeyType::Rsa { bits }
        } else if *algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok());
            match curve {
                Some(oid) if oid == OID_EC_P256 => KeyType::EcdsaP256,
                Some(oid) if oid == OID_NIST_EC_P384 => KeyType::EcdsaP384,
                Some(oid) => return Err(KeyProblem::Unsupported(format!("EC curve {oid}"))),
                None => return Err(KeyProblem::Malformed("EC key without curve".to_owned())),
            }
        } else if *algorithm == OID_SIG_ED25519 {
            if raw.len() != 32 {
                return Err(KeyProblem::Malformed(
                    "Ed25519 key is not 32 bytes".to_owned(),
                ));
            }
            KeyType::Ed25519
        } else {
            return Err(KeyProblem::Unsupported(algorithm.to_id_string()));
        };
        let digest = depot_model::Sha256Digest::compute(spki.raw).to_string();
        Ok(Self {
            key_type,
            raw,
            fingerprint: format!("sha256:{}", &digest[..16]),
        })
    }

    /// The key's type.
    pub(crate) fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The subjectPublicKey bits (compare with a key pair's public key).
    pub(crate) fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// Whether `signature` has the size and encoding a signature by this key has.
    pub(crate) fn fits(&self, signature: &[u8]) -> bool {
        match self.key_type {
            KeyType::Rsa { bits } => signature.len() == bits.div_ceil(8),
            KeyType::EcdsaP256 => ecdsa_der_ok(signature, 32),
            KeyType::EcdsaP384 => ecdsa_der_ok(signature, 48),
            KeyType::Ed25519 => signature.len() == 64,
        }
    }

    /// Whether `signature` is a valid signature of `message` by this key under `scheme`.
    pub(crate) fn verify(&self, scheme: Scheme, message: &[u8], signature: &[u8]) -> bool {
        algorithm(self.key_type, scheme).is_some_and(|alg| {
            UnparsedPublicKey::new(alg, &self.raw)
                .verify(message, signature)
                .is_ok()
        })
    }
}

/// The aws-lc-rs algorithm for a key type and scheme, if they go together.
fn algorithm(key_type: KeyType, scheme: Scheme) -> Option<&'static dyn VerificationAlgorithm> {
    use DigestAlgorithm::{Sha256, Sha384, Sha512};
    Some(match (key_type, scheme) {
        (KeyType::Rsa { .. }, Scheme::RsaPkcs1(Sha256)) => &sig::RSA_PKCS1_2048_8192_SHA256,
        (KeyType::Rsa { .. }, Scheme::RsaPkcs1(Sha384)) => &sig::RSA_PKCS1_2048_8192_SHA384,
        (KeyType::Rsa { .. }, Scheme::RsaPkcs1(Sha512)) => &sig::RSA_PKCS1_2048_8192_SHA512,
        (KeyType::Rsa { .. }, Scheme::RsaPss(Sha256)) => &sig::RSA_PSS_2048_8192_SHA256,
        (KeyType::Rsa { .. }, Scheme::RsaPss(Sha384)) => &sig::RSA_PSS_2048_8192_SHA384,
        (KeyType::Rsa { .. }, Scheme::RsaPss(Sha512)) => &sig::RSA_PSS_2048_8192_SHA512,
        (KeyType::EcdsaP256, Scheme::Ecdsa(Sha256)) => &sig::ECDSA_P256_SHA256_ASN1,
        (KeyType::EcdsaP256, Scheme::Ecdsa(Sha384)) => &sig::ECDSA_P256_SHA384_ASN1,
        (KeyType::EcdsaP256, Scheme::Ecdsa(Sha512)) => &sig::ECDSA_P256_SHA512_ASN1,
        (KeyType::EcdsaP384, Scheme::Ecdsa(Sha256)) => &sig::ECDSA_P384_SHA256_ASN1,
        (KeyType::EcdsaP384, Scheme::Ecdsa(Sha384)) => &sig::ECDSA_P384_SHA384_ASN1,
        (KeyType::EcdsaP384, Scheme::Ecdsa(Sha512)) => &sig::ECDSA_P384_SHA512_ASN1,
        (KeyType::Ed25519, Scheme::Ed25519) => &sig::ED25519,
        _ => return None,
    })
}

/// Exact bit length of a big-endian DER INTEGER modulus.
fn modulus_bits(modulus: &[u8]) -> usize {
    let start = modulus
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(modulus.len());
    let modulus = &modulus[start..];
    modulus.first().map_or(0, |&top| {
        (modulus.len() - 1) * 8 + (8 - top.leading_zeros() as usize)
    })
}

/// Whether `signature` is a DER `SEQUENCE { INTEGER r, INTEGER s }` with integers of at
/// most `coordinate_len + 1` bytes and nothing after it.
pub(crate) fn ecdsa_der_ok(signature: &[u8], coordinate_len: usize) -> bool {
    let integer_ok = |value: &[u8]| !value.is_empty() && value.len() <= coordinate_len + 1;
    let Some((body, [])) = der_element(signature, 0x30) else {
        return false;
    };
    let Some((r, rest)) = der_element(body, 0x02) else {
        return false;
    };
    let Some((s, [])) = der_element(rest, 0x02) else {
        return false;
    };
    integer_ok(r) && integer_ok(s)
}

/// Splits one DER element with `tag` (lengths below 256) off `input`: (content, rest).
fn der_element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = input.split_first()?;
    if found != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81 => {
            let (&len, rest) = rest.split_first()?;
            (len >= 0x80).then_some((usize::from(len), rest))?
        }
        _ => return None,
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulus_bits_are_exact() {
        assert_eq!(modulus_bits(&[0x00, 0x80, 0, 0]), 24);
        assert_eq!(modulus_bits(&[0x7f, 0]), 15);
        assert_eq!(modulus_bits(&[0, 0]), 0);
    }

    #[test]
    fn ecdsa_der_shape() {
        let good = [0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07];
        assert!(ecdsa_der_ok(&good, 32));
        assert!(!ecdsa_der_ok(&good[..7], 32), "truncated");
        let mut trailing = good.to_vec();
        trailing.push(0);
        assert!(!ecdsa_der_ok(&trailing, 32), "trailing byte");
        assert!(!ecdsa_der_ok(&[0x30, 0x00], 32), "no integers");
        let mut long = vec![0x30, 0x81, 0x84, 0x02, 0x40];
        long.extend([1u8; 0x40]);
        long.extend([0x02, 0x40]);
        long.extend([1u8; 0x40]);
        assert!(!ecdsa_der_ok(&long, 32), "integers too long for P-256");
        assert!(ecdsa_der_ok(&long, 66), "fits P-521 sizes");
    }

    #[test]
    fn schemes_pair_with_matching_keys_only() {
        assert!(algorithm(KeyType::Ed25519, Scheme::Ecdsa(DigestAlgorithm::Sha256)).is_none());
        assert!(algorithm(KeyType::Rsa { bits: 2048 }, Scheme::Ed25519).is_none());
        assert!(algorithm(KeyType::EcdsaP384, Scheme::Ecdsa(DigestAlgorithm::Sha512)).is_some());
    }
}
