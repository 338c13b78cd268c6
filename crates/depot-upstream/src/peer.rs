//! [`DepotClient::peer_certificate`]: the certificate an HTTPS depot presents, read by a
//! TLS handshake of its own that accepts any certificate and sends no request, so that a
//! user can see it and pin it (a subscribed library's `probe` reports it as vSphere
//! does). Nothing is trusted because of it.

use std::fmt::Write as _;
use std::sync::Arc;

use base64::Engine as _;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{DigitallySignedStruct, Error, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::client::DepotClient;
use crate::error::{Unavailable, UpstreamError};
use crate::pin::{Thumbprint, ThumbprintAlgorithm};

/// The end-entity certificate a depot presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCertificate {
    der: Vec<u8>,
}

impl PeerCertificate {
    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Its thumbprint with `algorithm` (vSphere shows SHA-1).
    pub fn thumbprint(&self, algorithm: ThumbprintAlgorithm) -> Thumbprint {
        Thumbprint::of(algorithm, &self.der)
    }

    /// PEM, 64 characters a line.
    pub fn pem(&self) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&self.der);
        let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            // Base64 is ASCII: every chunk is valid UTF-8.
            let _ = writeln!(pem, "{}", String::from_utf8_lossy(line));
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        pem
    }
}

/// Accepts whatever certificate the server presents (the handshake signature is still
/// checked against its key, so the certificate is the server's).
#[derive(Debug)]
struct AcceptAny {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
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

impl DepotClient {
    /// The certificate the depot presents at its base URL: `None` for plain HTTP. One
    /// direct TLS handshake (not through the proxy), within the connect timeout; no
    /// request is sent. Fails with `DEPOT_NOT_AVAILABLE` when the handshake does.
    pub async fn peer_certificate(&self) -> Result<Option<PeerCertificate>, UpstreamError> {
        let base = self.locator.base();
        if base.scheme() != "https" {
            return Ok(None);
        }
        let host = base.host_str().unwrap_or_default().to_owned();
        let port = base.port_or_known_default().unwrap_or(443);
        let failed = |why: String| UpstreamError::NotAvailable {
            url: base.to_string(),
            cause: Unavailable::Connection(why),
            attempts: 1,
            source: None,
        };
        let name = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let server_name =
            ServerName::try_from(name.clone()).map_err(|e| failed(format!("{host}: {e}")))?;
        let provider: Arc<CryptoProvider> = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = AcceptAny {
            algorithms: provider.signature_verification_algorithms,
        };
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("the default provider has TLS 1.2 and 1.3")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        let handshake = async {
            let tcp = tokio::net::TcpStream::connect((name.as_str(), port))
                .await
                .map_err(|e| failed(format!("connecting to {host}:{port}: {e}")))?;
            tokio_rustls::TlsConnector::from(Arc::new(config))
                .connect(server_name, tcp)
                .await
                .map_err(|e| failed(format!("TLS handshake with {host}:{port}: {e}")))
        };
        let tls = tokio::time::timeout(self.timeouts.connect, handshake)
            .await
            .map_err(|_| failed(format!("no TLS handshake with {host}:{port} in time")))??;
        let (_, connection) = tls.get_ref();
        Ok(connection
            .peer_certificates()
            .and_then(<[_]>::first)
            .map(|der| PeerCertificate {
                der: der.as_ref().to_vec(),
            }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_wraps_base64_at_64() {
        let cert = PeerCertificate { der: vec![7; 100] };
        let pem = cert.pem();
        let lines: Vec<&str> = pem.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert_eq!(lines.last(), Some(&"-----END CERTIFICATE-----"));
        let body: String = lines[1..lines.len() - 1].concat();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        assert_eq!(der, cert.der);
    }
}
