//! An owned digest of an X.509 certificate: what chain validation needs, parsed once.

use std::fmt;

use chrono::DateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer as _;

use super::keys::{KeyProblem, PublicKey};

/// A parsed certificate, owning everything the chain checks look at.
#[derive(Clone)]
pub(crate) struct Certificate {
    pub(crate) der: Vec<u8>,
    pub(crate) subject: String,
    pub(crate) subject_raw: Vec<u8>,
    pub(crate) issuer: String,
    pub(crate) issuer_raw: Vec<u8>,
    pub(crate) key: Result<PublicKey, KeyProblem>,
    /// Validity period, seconds since the Unix epoch, both ends inclusive.
    pub(crate) not_before: i64,
    pub(crate) not_after: i64,
    /// basicConstraints: `(cA, pathLenConstraint)`, if present.
    pub(crate) basic_constraints: Option<(bool, Option<u32>)>,
    /// keyUsage: `(digitalSignature, keyCertSign)`, if present.
    pub(crate) key_usage: Option<(bool, bool)>,
    /// The signed part (DER tbsCertificate), its signature, and the signatureAlgorithm
    /// AlgorithmIdentifier's content, as webpki's algorithms name themselves (empty if
    /// unreadable).
    pub(crate) tbs: Vec<u8>,
    pub(crate) signature_algorithm: Vec<u8>,
    pub(crate) signature: Vec<u8>,
    /// A reason the certificate must not be used at all (unknown critical extension, …).
    pub(crate) defect: Option<String>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Certificate({:?})", self.subject)
    }
}

impl Certificate {
    /// Parses a DER certificate; the error says why it is not one.
    pub(crate) fn from_der(der: &[u8]) -> Result<Self, String> {
        let (rest, cert) = X509Certificate::from_der(der).map_err(|err| err.to_string())?;
        if !rest.is_empty() {
            return Err("trailing bytes after the certificate".to_owned());
        }
        let mut defect = None;
        for extension in cert.extensions() {
            let parsed = extension.parsed_extension();
            if let Some(err) = parsed.error() {
                defect = Some(format!("extension {} is malformed: {err}", extension.oid));
            } else if extension.critical && parsed.unsupported() {
                defect = Some(format!("unsupported critical extension {}", extension.oid));
            }
        }
        let basic_constraints = match cert.basic_constraints() {
            Ok(found) => found.map(|ext| (ext.value.ca, ext.value.path_len_constraint)),
            Err(err) => {
                defect = Some(format!("basicConstraints: {err}"));
                None
            }
        };
        let key_usage = match cert.key_usage() {
            Ok(found) => {
                found.map(|ext| (ext.value.digital_signature(), ext.value.key_cert_sign()))
            }
            Err(err) => {
                defect = Some(format!("keyUsage: {err}"));
                None
            }
        };
        let subject = display_name(&cert.subject().to_string(), &cert);
        Ok(Self {
            der: der.to_vec(),
            subject,
            subject_raw: cert.subject().as_raw().to_vec(),
            issuer: cert.issuer().to_string(),
            issuer_raw: cert.issuer().as_raw().to_vec(),
            key: PublicKey::from_spki(cert.public_key()),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            basic_constraints,
            key_usage,
            tbs: cert.tbs_certificate.as_ref().to_vec(),
            signature_algorithm: signature_algorithm_id(der).unwrap_or_default(),
            signature: cert.signature_value.data.to_vec(),
            defect,
        })
    }

    /// Whether the issuer name equals the subject name.
    pub(crate) fn self_issued(&self) -> bool {
        self.issuer_raw == self.subject_raw
    }

    /// Whether basicConstraints marks the certificate as a CA.
    pub(crate) fn is_ca(&self) -> bool {
        matches!(self.basic_constraints, Some((true, _)))
    }

    /// `not_before` as RFC 3339.
    pub(crate) fn not_before_text(&self) -> String {
        rfc3339(self.not_before)
    }

    /// `not_after` as RFC 3339.
    pub(crate) fn not_after_text(&self) -> String {
        rfc3339(self.not_after)
    }
}

/// The subject to show in messages; the serial number when the subject is empty.
fn display_name(subject: &str, cert: &X509Certificate<'_>) -> String {
    if subject.is_empty() {
        format!("serial {}", cert.raw_serial_as_string())
    } else {
        subject.to_owned()
    }
}

fn rfc3339(seconds: i64) -> String {
    DateTime::from_timestamp(seconds, 0).map_or_else(|| seconds.to_string(), |t| t.to_rfc3339())
}

/// The content of the certificate's signatureAlgorithm (the AlgorithmIdentifier SEQUENCE
/// without its header).
fn signature_algorithm_id(der: &[u8]) -> Option<Vec<u8>> {
    use x509_parser::asn1_rs::{Any, FromDer as _};
    let (_, certificate) = Any::from_der(der).ok()?;
    let (rest, _tbs) = Any::from_der(certificate.data).ok()?;
    let (_, algorithm) = Any::from_der(rest).ok()?;
    Some(algorithm.data.to_vec())
}
