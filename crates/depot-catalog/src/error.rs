//! The crate's single error type, [`CatalogError`]: each variant has a stable
//! [`code`](CatalogError::code), a coarse [`kind`](CatalogError::kind) and a
//! [`remediation`](CatalogError::remediation) that tells the operator what to fix.

use depot_model::ErrorKind;

use crate::path::JsonPath;

/// Everything that can go wrong while parsing, merging, verifying or signing a catalog.
///
/// The `Display` text says what is wrong (and where); [`CatalogError::remediation`] says what
/// to do about it. API crates put [`CatalogError::code`] in the `errorCode` of the SDDC
/// Manager error body and never match on the message text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// The file is not UTF-8 JSON: a syntax error, an early end of input, or bad bytes.
    #[error("the catalog is not valid JSON: {reason} at line {line} column {column}")]
    InvalidJson {
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column (in bytes) of the problem.
        column: usize,
        /// What the JSON parser expected.
        reason: String,
    },

    /// A field has the wrong type or a value that breaks a rule.
    #[error("invalid value at {path}: {reason}")]
    InvalidField {
        /// Where the bad value is.
        path: JsonPath,
        /// What is wrong with it.
        reason: String,
    },

    /// A required field is absent (or `null`).
    #[error("required field {path} is missing")]
    MissingField {
        /// The missing field.
        path: JsonPath,
    },

    /// A JSON object has the same key twice; the file would mean different things to
    /// different readers.
    #[error("duplicate key {path}")]
    DuplicateKey {
        /// The repeated key.
        path: JsonPath,
    },

    /// One product type lists the same `productVersion` twice.
    #[error("productVersion {product_version:?} appears twice: at {first} and at {second}")]
    DuplicateProductVersion {
        /// The repeated version.
        product_version: String,
        /// The first occurrence.
        first: JsonPath,
        /// The second occurrence.
        second: JsonPath,
    },

    /// A value given outside a file (e.g. a `FromStr` input) was rejected.
    #[error("invalid {what}: {reason}")]
    InvalidValue {
        /// What the value should have been ("product type", "SHA-256 checksum", …).
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// The new catalog's sequence number is lower than the stored one's.
    #[error(
        "catalog sequence number {incoming} is lower than the stored catalog's {stored}: refusing to roll back"
    )]
    Rollback {
        /// Sequence number of the stored catalog.
        stored: u64,
        /// Sequence number of the refused file.
        incoming: u64,
    },

    /// A different catalog with the same sequence number is already stored.
    #[error("a different catalog with sequence number {sequence_number} is already stored")]
    SequenceConflict {
        /// The shared sequence number.
        sequence_number: u64,
    },

    /// The `.sig` file cannot be read: garbled, truncated, or of an unknown form.
    #[error("the signature file is malformed: {reason}")]
    SignatureMalformed {
        /// What is wrong with it.
        reason: String,
    },

    /// The signer is trusted but the signature does not match the catalog bytes.
    #[error("the signature of {signer:?} does not match the catalog file")]
    SignatureMismatch {
        /// Subject of the signing certificate.
        signer: String,
    },

    /// A bare signature verifies with none of the trusted public keys.
    #[error(
        "the signature does not verify with any of the {tried} trusted public key(s) of its type"
    )]
    NoTrustedKeyMatches {
        /// How many trusted keys were tried.
        tried: usize,
    },

    /// The signer does not lead to anything in the trust store.
    #[error("the catalog signer is not trusted: {reason}")]
    SignerUntrusted {
        /// Why (names the certificate or key involved).
        reason: String,
    },

    /// A certificate of the chain expired before `now`.
    #[error("certificate {subject:?} expired at {not_after}")]
    CertificateExpired {
        /// The certificate's subject.
        subject: String,
        /// End of its validity (RFC 3339).
        not_after: String,
    },

    /// A certificate of the chain is not valid yet at `now`.
    #[error("certificate {subject:?} is not valid before {not_before}")]
    CertificateNotYetValid {
        /// The certificate's subject.
        subject: String,
        /// Start of its validity (RFC 3339).
        not_before: String,
    },

    /// The chain stops at a certificate whose issuer is neither in the `.sig` file nor
    /// trusted.
    #[error(
        "the certificate chain does not reach a trusted CA: the issuer {issuer:?} of {subject:?} is missing"
    )]
    ChainIncomplete {
        /// The last certificate of the chain that could be built.
        subject: String,
        /// The issuer that could not be found.
        issuer: String,
    },

    /// A certificate that issues another one is not a CA (no basicConstraints `cA`).
    #[error("certificate {subject:?} issued another certificate but is not a CA")]
    CertificateNotCa {
        /// The certificate's subject.
        subject: String,
    },

    /// The chain is longer than a `pathLenConstraint` (or the overall limit) allows.
    #[error("certificate chain too long at {subject:?}: {reason}")]
    PathLengthExceeded {
        /// The certificate whose constraint is broken.
        subject: String,
        /// Which limit.
        reason: String,
    },

    /// A certificate's keyUsage does not allow what the chain uses it for.
    #[error("certificate {subject:?} is not allowed to {usage} (keyUsage)")]
    KeyUsageNotAllowed {
        /// The certificate's subject.
        subject: String,
        /// The missing permission ("sign data", "sign certificates").
        usage: &'static str,
    },

    /// A certificate is unusable for another reason (unknown critical extension, bad
    /// extension encoding, malformed key).
    #[error("certificate {subject:?} is not acceptable: {reason}")]
    CertificateInvalid {
        /// The certificate's subject.
        subject: String,
        /// Why.
        reason: String,
    },

    /// The signature or key algorithm is not supported (SHA-1, MD5, DSA, RSA < 2048, …).
    #[error("unsupported signature algorithm: {reason}")]
    UnsupportedAlgorithm {
        /// Which algorithm and why.
        reason: String,
    },

    /// A PEM blob given as trust anchor cannot be used.
    #[error("trust anchor PEM #{source_index}: {reason}")]
    TrustAnchorInvalid {
        /// 0-based index of the PEM blob.
        source_index: usize,
        /// What is wrong with it.
        reason: String,
    },

    /// A trust anchor's key is too weak or of an unsupported type.
    #[error("trust anchor PEM #{source_index}: key rejected: {reason}")]
    TrustAnchorKeyRejected {
        /// 0-based index of the PEM blob.
        source_index: usize,
        /// Which key and why.
        reason: String,
    },

    /// The private key given for signing cannot be used.
    #[error("signing key rejected: {reason}")]
    SigningKeyInvalid {
        /// Why.
        reason: String,
    },

    /// The certificate chain given for signing cannot be used.
    #[error("signing certificate rejected: {reason}")]
    SigningCertificateInvalid {
        /// Why.
        reason: String,
    },

    /// Another signing argument (file name, digest) cannot be used.
    #[error("cannot sign: {reason}")]
    SigningInputInvalid {
        /// Why.
        reason: String,
    },

    /// The crypto library failed to sign (should not happen with a valid key).
    #[error("signing failed in the crypto library")]
    SigningFailed,
}

impl CatalogError {
    /// The stable error code (the SDDC Manager `errorCode`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidJson { .. } => "PRODUCT_VERSION_CATALOG_INVALID_JSON",
            Self::InvalidField { .. } | Self::InvalidValue { .. } => {
                "PRODUCT_VERSION_CATALOG_INVALID_FIELD"
            }
            Self::MissingField { .. } => "PRODUCT_VERSION_CATALOG_MISSING_FIELD",
            Self::DuplicateKey { .. } => "PRODUCT_VERSION_CATALOG_DUPLICATE_KEY",
            Self::DuplicateProductVersion { .. } => {
                "PRODUCT_VERSION_CATALOG_DUPLICATE_PRODUCT_VERSION"
            }
            Self::Rollback { .. } => "PRODUCT_VERSION_CATALOG_ROLLBACK",
            Self::SequenceConflict { .. } => "PRODUCT_VERSION_CATALOG_SEQUENCE_CONFLICT",
            Self::SignatureMalformed { .. } => "PRODUCT_VERSION_CATALOG_SIGNATURE_MALFORMED",
            Self::SignatureMismatch { .. } | Self::NoTrustedKeyMatches { .. } => {
                "PRODUCT_VERSION_CATALOG_SIGNATURE_INVALID"
            }
            Self::SignerUntrusted { .. } => "PRODUCT_VERSION_CATALOG_SIGNER_UNTRUSTED",
            Self::CertificateExpired { .. } => "PRODUCT_VERSION_CATALOG_CERTIFICATE_EXPIRED",
            Self::CertificateNotYetValid { .. } => {
                "PRODUCT_VERSION_CATALOG_CERTIFICATE_NOT_YET_VALID"
            }
            Self::ChainIncomplete { .. } => "PRODUCT_VERSION_CATALOG_CERTIFICATE_CHAIN_INCOMPLETE",
            Self::CertificateNotCa { .. } => "PRODUCT_VERSION_CATALOG_CERTIFICATE_NOT_CA",
            Self::PathLengthExceeded { .. } => {
                "PRODUCT_VERSION_CATALOG_CERTIFICATE_PATH_LENGTH_EXCEEDED"
            }
            Self::KeyUsageNotAllowed { .. } => "PRODUCT_VERSION_CATALOG_CERTIFICATE_KEY_USAGE",
            Self::CertificateInvalid { .. } => "PRODUCT_VERSION_CATALOG_CERTIFICATE_INVALID",
            Self::UnsupportedAlgorithm { .. } => {
                "PRODUCT_VERSION_CATALOG_SIGNATURE_ALGORITHM_UNSUPPORTED"
            }
            Self::TrustAnchorInvalid { .. } => "PRODUCT_VERSION_CATALOG_TRUST_ANCHOR_INVALID",
            Self::TrustAnchorKeyRejected { .. } => {
                "PRODUCT_VERSION_CATALOG_TRUST_ANCHOR_KEY_REJECTED"
            }
            Self::SigningKeyInvalid { .. } => "PRODUCT_VERSION_CATALOG_SIGNING_KEY_INVALID",
            Self::SigningCertificateInvalid { .. } => {
                "PRODUCT_VERSION_CATALOG_SIGNING_CERTIFICATE_INVALID"
            }
            Self::SigningInputInvalid { .. } => "PRODUCT_VERSION_CATALOG_SIGNING_INPUT_INVALID",
            Self::SigningFailed => "PRODUCT_VERSION_CATALOG_SIGNING_FAILED",
        }
    }

    /// The coarse category API crates map to a status.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Rollback { .. } | Self::SequenceConflict { .. } => ErrorKind::Conflict,
            Self::SigningFailed => ErrorKind::Internal,
            _ => ErrorKind::Invalid,
        }
    }

    /// What the operator should do (the SDDC Manager `remediationMessage`).
    pub fn remediation(&self) -> &'static str {
        match self {
            Self::InvalidJson { .. }
            | Self::InvalidField { .. }
            | Self::MissingField { .. }
            | Self::DuplicateKey { .. }
            | Self::DuplicateProductVersion { .. }
            | Self::InvalidValue { .. } => {
                "Correct the catalog file at the named location, or download it again from the depot"
            }
            Self::Rollback { .. } => {
                "Upload a catalog with a higher sequence number than the stored one; older catalogs are refused"
            }
            Self::SequenceConflict { .. } => {
                "Catalogs that differ must have different sequence numbers; get the newest catalog from the publisher"
            }
            Self::SignatureMalformed { .. } => {
                "Download the .sig file again, or re-create it with `depotd catalog sign`"
            }
            Self::SignatureMismatch { .. } | Self::NoTrustedKeyMatches { .. } => {
                "Download the catalog and its signature again; if they are unchanged, add the signer's key or CA to the trust store"
            }
            Self::SignerUntrusted { .. } | Self::ChainIncomplete { .. } => {
                "Add the signer's CA certificate (or public key) to the catalog trust anchors, or include the intermediate certificates in the .sig file"
            }
            Self::CertificateExpired { .. } | Self::CertificateNotYetValid { .. } => {
                "Re-sign the catalog with a certificate that is valid now, and check the server clock"
            }
            Self::CertificateNotCa { .. }
            | Self::PathLengthExceeded { .. }
            | Self::KeyUsageNotAllowed { .. }
            | Self::CertificateInvalid { .. } => {
                "Re-sign the catalog with a code-signing certificate issued by a proper CA chain"
            }
            Self::UnsupportedAlgorithm { .. } => {
                "Sign with RSA (2048 bits or more), ECDSA P-256/P-384 or Ed25519, using SHA-256, SHA-384 or SHA-512"
            }
            Self::TrustAnchorInvalid { .. } | Self::TrustAnchorKeyRejected { .. } => {
                "Configure PEM CA certificates or public keys: RSA of 2048 bits or more, ECDSA P-256/P-384, or Ed25519"
            }
            Self::SigningKeyInvalid { .. } => {
                "Use an unencrypted PKCS#8 PEM private key: RSA of 2048 bits or more, ECDSA P-256/P-384, or Ed25519"
            }
            Self::SigningCertificateInvalid { .. } => {
                "Pass the PEM certificate of the signing key first, followed by its intermediates"
            }
            Self::SigningInputInvalid { .. } => "Correct the signing arguments",
            Self::SigningFailed => "Retry; if it keeps failing, report a bug",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_prefixed_and_kinds_match() {
        let errors = [
            CatalogError::Rollback {
                stored: 2,
                incoming: 1,
            },
            CatalogError::SequenceConflict { sequence_number: 1 },
            CatalogError::SignatureMismatch { signer: "x".into() },
            CatalogError::SigningFailed,
            CatalogError::MissingField {
                path: JsonPath::root().key("version"),
            },
        ];
        for err in &errors {
            assert!(err.code().starts_with("PRODUCT_VERSION_CATALOG_"), "{err}");
            assert!(!err.remediation().is_empty());
        }
        assert_eq!(errors[0].kind(), ErrorKind::Conflict);
        assert_eq!(errors[1].kind(), ErrorKind::Conflict);
        assert_eq!(errors[2].kind(), ErrorKind::Invalid);
        assert_eq!(errors[3].kind(), ErrorKind::Internal);
        assert_eq!(errors[4].to_string(), "required field $.version is missing");
    }
}
