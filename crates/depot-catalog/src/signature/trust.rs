//! [`TrustStore`]: the CA certificates and public keys catalog signatures must lead to.

use std::fmt;

use rustls_pki_types::pem::{PemObject as _, SectionKind};

use crate::error::CatalogError;

use super::certificate::Certificate;
use super::keys::{KeyProblem, PublicKey};
use super::pem_error;

/// The trust anchors for catalog signatures, built from PEM text.
///
/// - `CERTIFICATE` blocks are CA certificates: envelope signatures must chain to one (a
///   non-CA certificate is only trusted as the signing certificate itself).
/// - `PUBLIC KEY` blocks (SubjectPublicKeyInfo) are keys that bare signatures are checked
///   against.
///
/// Keys must be RSA of 2048 to 8192 bits, ECDSA P-256/P-384 or Ed25519; anything else is
/// refused when the store is built, not when a signature is checked.
#[derive(Clone, Default)]
pub struct TrustStore {
    certificates: Vec<Certificate>,
    keys: Vec<PublicKey>,
    blobs: usize,
}

impl fmt::Debug for TrustStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustStore")
            .field(
                "certificates",
                &self
                    .certificates
                    .iter()
                    .map(|c| &c.subject)
                    .collect::<Vec<_>>(),
            )
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl TrustStore {
    /// An empty store (trusts nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// A store with the anchors of every PEM blob (e.g. the contents of several files).
    pub fn from_pem<'a>(blobs: impl IntoIterator<Item = &'a [u8]>) -> Result<Self, CatalogError> {
        let mut store = Self::new();
        for blob in blobs {
            store.add_pem(blob)?;
        }
        Ok(store)
    }

    /// Adds every certificate and public key of one PEM blob; returns how many.
    ///
    /// Fails, adding nothing, if the blob has no certificate or public key, contains a
    /// private key, or has a malformed or unsupported entry.
    pub fn add_pem(&mut self, pem: &[u8]) -> Result<usize, CatalogError> {
        let source_index = self.blobs;
        let invalid = |reason: String| CatalogError::TrustAnchorInvalid {
            source_index,
            reason,
        };
        let mut certificates = Vec::new();
        let mut keys = Vec::new();
        for (item, section) in <(SectionKind, Vec<u8>)>::pem_slice_iter(pem).enumerate() {
            let (kind, der) = section.map_err(|err| invalid(pem_error(&err)))?;
            let item = item + 1;
            match kind {
                SectionKind::Certificate => {
                    let cert = Certificate::from_der(&der)
                        .map_err(|err| invalid(format!("certificate {item}: {err}")))?;
                    if let Err(problem) = &cert.key {
                        return Err(key_error(source_index, &cert.subject, problem));
                    }
                    certificates.push(cert);
                }
                SectionKind::PublicKey => {
                    let key = PublicKey::from_spki_der(&der).map_err(|problem| {
                        key_error(source_index, &format!("public key {item}"), &problem)
                    })?;
                    keys.push(key);
                }
                SectionKind::PrivateKey
                | SectionKind::RsaPrivateKey
                | SectionKind::EcPrivateKey => {
                    return Err(invalid(
                        "contains a private key: configure only certificates or public keys, \
                         and keep the private key secret"
                            .to_owned(),
                    ));
                }
                other => {
                    return Err(invalid(format!(
                        "item {item} is a {other:?}: expected CERTIFICATE or PUBLIC KEY"
                    )));
                }
            }
        }
        let added = certificates.len() + keys.len();
        if added == 0 {
            return Err(invalid(no_items_hint(pem)));
        }
        self.certificates.extend(certificates);
        self.keys.extend(keys);
        self.blobs += 1;
        Ok(added)
    }

    /// Number of trusted certificates.
    pub fn certificate_count(&self) -> usize {
        self.certificates.len()
    }

    /// Number of trusted bare public keys.
    pub fn public_key_count(&self) -> usize {
        self.keys.len()
    }

    /// Whether the store trusts nothing.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty() && self.keys.is_empty()
    }

    pub(crate) fn certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    pub(crate) fn keys(&self) -> &[PublicKey] {
        &self.keys
    }
}

fn key_error(source_index: usize, what: &str, problem: &KeyProblem) -> CatalogError {
    CatalogError::TrustAnchorKeyRejected {
        source_index,
        reason: format!("{what}: {problem}"),
    }
}

/// Explains an empty result, naming the PEM forms people commonly have instead.
fn no_items_hint(pem: &[u8]) -> String {
    let text = String::from_utf8_lossy(pem);
    if text.contains("-----BEGIN RSA PUBLIC KEY-----") {
        "PKCS#1 `RSA PUBLIC KEY` blocks are not supported: convert with \
         `openssl rsa -RSAPublicKey_in -pubout`"
            .to_owned()
    } else if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        "contains an encrypted private key: configure only certificates or public keys".to_owned()
    } else {
        "no CERTIFICATE or PUBLIC KEY PEM block found".to_owned()
    }
}
