//! Certificate pinning by thumbprint, as vSphere does it: a subscribed library's
//! `ssl_thumbprint` or a PULL source's `ssl_certificate_thumbprint` names the one server
//! certificate to accept, self-signed or not, whatever host name it was issued for.
//! Path validation is replaced by that comparison; the handshake signature is still
//! checked against the pinned certificate's key, so only the holder of its private key
//! can answer.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{CertificateError, DigitallySignedStruct, Error, OtherError, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::Digest as _;

/// The hash a thumbprint is made with: SHA-1 (vSphere's, 20 bytes) or SHA-256 (32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThumbprintAlgorithm {
    /// SHA-1 of the DER certificate.
    Sha1,
    /// SHA-256 of the DER certificate.
    Sha256,
}

/// A certificate thumbprint: the hash of its DER encoding, written as colon-separated
/// hex pairs (`3B:8E:1D:…`); plain hex is read too.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Thumbprint {
    algorithm: ThumbprintAlgorithm,
    bytes: Vec<u8>,
}

/// A thumbprint that cannot be one (not hex, or not 20 or 32 bytes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0}: a thumbprint is the SHA-1 (20 bytes) or SHA-256 (32 bytes) of the certificate, \
     as hex pairs such as 3B:8E:1D:…"
)]
pub struct InvalidThumbprint(&'static str);

impl Thumbprint {
    /// The thumbprint of `der` with `algorithm`.
    pub fn of(algorithm: ThumbprintAlgorithm, der: &[u8]) -> Self {
        let bytes = match algorithm {
            ThumbprintAlgorithm::Sha1 => sha1::Sha1::digest(der).to_vec(),
            ThumbprintAlgorithm::Sha256 => sha2::Sha256::digest(der).to_vec(),
        };
        Self { algorithm, bytes }
    }

    /// The hash it is made with.
    pub fn algorithm(&self) -> ThumbprintAlgorithm {
        self.algorithm
    }

    /// Whether `der` is the certificate this thumbprint names.
    pub fn matches(&self, der: &[u8]) -> bool {
        *self == Self::of(self.algorithm, der)
    }
}

impl FromStr for Thumbprint {
    type Err = InvalidThumbprint;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, ':' | ' '))
            .collect();
        let bytes = hex::decode(&digits).map_err(|_| InvalidThumbprint("not hexadecimal"))?;
        let algorithm = match bytes.len() {
            20 => ThumbprintAlgorithm::Sha1,
            32 => ThumbprintAlgorithm::Sha256,
            _ => return Err(InvalidThumbprint("wrong length")),
        };
        Ok(Self { algorithm, bytes })
    }
}

impl fmt::Display for Thumbprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, byte) in self.bytes.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{byte:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Thumbprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Thumbprint({self})")
    }
}

/// The server presented another certificate than the pinned one.
#[derive(Debug, thiserror::Error)]
#[error("its certificate's thumbprint is {actual}, not the pinned {expected}")]
struct PinMismatch {
    expected: Thumbprint,
    actual: Thumbprint,
}

/// Accepts exactly the pinned certificate.
#[derive(Debug)]
struct PinnedVerifier {
    pin: Thumbprint,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if self.pin.matches(end_entity) {
            return Ok(ServerCertVerified::assertion());
        }
        let mismatch = PinMismatch {
            expected: self.pin.clone(),
            actual: Thumbprint::of(self.pin.algorithm, end_entity),
        };
        Err(Error::InvalidCertificate(CertificateError::Other(
            OtherError(Arc::new(mismatch)),
        )))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A TLS client configuration that trusts only the certificate `pin` names.
pub(crate) fn pinned_tls(pin: &Thumbprint) -> rustls::ClientConfig {
    let provider: Arc<CryptoProvider> = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = PinnedVerifier {
        pin: pin.clone(),
        algorithms: provider.signature_verification_algorithms,
    };
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("the default provider has TLS 1.2 and 1.3")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprints_parse_in_either_form_and_print_as_vsphere_does() {
        let colons = "3B:8E:1D:4F:9A:77:0C:2E:5B:61:AA:10:73:C4:9F:E2:08:6D:15:B3";
        let t: Thumbprint = colons.parse().unwrap();
        assert_eq!(t.algorithm(), ThumbprintAlgorithm::Sha1);
        assert_eq!(t.to_string(), colons);
        let plain: Thumbprint = colons.replace(':', "").to_lowercase().parse().unwrap();
        assert_eq!(plain, t);
        let sha256: Thumbprint = "ab".repeat(32).parse().unwrap();
        assert_eq!(sha256.algorithm(), ThumbprintAlgorithm::Sha256);
        for bad in ["", "3B:8E", "zz".repeat(20).as_str(), &"ab".repeat(21)] {
            assert!(bad.parse::<Thumbprint>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_thumbprint_matches_its_certificate_only() {
        let der = b"certificate one";
        for algorithm in [ThumbprintAlgorithm::Sha1, ThumbprintAlgorithm::Sha256] {
            let t = Thumbprint::of(algorithm, der);
            assert!(t.matches(der));
            assert!(!t.matches(b"certificate two"));
        }
    }
}
