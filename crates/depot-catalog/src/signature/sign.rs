//! Creating a `.sig` file: [`sign_catalog`].

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
    KeyPair as _, RSA_PKCS1_SHA256, RSA_PKCS1_SHA384, RSA_PKCS1_SHA512, RsaKeyPair,
};
use base64::Engine as _;
use rustls_pki_types::pem::{PemObject as _, SectionKind};

use crate::error::CatalogError;

use super::certificate::Certificate;
use super::keys::{KeyType, MIN_RSA_BITS};
use super::{DigestAlgorithm, envelope, pem_error};

/// Signs the exact `catalog` bytes.
///
/// - `private_key_pem`: an unencrypted PKCS#8 `PRIVATE KEY` (RSA of 2048 bits or more,
///   ECDSA P-256 or P-384, Ed25519); a PKCS#1 `RSA PRIVATE KEY` is accepted too.
/// - `certificate_chain_pem`: the certificate of that key, then its intermediates. With it
///   the result is an envelope (`SHA256(<file_name>)= <hex>` plus the PEM chain); without
///   it, a bare base64 signature and a newline (`file_name` is then unused).
/// - `digest`: `None` picks the key's natural digest (SHA-256 for RSA and P-256, SHA-384
///   for P-384, SHA-512 for Ed25519). RSA envelopes may use any of the three; ECDSA and
///   Ed25519 only their natural one; bare signatures only the natural one (their reader
///   has no line naming the digest).
///
/// The certificate's public key must be the private key's; the chain is not validated
/// (the verifier does that against its own trust store).
pub fn sign_catalog(
    catalog: &[u8],
    file_name: &str,
    private_key_pem: &[u8],
    certificate_chain_pem: Option<&[u8]>,
    digest: Option<DigestAlgorithm>,
) -> Result<String, CatalogError> {
    let key = SigningKey::from_pem(private_key_pem)?;
    let natural = key.natural_digest();
    let digest = digest.unwrap_or(natural);
    let rsa = matches!(key, SigningKey::Rsa(_));
    if digest != natural && (!rsa || certificate_chain_pem.is_none()) {
        return Err(CatalogError::SigningInputInvalid {
            reason: format!(
                "a {} key signs {} with {natural} only; omit the digest or pass {natural}",
                key.key_type(),
                if certificate_chain_pem.is_some() {
                    "envelopes"
                } else {
                    "bare signatures"
                },
            ),
        });
    }
    let Some(chain_pem) = certificate_chain_pem else {
        let signature = key.sign(digest, catalog)?;
        return Ok(format!(
            "{}\n",
            base64::engine::general_purpose::STANDARD.encode(signature)
        ));
    };
    if file_name.is_empty() || file_name.chars().any(char::is_control) {
        return Err(CatalogError::SigningInputInvalid {
            reason: "the file name must be non-empty and on one line".to_owned(),
        });
    }
    let chain = read_chain(chain_pem)?;
    let leaf = Certificate::from_der(&chain[0]).map_err(|err| {
        CatalogError::SigningCertificateInvalid {
            reason: format!("the first certificate is garbled: {err}"),
        }
    })?;
    if !leaf.key.as_ref().is_ok_and(|k| k.raw() == key.public_key()) {
        return Err(CatalogError::SigningCertificateInvalid {
            reason: format!(
                "the first certificate ({:?}) is not the certificate of this private key",
                leaf.subject
            ),
        });
    }
    let signature = key.sign(digest, catalog)?;
    Ok(envelope::format(digest, file_name, &signature, &chain))
}

/// The DER certificates of a PEM chain; only certificates, at least one.
fn read_chain(pem: &[u8]) -> Result<Vec<Vec<u8>>, CatalogError> {
    let invalid = |reason: String| CatalogError::SigningCertificateInvalid { reason };
    let mut chain = Vec::new();
    for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(pem) {
        let (kind, der) = section.map_err(|err| invalid(pem_error(&err)))?;
        if kind != SectionKind::Certificate {
            return Err(invalid(format!(
                "the chain contains a {kind:?} block; pass only certificates"
            )));
        }
        chain.push(der);
    }
    if chain.is_empty() {
        return Err(invalid("no CERTIFICATE PEM block found".to_owned()));
    }
    Ok(chain)
}

/// A private key that can sign.
enum SigningKey {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair, KeyType),
    Ed25519(Ed25519KeyPair),
}

impl SigningKey {
    /// Reads the first private key of a PEM blob.
    fn from_pem(pem: &[u8]) -> Result<Self, CatalogError> {
        let invalid = |reason: String| CatalogError::SigningKeyInvalid { reason };
        for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(pem) {
            let (kind, der) = section.map_err(|err| invalid(pem_error(&err)))?;
            match kind {
                SectionKind::PrivateKey => return Self::from_pkcs8(&der),
                SectionKind::RsaPrivateKey => {
                    let key = RsaKeyPair::from_der(&der)
                        .map_err(|err| invalid(format!("RSA key: {}", err.description_())))?;
                    return Self::rsa(key);
                }
                SectionKind::EcPrivateKey => {
                    return Err(invalid(
                        "SEC1 `EC PRIVATE KEY` is not supported: convert it with \
                         `openssl pkcs8 -topk8 -nocrypt`"
                            .to_owned(),
                    ));
                }
                _ => {}
            }
        }
        let text = String::from_utf8_lossy(pem);
        Err(invalid(if text.contains("ENCRYPTED PRIVATE KEY") {
            "the private key is encrypted: decrypt it first".to_owned()
        } else {
            "no PRIVATE KEY PEM block found".to_owned()
        }))
    }

    fn from_pkcs8(der: &[u8]) -> Result<Self, CatalogError> {
        let rsa_error = match RsaKeyPair::from_pkcs8(der) {
            Ok(key) => return Self::rsa(key),
            Err(err) => err.description_(),
        };
        for (alg, key_type) in [
            (&ECDSA_P256_SHA256_ASN1_SIGNING, KeyType::EcdsaP256),
            (&ECDSA_P384_SHA384_ASN1_SIGNING, KeyType::EcdsaP384),
        ] {
            if let Ok(key) = EcdsaKeyPair::from_pkcs8(alg, der) {
                return Ok(Self::Ecdsa(key, key_type));
            }
        }
        if let Ok(key) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
            return Ok(Self::Ed25519(key));
        }
        Err(CatalogError::SigningKeyInvalid {
            reason: format!(
                "not an RSA (2048 bits or more), ECDSA P-256/P-384 or Ed25519 PKCS#8 key \
                 (as RSA: {rsa_error})"
            ),
        })
    }

    fn rsa(key: RsaKeyPair) -> Result<Self, CatalogError> {
        let bits = key.public_modulus_len() * 8;
        if bits < MIN_RSA_BITS {
            return Err(CatalogError::SigningKeyInvalid {
                reason: format!("RSA key of {bits} bits: at least {MIN_RSA_BITS} are required"),
            });
        }
        Ok(Self::Rsa(key))
    }

    fn key_type(&self) -> KeyType {
        match self {
            Self::Rsa(key) => KeyType::Rsa {
                bits: key.public_modulus_len() * 8,
            },
            Self::Ecdsa(_, key_type) => *key_type,
            Self::Ed25519(_) => KeyType::Ed25519,
        }
    }

    fn natural_digest(&self) -> DigestAlgorithm {
        match self.key_type() {
            KeyType::Rsa { .. } | KeyType::EcdsaP256 => DigestAlgorithm::Sha256,
            KeyType::EcdsaP384 => DigestAlgorithm::Sha384,
            KeyType::Ed25519 => DigestAlgorithm::Sha512,
        }
    }

    /// The public key as it appears in a certificate's subjectPublicKey bits.
    fn public_key(&self) -> &[u8] {
        match self {
            Self::Rsa(key) => key.public_key().as_ref(),
            Self::Ecdsa(key, _) => key.public_key().as_ref(),
            Self::Ed25519(key) => key.public_key().as_ref(),
        }
    }

    fn sign(&self, digest: DigestAlgorithm, message: &[u8]) -> Result<Vec<u8>, CatalogError> {
        let rng = SystemRandom::new();
        match self {
            Self::Rsa(key) => {
                let padding = match digest {
                    DigestAlgorithm::Sha256 => &RSA_PKCS1_SHA256,
                    DigestAlgorithm::Sha384 => &RSA_PKCS1_SHA384,
                    DigestAlgorithm::Sha512 => &RSA_PKCS1_SHA512,
                };
                let mut signature = vec![0; key.public_modulus_len()];
                key.sign(padding, &rng, message, &mut signature)
                    .map_err(|_| CatalogError::SigningFailed)?;
                Ok(signature)
            }
            Self::Ecdsa(key, _) => key
                .sign(&rng, message)
                .map(|signature| signature.as_ref().to_vec())
                .map_err(|_| CatalogError::SigningFailed),
            Self::Ed25519(key) => Ok(key.sign(message).as_ref().to_vec()),
        }
    }
}
