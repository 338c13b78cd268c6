//! The envelope form of a `.sig` file: an OpenSSL `dgst`-style first line followed by the
//! PEM signing certificate and its intermediates.

use rustls_pki_types::pem::{PemObject as _, SectionKind};

use crate::error::CatalogError;

use super::certificate::Certificate;
use super::keys::{KeyProblem, KeyType, Scheme};
use super::{
    DigestAlgorithm, SignatureAlgorithm, SignatureForm, TrustStore, VerifiedSignature, chain,
    malformed, pem_encode, pem_error,
};

/// Most certificates an envelope may carry.
const MAX_CERTIFICATES: usize = 16;

/// Key prefixes OpenSSL puts before the digest name (`RSA-SHA2-256`, `EC-SHA256`).
const KEY_PREFIXES: [&str; 5] = ["RSA-PSS-", "RSA-", "ECDSA-", "EC-", "ED25519-"];

/// Whether the first line is `LABEL(<file>)= <hex>`: letters, digits and `-` before the
/// parenthesis and only hex digits after `)= `.
pub(crate) fn looks_like_envelope(bytes: &[u8]) -> bool {
    let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Some(open) = line.iter().position(|&b| b == b'(') else {
        return false;
    };
    let Some(close) = line.windows(2).rposition(|pair| pair == b")=") else {
        return false;
    };
    open > 0
        && close > open
        && line[..open]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && line[close + 2..]
            .iter()
            .all(|b| b.is_ascii_hexdigit() || *b == b' ')
}

/// A parsed envelope.
pub(crate) struct Envelope {
    digest: DigestAlgorithm,
    file_name: String,
    signature: Vec<u8>,
    /// The signing certificate first, then the others in file order.
    certificates: Vec<Certificate>,
}

impl Envelope {
    /// Parses an envelope whose first line [`looks_like_envelope`].
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, CatalogError> {
        let text = std::str::from_utf8(bytes).map_err(|_| malformed("it is not UTF-8 text"))?;
        let (line, rest) = text.split_once('\n').unwrap_or((text, ""));
        let line = line.strip_suffix('\r').unwrap_or(line);
        let (open, close) = match (line.find('('), line.rfind(")=")) {
            (Some(open), Some(close)) if close > open => (open, close),
            _ => return Err(malformed("the first line is not `SHA256(<file>)= <hex>`")),
        };
        let label = &line[..open];
        let digest = digest_of_label(label)?;
        let hex_text = line[close + 2..].trim();
        let signature = hex::decode(hex_text).map_err(|err| {
            malformed(format!("the signature on the first line is not hex: {err}"))
        })?;
        if signature.is_empty() {
            return Err(malformed("the first line has no signature"));
        }
        let certificates = read_certificates(rest)?;
        Ok(Self {
            digest,
            file_name: line[open + 1..close].to_owned(),
            signature,
            certificates,
        })
    }

    /// Verifies the envelope over `catalog` at `now` (Unix seconds).
    pub(crate) fn verify(
        &self,
        trust: &TrustStore,
        catalog: &[u8],
        now: i64,
    ) -> Result<VerifiedSignature, CatalogError> {
        let Some((leaf, pool)) = self.certificates.split_first() else {
            return Err(malformed("no signing certificate after the first line"));
        };
        let key = leaf.key.as_ref().map_err(|problem| match problem {
            KeyProblem::Malformed(reason) => CatalogError::CertificateInvalid {
                subject: leaf.subject.clone(),
                reason: reason.clone(),
            },
            other => CatalogError::UnsupportedAlgorithm {
                reason: format!("signing certificate {:?}: {other}", leaf.subject),
            },
        })?;
        if !key.fits(&self.signature) {
            return Err(malformed(format!(
                "the {}-byte signature cannot be an {} signature (truncated or garbled?)",
                self.signature.len(),
                key.key_type()
            )));
        }
        let schemes = match key.key_type() {
            KeyType::Rsa { .. } => vec![Scheme::RsaPkcs1(self.digest), Scheme::RsaPss(self.digest)],
            KeyType::EcdsaP256 | KeyType::EcdsaP384 => vec![Scheme::Ecdsa(self.digest)],
            KeyType::Ed25519 if self.digest == DigestAlgorithm::Sha512 => vec![Scheme::Ed25519],
            KeyType::Ed25519 => {
                return Err(CatalogError::UnsupportedAlgorithm {
                    reason: format!(
                        "Ed25519 signs with SHA-512, but the first line names {}: write SHA512(<file>)=",
                        self.digest
                    ),
                });
            }
        };
        if trust.certificates().is_empty() {
            return Err(CatalogError::SignerUntrusted {
                reason: format!(
                    "the signature is by certificate {:?}, but no CA certificates are trusted",
                    leaf.subject
                ),
            });
        }
        let chain_length = chain::validate(leaf, pool, trust.certificates(), now)?;
        let scheme = schemes
            .into_iter()
            .find(|scheme| key.verify(*scheme, catalog, &self.signature))
            .ok_or_else(|| CatalogError::SignatureMismatch {
                signer: leaf.subject.clone(),
            })?;
        Ok(VerifiedSignature {
            form: SignatureForm::Envelope {
                file_name: self.file_name.clone(),
                chain_length,
            },
            algorithm: SignatureAlgorithm::new(key.key_type(), scheme),
            signer: leaf.subject.clone(),
        })
    }
}

/// The digest named by a first-line label such as `SHA256` or `RSA-SHA2-256`.
fn digest_of_label(label: &str) -> Result<DigestAlgorithm, CatalogError> {
    let upper = label.to_ascii_uppercase();
    let name = KEY_PREFIXES
        .iter()
        .find_map(|prefix| upper.strip_prefix(prefix))
        .unwrap_or(&upper);
    DigestAlgorithm::from_name(name).ok_or_else(|| CatalogError::UnsupportedAlgorithm {
        reason: format!("digest {label:?}: sign with SHA256, SHA384 or SHA512"),
    })
}

/// Reads the PEM certificates after the first line; nothing else may be there.
fn read_certificates(pem: &str) -> Result<Vec<Certificate>, CatalogError> {
    let mut certificates = Vec::new();
    for section in <(SectionKind, Vec<u8>)>::pem_slice_iter(pem.as_bytes()) {
        let (kind, der) = section.map_err(|err| malformed(pem_error(&err)))?;
        if kind != SectionKind::Certificate {
            return Err(malformed(format!(
                "it contains a {kind:?} block; only certificates may follow the first line"
            )));
        }
        if certificates.len() == MAX_CERTIFICATES {
            return Err(malformed(format!(
                "more than {MAX_CERTIFICATES} certificates"
            )));
        }
        let cert = Certificate::from_der(&der).map_err(|err| {
            malformed(format!(
                "certificate {} is garbled: {err}",
                certificates.len() + 1
            ))
        })?;
        certificates.push(cert);
    }
    if certificates.is_empty() {
        return Err(malformed(
            "no signing certificate after the first line (truncated?)",
        ));
    }
    Ok(certificates)
}

/// Writes an envelope.
pub(crate) fn format(
    digest: DigestAlgorithm,
    file_name: &str,
    signature: &[u8],
    certificates: &[Vec<u8>],
) -> String {
    let mut out = format!(
        "{}({file_name})= {}\n",
        digest.label(),
        hex::encode(signature)
    );
    for der in certificates {
        out.push_str(&pem_encode("CERTIFICATE", der));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_openssl_first_lines() {
        assert!(looks_like_envelope(b"SHA256(cat.json)= 0a1b\n-----BEGIN"));
        assert!(looks_like_envelope(b"RSA-SHA2-256(a (b).json)= 0a1b\r\n"));
        assert!(!looks_like_envelope(b"SHA256(cat.json)= xyz\n"));
        assert!(!looks_like_envelope(b"(cat.json)= 0a\n"));
        assert!(!looks_like_envelope(b"-----BEGIN CERTIFICATE-----\n"));
        assert!(!looks_like_envelope(b"AAAA+/==\n"));
    }

    #[test]
    fn labels_name_the_digest() {
        assert_eq!(digest_of_label("SHA256"), Ok(DigestAlgorithm::Sha256));
        assert_eq!(digest_of_label("RSA-SHA2-384"), Ok(DigestAlgorithm::Sha384));
        assert_eq!(digest_of_label("ec-sha512"), Ok(DigestAlgorithm::Sha512));
        let err = digest_of_label("RSA-SHA1").expect_err("sha1");
        assert_eq!(
            err.code(),
            "PRODUCT_VERSION_CATALOG_SIGNATURE_ALGORITHM_UNSUPPORTED"
        );
    }

    #[test]
    fn first_line_problems_are_malformed() {
        for bad in [
            &b"SHA256(x)= abc\n"[..],
            b"SHA256(x)= \n",
            b"SHA256(x)= 00ff\n",
            b"SHA256(x)= 00ff\n-----BEGIN CERTIFICATE-----\nAAAA\n",
            b"SHA256(x)= 00ff\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            let err = Envelope::parse(bad).err().expect("malformed");
            assert_eq!(
                err.code(),
                "PRODUCT_VERSION_CATALOG_SIGNATURE_MALFORMED",
                "{err}"
            );
        }
    }
}
