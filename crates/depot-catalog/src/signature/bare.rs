//! The bare form of a `.sig` file: a detached signature in binary, base64 or hex, checked
//! against the trusted public keys.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::error::CatalogError;

use super::keys::{KeyType, PublicKey, Scheme, ecdsa_der_ok};
use super::{
    BareEncoding, DigestAlgorithm, SignatureAlgorithm, SignatureForm, TrustStore,
    VerifiedSignature, malformed,
};

/// Standard base64 that accepts input with or without padding.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Detects the encoding and decodes the signature bytes.
pub(crate) fn decode(bytes: &[u8]) -> Result<(Vec<u8>, BareEncoding), CatalogError> {
    let is_text = bytes
        .iter()
        .all(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace());
    if !is_text {
        return Ok((bytes.to_vec(), BareEncoding::Binary));
    }
    let compact: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if compact.is_empty() {
        return Err(malformed("the file is empty"));
    }
    if compact.iter().all(u8::is_ascii_hexdigit) {
        let decoded =
            hex::decode(&compact).map_err(|err| malformed(format!("bad hex signature: {err}")))?;
        return Ok((decoded, BareEncoding::Hex));
    }
    let base64_alphabet = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=');
    if compact.iter().all(base64_alphabet) {
        let decoded = BASE64
            .decode(&compact)
            .map_err(|err| malformed(format!("bad base64 signature: {err}")))?;
        return Ok((decoded, BareEncoding::Base64));
    }
    Err(malformed(
        "it is neither an envelope (first line `SHA256(<file>)= <hex>`) nor a hex, base64 or \
         binary signature",
    ))
}

/// Verifies a bare signature against every trusted public key that could have made it.
pub(crate) fn verify(
    trust: &TrustStore,
    catalog: &[u8],
    signature: &[u8],
    encoding: BareEncoding,
) -> Result<VerifiedSignature, CatalogError> {
    if !plausible(signature) {
        return Err(malformed(format!(
            "{} bytes is not the size of an RSA, ECDSA or Ed25519 signature (truncated?)",
            signature.len()
        )));
    }
    if trust.keys().is_empty() {
        return Err(CatalogError::SignerUntrusted {
            reason: "the .sig file is a bare signature, but no public keys are trusted".to_owned(),
        });
    }
    let candidates: Vec<&PublicKey> = trust.keys().iter().filter(|k| k.fits(signature)).collect();
    if candidates.is_empty() {
        let trusted: Vec<String> = trust.keys().iter().map(ToString::to_string).collect();
        return Err(CatalogError::SignerUntrusted {
            reason: format!(
                "none of the trusted keys ({}) makes {}-byte signatures like this one",
                trusted.join(", "),
                signature.len()
            ),
        });
    }
    for key in &candidates {
        for scheme in schemes(key.key_type()) {
            if key.verify(scheme, catalog, signature) {
                return Ok(VerifiedSignature {
                    form: SignatureForm::Bare { encoding },
                    algorithm: SignatureAlgorithm::new(key.key_type(), scheme),
                    signer: key.to_string(),
                });
            }
        }
    }
    Err(CatalogError::NoTrustedKeyMatches {
        tried: candidates.len(),
    })
}

/// The schemes a bare signature by a key of `key_type` may use.
fn schemes(key_type: KeyType) -> Vec<Scheme> {
    match key_type {
        KeyType::Rsa { .. } => vec![
            Scheme::RsaPkcs1(DigestAlgorithm::Sha256),
            Scheme::RsaPss(DigestAlgorithm::Sha256),
        ],
        KeyType::EcdsaP256 => vec![Scheme::Ecdsa(DigestAlgorithm::Sha256)],
        KeyType::EcdsaP384 => vec![Scheme::Ecdsa(DigestAlgorithm::Sha384)],
        KeyType::Ed25519 => vec![Scheme::Ed25519],
    }
}

/// Whether `signature` could be a signature of any supported key at all (Ed25519: 64
/// bytes; ECDSA: DER; RSA 2048–8192: 256–1024 bytes).
fn plausible(signature: &[u8]) -> bool {
    signature.len() == 64 || ecdsa_der_ok(signature, 66) || (256..=1024).contains(&signature.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_encodings() {
        let raw = [0x00, 0xff, 0x10, 0x80];
        assert_eq!(
            decode(&raw).ok(),
            Some((raw.to_vec(), BareEncoding::Binary))
        );
        assert_eq!(
            decode(b"00ff1080\n").ok(),
            Some((raw.to_vec(), BareEncoding::Hex))
        );
        assert_eq!(
            decode(b"AP8QgA==\n").ok(),
            Some((raw.to_vec(), BareEncoding::Base64))
        );
        assert_eq!(
            decode(b"AP8Q\ngA").ok(),
            Some((raw.to_vec(), BareEncoding::Base64))
        );
    }

    #[test]
    fn garbage_text_is_malformed() {
        for bad in [&b""[..], b"  \n", b"not a signature!", b"0ff", b"A==A"] {
            let err = decode(bad).expect_err("malformed");
            assert_eq!(err.code(), "PRODUCT_VERSION_CATALOG_SIGNATURE_MALFORMED");
        }
    }

    #[test]
    fn implausible_sizes_are_malformed() {
        let err = verify(&TrustStore::new(), b"", &[1u8; 100], BareEncoding::Binary)
            .expect_err("malformed");
        assert_eq!(err.code(), "PRODUCT_VERSION_CATALOG_SIGNATURE_MALFORMED");
        let err =
            verify(&TrustStore::new(), b"", &[1u8; 64], BareEncoding::Binary).expect_err("no keys");
        assert_eq!(err.code(), "PRODUCT_VERSION_CATALOG_SIGNER_UNTRUSTED");
    }
}
